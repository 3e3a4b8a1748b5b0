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
import { child, forbidden, invalid, notSupported, required } from '../field.js';
import { labelSelectorString } from '../labels.js';
import { defaultPodTemplate } from '../podspec/defaults.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateNonnegativeField, validatePositiveField } from '../validation.js';
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
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ||= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(spec.template);
}

function validateStrategy(strategy: Obj | undefined, path: string): FieldError[] {
  const s = strategy ?? {};
  switch (s.type) {
    case 'Recreate':
      return s.rollingUpdate
        ? [forbidden(child(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")]
        : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [required(child(path, 'rollingUpdate'), 'this should be defaulted and never be nil')];
      const rp = child(path, 'rollingUpdate');
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')),
      ];
      if (intOrPercentNumber(ru.maxUnavailable) === 0 && intOrPercentNumber(ru.maxSurge) === 0)
        errs.push(
          invalid(child(rp, 'maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'),
        );
      errs.push(...validateNotMoreThan100Percent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      return errs;
    }
    default:
      return [notSupported(path, s, ['Recreate', 'RollingUpdate'])];
  }
}

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [...validateNonnegativeField(spec.replicas, 'spec.replicas')];
  errs.push(...validateSelectorAndTemplate(spec, 'spec', 'deployment'));
  if (!spec.selector) return errs;
  errs.push(...validateStrategy(spec.strategy, 'spec.strategy'));
  errs.push(...validateNonnegativeField(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateNonnegativeField(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (spec.progressDeadlineSeconds != null) {
    errs.push(...validatePositiveField(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0))
      errs.push(
        invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
  }
  return errs;
}

export const deployments: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  schemaName: 'io.k8s.api.apps.v1.Deployment',
  subresources: ['status', 'scale'],
  defaults,
  validate,
  validateUpdate: (obj, old) => [...validate(obj), ...validateImmutableSelector(obj.spec, old.spec)],
  scale: {
    specReplicasPath: 'spec.replicas',
    statusReplicasPath: 'status.replicas',
    selectorObjectPath: 'spec.selector',
  },
  table: {
    columns: [
      nameColumn,
      col('Ready', 'Number of the pod with ready state'),
      col(
        'Up-to-date',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      col(
        'Available',
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      ),
      ageColumn,
      containersColumn,
      imagesColumn,
      wide(
        'Selector',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      ),
    ],
    cells(o, now) {
      const [names, images] = containerCells(o.spec?.template?.spec?.containers);
      return [
        o.metadata?.name,
        `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
        o.status?.updatedReplicas ?? 0,
        o.status?.availableReplicas ?? 0,
        ageOf(o, now),
        names,
        images,
        labelSelectorString(o.spec?.selector),
      ];
    },
  },
};
