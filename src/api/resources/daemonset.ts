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
import { child, invalid, notSupported, required } from '../field.js';
import { formatLabels, labelSelectorString } from '../labels.js';
import { defaultPodTemplate } from '../podspec/defaults.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateNonnegativeField } from '../validation.js';
import {
  intOrPercentNumber,
  validateImmutableSelector,
  validateNotMoreThan100Percent,
  validatePositiveIntOrPercent,
  validateSelectorAndTemplate,
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

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  return [
    ...validateSelectorAndTemplate(spec, 'spec', 'daemonset', { activeDeadlineKind: 'DaemonSet' }),
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
