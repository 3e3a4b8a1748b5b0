// Metadata validation entry points used by the handlers (the rules live with the registry).
import type { FieldError, Obj, ResourceDef } from '../api/types.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../api/validation.js';

export function validateMetadata(obj: Obj, def: ResourceDef): FieldError[] {
  return validateObjectMeta(obj, def);
}

export function validateMetadataUpdate(obj: Obj, old: Obj, def: ResourceDef): FieldError[] {
  return validateObjectMetaUpdate(obj, old, def);
}
