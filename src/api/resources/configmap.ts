import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { forbidden, index, invalid, tooLong } from '../field.js';
import { semanticEqual } from '../semantic.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { isConfigMapKey } from '../validation.js';

/** core.MaxSecretSize, the limit for the data of one ConfigMap or Secret. */
export const MaxDataSize = 1024 * 1024;

function validate(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  const data: Record<string, unknown> = obj.data ?? {};
  const binary: Record<string, unknown> = obj.binaryData ?? {};
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(index('data', k), k, m));
    if (k in binary) errs.push(invalid(index('data', k), k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(String(v ?? ''));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(index('binaryData', k), k, m));
    size += Buffer.from(String(v ?? ''), 'base64').length;
  }
  if (size > MaxDataSize) errs.push(tooLong('', MaxDataSize));
  return errs;
}

/** Immutable ConfigMaps and Secrets: `immutable` stays true and the listed data fields stay as they are. */
export function validateImmutableData(obj: Obj, old: Obj, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields)
    if (!semanticEqual(obj[f], old[f])) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  return errs;
}

export const configMaps: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  schemaName: 'io.k8s.api.core.v1.ConfigMap',
  validate,
  validateUpdate: (obj, old) => [
    ...validateImmutableData(obj, old, ['data', 'binaryData']),
    ...validate(obj),
  ],
  table: {
    columns: [
      nameColumn,
      col(
        'Data',
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
      ),
      ageColumn,
    ],
    cells: (o, now) => [
      o.metadata?.name,
      Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
      ageOf(o, now),
    ],
  },
};
