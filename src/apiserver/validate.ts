// Metadata validation entry points used by the handlers (delegates to the registry's validators).
import type { FieldError, Obj, ResourceDef } from '../api/types.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function validateMetadata(obj: Obj, _def: ResourceDef): FieldError[] {
  const name = obj.metadata?.name;
  if (!name)
    return [
      { type: 'FieldValueRequired', field: 'metadata.name', message: 'name or generateName is required' },
    ];
  if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    return [
      {
        type: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
    ];
  }
  return [];
}

export function validateMetadataUpdate(obj: Obj, old: Obj, def: ResourceDef): FieldError[] {
  return obj.metadata.name === old.metadata.name ? [] : validateMetadata(obj, def);
}
