// storage.k8s.io/v1 StorageClass (upstream's ValidateStorageClass / ValidateStorageClassUpdate and defaults):
// provisioner required, reclaimPolicy Delete|Retain (default Delete), volumeBindingMode
// Immediate|WaitForFirstConsumer (default Immediate); provisioner, parameters and reclaimPolicy never change,
// nor does volumeBindingMode. The default class (annotation storageclass.kubernetes.io/is-default-class)
// prints as `name (default)`.
import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { forbidden, notSupported, required } from '../field.js';
import { semanticEqual } from '../semantic.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateImmutableField, validateQualifiedName } from '../validation.js';

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const reclaimPolicies = ['Delete', 'Retain'];
const bindingModes = ['Immediate', 'WaitForFirstConsumer'];

export function isDefaultStorageClass(sc: Obj): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

function validate(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (!obj.provisioner) errs.push(required('provisioner'));
  else errs.push(...validateQualifiedName(String(obj.provisioner), 'provisioner'));
  for (const k of Object.keys(obj.parameters ?? {}))
    if (!k) errs.push(required('parameters', 'parameter keys must not be empty'));
  if (obj.reclaimPolicy != null && !reclaimPolicies.includes(obj.reclaimPolicy))
    errs.push(notSupported('reclaimPolicy', obj.reclaimPolicy, reclaimPolicies));
  if (obj.volumeBindingMode == null) errs.push(required('volumeBindingMode'));
  else if (!bindingModes.includes(obj.volumeBindingMode))
    errs.push(notSupported('volumeBindingMode', obj.volumeBindingMode, bindingModes));
  return errs;
}

export const storageClasses: ResourceDef = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  singular: 'storageclass',
  namespaced: false,
  shortNames: ['sc'],
  schemaName: 'io.k8s.api.storage.v1.StorageClass',
  defaults(obj) {
    obj.reclaimPolicy ??= 'Delete';
    obj.volumeBindingMode ??= 'Immediate';
  },
  validate,
  validateUpdate(obj, old) {
    const errs = validate(obj);
    if (!semanticEqual(obj.parameters ?? {}, old.parameters ?? {}))
      errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (obj.provisioner !== old.provisioner)
      errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (obj.reclaimPolicy !== old.reclaimPolicy)
      errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    errs.push(...validateImmutableField(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
    return errs;
  },
  table: {
    columns: [
      nameColumn,
      col('Provisioner', 'Indicates the type of the provisioner.'),
      col('ReclaimPolicy', 'Indicates the type of the reclaim policy.'),
      col('VolumeBindingMode', 'Indicates the type of volume binding mode.'),
      col('AllowVolumeExpansion', 'Indicates whether the storage class allow volume expand.', 'boolean'),
      ageColumn,
    ],
    cells: (o, now) => [
      isDefaultStorageClass(o) ? `${o.metadata?.name} (default)` : o.metadata?.name,
      o.provisioner ?? '',
      o.reclaimPolicy ?? 'Delete',
      o.volumeBindingMode ?? 'Immediate',
      o.allowVolumeExpansion ?? false,
      ageOf(o, now),
    ],
  },
};
