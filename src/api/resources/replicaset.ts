import { replicasTable } from '../columns.js';
import { labelSelectorString } from '../labels.js';
import { defaultPodTemplate } from '../podspec/defaults.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateNonnegativeField } from '../validation.js';
import { validateImmutableSelector, validateSelectorAndTemplate } from '../workloads.js';

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  return [
    ...validateNonnegativeField(spec.replicas, 'spec.replicas'),
    ...validateNonnegativeField(spec.minReadySeconds, 'spec.minReadySeconds'),
    // Upstream's message says "deployment" here too.
    ...validateSelectorAndTemplate(spec, 'spec', 'deployment'),
  ];
}

export const replicaSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  schemaName: 'io.k8s.api.apps.v1.ReplicaSet',
  subresources: ['status', 'scale'],
  defaults(obj) {
    obj.spec ??= {};
    obj.spec.replicas ??= 1;
    defaultPodTemplate(obj.spec.template);
  },
  validate,
  validateUpdate: (obj, old) => [...validate(obj), ...validateImmutableSelector(obj.spec, old.spec)],
  scale: {
    specReplicasPath: 'spec.replicas',
    statusReplicasPath: 'status.replicas',
    selectorObjectPath: 'spec.selector',
  },
  fieldSelectors: { 'status.replicas': (o) => String(o.status?.replicas ?? 0) },
  table: replicasTable(
    'replica set',
    'Selector is a label query over pods that should match the replica count.',
    (o) => labelSelectorString(o.spec?.selector) || '<none>',
  ),
};
