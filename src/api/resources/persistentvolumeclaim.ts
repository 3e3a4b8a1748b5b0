import { ageColumn, ageOf, col, nameColumn, wide } from '../columns.js';
import { forbidden, invalid, notSupported, required } from '../field.js';
import { list } from '../guards.js';
import { defaultPersistentVolumeClaimSpec } from '../podspec/defaults.js';
import { canonicalQuantityString, compareQuantities, parseQuantity } from '../quantity.js';
import { clone, diffPaths, semanticEqual } from '../semantic.js';
import { accessModes, accessModesString, storageClassOf } from '../storage-common.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateLabelSelector, validateQuantityValue } from '../validation.js';

/** ValidatePersistentVolumeClaimSpec, shared with StatefulSet claim templates. */
export function validateClaimSpec(spec: Obj | undefined, path: string): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  const modes: string[] = list(s.accessModes);
  if (modes.length === 0) errs.push(required(`${path}.accessModes`, 'at least 1 access mode is required'));
  for (const m of modes)
    if (!accessModes.includes(m)) errs.push(notSupported(`${path}.accessModes`, m, accessModes));
  if (s.selector) errs.push(...validateLabelSelector(s.selector, `${path}.selector`));
  const storage = s.resources?.requests?.storage;
  const sp = `${path}.resources[storage]`;
  if (storage === undefined) errs.push(required(sp));
  else {
    const qErrs = validateQuantityValue(storage, sp);
    errs.push(...qErrs);
    const q = parseQuantity(storage);
    if (qErrs.length === 0 && q && compareQuantities(q, parseQuantity('0')!) <= 0)
      errs.push(invalid(sp, String(storage), 'must be greater than zero'));
  }
  if (s.volumeMode != null && !['Block', 'Filesystem'].includes(s.volumeMode))
    errs.push(notSupported(`${path}.volumeMode`, s.volumeMode, ['Block', 'Filesystem']));
  return errs;
}

function validateUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validateClaimSpec(obj.spec, 'spec');
  const a = clone(obj.spec ?? {});
  const b = clone(old.spec ?? {});
  if (!b.volumeName) b.volumeName = a.volumeName;
  // Bound claims may grow (resources.requests) and change volumeAttributesClassName.
  if (obj.status?.phase === 'Bound' || old.status?.phase === 'Bound') {
    if (a.resources?.requests) a.resources.requests.storage = b.resources?.requests?.storage;
    a.volumeAttributesClassName = b.volumeAttributesClassName;
  }
  if (!semanticEqual(a, b))
    errs.push(
      forbidden(
        'spec',
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${diffPaths(
          b,
          a,
        )
          .map((p) => `  ${p}`)
          .join('\n')}`,
      ),
    );
  const newSize = parseQuantity(obj.spec?.resources?.requests?.storage);
  const oldSize = parseQuantity(old.spec?.resources?.requests?.storage);
  if (newSize && oldSize && compareQuantities(newSize, oldSize) < 0)
    errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  return errs;
}

export const persistentVolumeClaims: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  namespaced: true,
  shortNames: ['pvc'],
  schemaName: 'io.k8s.api.core.v1.PersistentVolumeClaim',
  nameValidation: 'path-segment',
  subresources: ['status'],
  defaults(obj) {
    obj.spec ??= {};
    defaultPersistentVolumeClaimSpec(obj.spec);
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending' };
  },
  validate: (obj) => validateClaimSpec(obj.spec, 'spec'),
  validateUpdate,
  table: {
    columns: [
      nameColumn,
      col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
      col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
      col('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.'),
      col('StorageClass', 'StorageClass of the pvc'),
      col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
      ageColumn,
      wide('VolumeMode', 'volumeMode defines what type of volume is required by the claim.'),
    ],
    cells(o, now) {
      const bound = !!o.spec?.volumeName;
      const storage = o.status?.capacity?.storage;
      return [
        o.metadata?.name,
        o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''),
        o.spec?.volumeName ?? '',
        bound ? (storage !== undefined ? canonicalQuantityString(String(storage)) : '0') : '',
        bound ? accessModesString(o.status?.accessModes) : '',
        storageClassOf(o),
        o.spec?.volumeAttributesClassName ?? '<unset>',
        ageOf(o, now),
        o.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
};
