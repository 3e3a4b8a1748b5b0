import { replicasTable } from '../columns.js';
import { required } from '../field.js';
import { formatLabels } from '../labels.js';
import { defaultPodTemplate } from '../podspec/defaults.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateNonnegativeField } from '../validation.js';
import { validateTemplateForSelector } from '../workloads.js';

function defaults(obj: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  const labels = spec.template?.metadata?.labels;
  if (labels) {
    if (Object.keys(spec.selector ?? {}).length === 0) spec.selector = { ...labels };
    obj.metadata ??= {};
    if (Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...labels };
  }
  spec.replicas ??= 1;
  defaultPodTemplate(spec.template);
}

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [...validateNonnegativeField(spec.minReadySeconds, 'spec.minReadySeconds')];
  const selector: Record<string, string> = spec.selector ?? {};
  if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
  errs.push(...validateNonnegativeField(spec.replicas, 'spec.replicas'));
  // The template check below takes a LabelSelector; a map selector matches the same way.
  const asLabelSelector = Object.keys(selector).length > 0 ? { matchLabels: selector } : undefined;
  errs.push(
    ...validateTemplateForSelector({ ...spec, selector: asLabelSelector }, 'spec', {
      activeDeadlineKind: 'ReplicationController',
    }),
  );
  return errs;
}

export const replicationControllers: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  schemaName: 'io.k8s.api.core.v1.ReplicationController',
  subresources: ['status', 'scale'],
  defaults,
  validate,
  scale: {
    specReplicasPath: 'spec.replicas',
    statusReplicasPath: 'status.replicas',
    selectorObjectPath: 'spec.selector',
  },
  fieldSelectors: { 'status.replicas': (o) => String(o.status?.replicas ?? 0) },
  table: replicasTable(
    'replication controller',
    'Selector is a label query over pods that should match the Replicas count.',
    (o) => formatLabels(o.spec?.selector),
  ),
};
