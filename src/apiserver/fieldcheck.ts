// fieldValidation=Strict|Warn|Ignore: unknown and duplicate fields in request bodies, as upstream
// handles them. Unknown fields never reach the store (a typed decoder would drop them).
import {
  duplicateFields,
  duplicateFieldsYaml,
  fieldProblems,
  pruneUnknownFields,
  strictDecodingError,
  unknownFields,
} from '../api/fieldvalidation.js';
import type { Obj, ResourceDef } from '../api/types.js';
import { K8tsError } from '../errors.js';
import { mediaType } from './http.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationMode(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw new K8tsError(
    'BadRequest',
    `fieldValidation must be one of "Ignore", "Warn", or "Strict", not ${JSON.stringify(v)}`,
  );
}

/** Keys repeated within one object of a JSON or YAML body. */
export function duplicatesIn(raw: Buffer, contentType: string | undefined): string[] {
  const type = mediaType(contentType);
  if (type.includes('protobuf')) return [];
  const text = raw.toString('utf8');
  return type.includes('yaml') ? duplicateFieldsYaml(text) : duplicateFields(text);
}

/**
 * Checks `obj` against the kind's schema: Strict fails with upstream's 400, Warn records warnings,
 * Ignore says nothing. In every mode unknown fields are removed from `obj`.
 */
export function checkFields(
  def: ResourceDef,
  obj: Obj,
  duplicates: string[] | undefined,
  mode: FieldValidation,
  warnings: string[] | undefined,
): void {
  const dups = duplicates ?? [];
  if (mode === 'Strict') {
    const unknown = unknownFields(obj, def.schema ?? def.schemaName);
    if (unknown.length > 0 || dups.length > 0)
      throw new K8tsError('BadRequest', strictDecodingError(unknown, dups));
    return;
  }
  const pruned = pruneUnknownFields(obj, def.schema ?? def.schemaName);
  if (mode === 'Warn' && warnings) warnings.push(...fieldProblems(pruned, dups));
}
