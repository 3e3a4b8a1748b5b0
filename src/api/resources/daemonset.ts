import {
  ageColumn,
  ageOf,
  col,
  containerCells,
  containersColumn,
  imagesColumn,
  nameColumn,
  wide,
} from '../columns.js';
import { child, goLabelSelector, invalid, notSupported, Rendered, required } from '../field.js';
import { formatLabels, isEmptyLabelSelector, labelSelectorString, matchesLabelSelector } from '../labels.js';
import { defaultPodTemplate } from '../podspec/defaults.js';
import { validatePodTemplateSpec } from '../podspec/validation.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateLabelSelector, validateNonnegativeField } from '../validation.js';
import {
  intOrPercentNumber,
  validateImmutableSelector,
  validateNotMoreThan100Percent,
  validatePositiveIntOrPercent,
} from '../workloads.js';

function defaults(obj: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ||= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
    spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(spec.template);
}

function validateUpdateStrategy(us: Obj | undefined, path: string): FieldError[] {
  const s = us ?? {};
  if (s.type === 'OnDelete') return [];
  if (s.type !== 'RollingUpdate') return [notSupported(path, s, ['RollingUpdate', 'OnDelete'])];
  const ru = s.rollingUpdate;
  if (!ru) return [required(child(path, 'rollingUpdate'))];
  const rp = child(path, 'rollingUpdate');
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')),
    ...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')),
    ...validateNotMoreThan100Percent(ru.maxUnavailable, child(rp, 'maxUnavailable')),
    ...validateNotMoreThan100Percent(ru.maxSurge, child(rp, 'maxSurge')),
  ];
  const hasUnavailable = intOrPercentNumber(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentNumber(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge)
    errs.push(invalid(child(rp, 'maxSurge'), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  else if (!hasUnavailable && !hasSurge)
    errs.push(required(child(rp, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
  return errs;
}

/**
 * Upstream's ValidateDaemonSetSpec order and wording: a missing selector selects nothing, so it shows up
 * as a label mismatch; activeDeadlineSeconds is an Invalid (not Forbidden) error here.
 */
function validateSelectorAndTemplateForDaemonSet(spec: Obj): FieldError[] {
  const errs: FieldError[] = [...validateLabelSelector(spec.selector, 'spec.selector')];
  const labels = spec.template?.metadata?.labels ?? {};
  if (!matchesLabelSelector(spec.selector, labels))
    errs.push(
      invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
    );
  if (spec.selector && isEmptyLabelSelector(spec.selector))
    errs.push(
      invalid(
        'spec.selector',
        new Rendered(goLabelSelector(spec.selector)),
        'empty selector is invalid for daemonset',
      ),
    );
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  const rp = spec.template?.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp ?? '', ['Always']));
  const ads = spec.template?.spec?.activeDeadlineSeconds;
  if (ads != null)
    errs.push(
      invalid(
        'spec.template.spec.activeDeadlineSeconds',
        ads,
        'activeDeadlineSeconds in DaemonSet is not Supported',
      ),
    );
  return errs;
}

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  return [
    ...validateSelectorAndTemplateForDaemonSet(spec),
    ...validateNonnegativeField(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...validateUpdateStrategy(spec.updateStrategy, 'spec.updateStrategy'),
    ...validateNonnegativeField(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
  ];
}

export const daemonSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  schemaName: 'io.k8s.api.apps.v1.DaemonSet',
  subresources: ['status'],
  defaults,
  validate,
  validateUpdate: (obj, old) => [...validate(obj), ...validateImmutableSelector(obj.spec, old.spec)],
  table: {
    columns: [
      nameColumn,
      col(
        'Desired',
        'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
        'integer',
      ),
      col(
        'Current',
        'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
        'integer',
      ),
      col(
        'Ready',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
        'integer',
      ),
      col('Up-to-date', 'The total number of nodes that are running updated daemon pod', 'integer'),
      col(
        'Available',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
        'integer',
      ),
      col(
        'Node Selector',
        "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
      ),
      ageColumn,
      containersColumn,
      imagesColumn,
      wide('Selector', 'A label query over pods that are managed by the daemon set.'),
    ],
    cells(o, now) {
      const st = o.status ?? {};
      const [names, images] = containerCells(o.spec?.template?.spec?.containers);
      return [
        o.metadata?.name,
        st.desiredNumberScheduled ?? 0,
        st.currentNumberScheduled ?? 0,
        st.numberReady ?? 0,
        st.updatedNumberScheduled ?? 0,
        st.numberAvailable ?? 0,
        formatLabels(o.spec?.template?.spec?.nodeSelector),
        ageOf(o, now),
        names,
        images,
        labelSelectorString(o.spec?.selector) || '<none>',
      ];
    },
  },
};
