import { ageColumn, ageOf, col, nameColumn, wide } from '../columns.js';
import { forbidden, index, invalid, notSupported, required } from '../field.js';
import { list } from '../guards.js';
import { volumeSources } from '../podspec/defaults.js';
import { canonicalQuantityString, compareQuantities, parseQuantity } from '../quantity.js';
import { semanticEqual } from '../semantic.js';
import { accessModes, accessModesString, storageClassOf } from '../storage-common.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateQuantityValue } from '../validation.js';

const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];
const pvOnlySources = ['local'];

function sources(spec: Obj): string[] {
  return [...volumeSources(spec), ...pvOnlySources.filter((k) => spec?.[k] != null)];
}

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  const modes: string[] = list(spec.accessModes);
  if (modes.length === 0) errs.push(required('spec.accessModes'));
  for (const m of modes)
    if (!accessModes.includes(m)) errs.push(notSupported('spec.accessModes', m, accessModes));
  const capacity: Record<string, unknown> = spec.capacity ?? {};
  if (Object.keys(capacity).length === 0) errs.push(required('spec.capacity'));
  if (!('storage' in capacity) || Object.keys(capacity).length > 1)
    errs.push(notSupported('spec.capacity', capacity, ['storage']));
  for (const [k, v] of Object.entries(capacity)) {
    const p = index('spec.capacity', k);
    const qErrs = validateQuantityValue(v, p);
    errs.push(...qErrs);
    const q = parseQuantity(v);
    if (qErrs.length === 0 && q && compareQuantities(q, parseQuantity('0')!) <= 0)
      errs.push(invalid(p, String(v), 'must be greater than zero'));
  }
  if (spec.persistentVolumeReclaimPolicy && !reclaimPolicies.includes(spec.persistentVolumeReclaimPolicy))
    errs.push(
      notSupported('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, reclaimPolicies),
    );
  const src = sources(spec);
  if (src.length === 0) errs.push(required('spec', 'must specify a volume type'));
  for (const s of src.slice(1)) errs.push(forbidden(`spec.${s}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath && !spec.hostPath.path) errs.push(required('spec.hostPath.path'));
  if (spec.local && !spec.local.path) errs.push(required('spec.local.path'));
  if (spec.local && !spec.nodeAffinity)
    errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  if (spec.csi && !spec.csi.driver) errs.push(required('spec.csi.driver'));
  if (spec.csi && !spec.csi.volumeHandle) errs.push(required('spec.csi.volumeHandle'));
  if (spec.volumeMode != null && !['Block', 'Filesystem'].includes(spec.volumeMode))
    errs.push(notSupported('spec.volumeMode', spec.volumeMode, ['Block', 'Filesystem']));
  return errs;
}

function validateUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validate(obj);
  const pick = (o: Obj) => Object.fromEntries(sources(o.spec ?? {}).map((k) => [k, o.spec[k]]));
  if (!semanticEqual(pick(obj), pick(old)))
    errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is forbidden.'));
  if (old.spec?.nodeAffinity && !semanticEqual(obj.spec?.nodeAffinity, old.spec.nodeAffinity))
    errs.push(forbidden('spec.nodeAffinity', 'field is immutable once set'));
  if (old.spec?.volumeMode && obj.spec?.volumeMode !== old.spec.volumeMode)
    errs.push(invalid('spec.volumeMode', obj.spec?.volumeMode ?? null, 'field is immutable'));
  return errs;
}

export const persistentVolumes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  singular: 'persistentvolume',
  namespaced: false,
  shortNames: ['pv'],
  schemaName: 'io.k8s.api.core.v1.PersistentVolume',
  nameValidation: 'path-segment',
  subresources: ['status'],
  defaults(obj) {
    obj.spec ??= {};
    obj.spec.persistentVolumeReclaimPolicy ||= 'Retain';
    obj.spec.volumeMode ??= 'Filesystem';
    if (obj.spec.hostPath) obj.spec.hostPath.type ??= '';
  },
  prepareForCreate(obj) {
    obj.status = {
      phase: 'Pending',
      lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
  },
  validate,
  validateUpdate,
  table: {
    columns: [
      nameColumn,
      col('Capacity', "capacity is the description of the persistent volume's resources and capacity."),
      col('Access Modes', 'accessModes contains all ways the volume can be mounted.'),
      col(
        'Reclaim Policy',
        'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
      ),
      col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
      col(
        'Claim',
        'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
      ),
      col('StorageClass', 'StorageClass of the pv'),
      col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
      col(
        'Reason',
        'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
      ),
      ageColumn,
      wide(
        'VolumeMode',
        'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
      ),
    ],
    cells(o, now) {
      const ref = o.spec?.claimRef;
      const storage = o.spec?.capacity?.storage;
      return [
        o.metadata?.name,
        storage !== undefined ? canonicalQuantityString(String(storage)) : '0',
        accessModesString(o.spec?.accessModes),
        o.spec?.persistentVolumeReclaimPolicy ?? '',
        o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''),
        ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
        storageClassOf(o),
        o.spec?.volumeAttributesClassName ?? '<unset>',
        o.status?.reason ?? '',
        ageOf(o, now),
        o.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
};
