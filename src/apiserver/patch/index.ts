// Pure patch machinery for the API server: JSON patch, merge patch, strategic merge patch,
// server-side apply and managedFields bookkeeping. No I/O.

export {
  type ApplyOptions,
  type ApplyResult,
  applyObject,
  LAST_APPLIED_ANNOTATION,
  parseApplyPatch,
} from './apply.js';
export { FieldSet, pathToString } from './fieldset.js';
export {
  applyJsonPatch,
  decodeJsonPatch,
  type JsonPatchOperation,
  MAX_JSON_PATCH_OPERATIONS,
} from './jsonpatch.js';
export {
  decodeManagedFields,
  encodeManagedFields,
  MAX_UPDATE_MANAGERS,
  type ManagedFieldsEntry,
  setManagedFields,
  type TrackUpdateOptions,
  trackUpdate,
} from './managedfields.js';
export { applyMergePatch, mergePatch } from './mergepatch.js';
export {
  createSchemaResolver,
  type Schema,
  type SchemaNode,
  type SchemaResolver,
  untypedResolver,
} from './schema.js';
export { applyStrategicMergePatch, type StrategicPatchOptions } from './strategic.js';
