// The structural-schema rules upstream enforces on a CRD version's openAPIV3Schema (a subset): every
// node says its type (unless x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields says
// the value is free), the root is an object, metadata at the root may only constrain name and
// generateName, and no node both lists properties and allows additionalProperties.
import { child, forbidden, invalid, notSupported, required } from '../field.js';
import { isObject } from '../guards.js';
import type { FieldError, Obj } from '../types.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

function checkNode(s: Obj, path: string, root: boolean, out: FieldError[]): void {
  const free = s['x-kubernetes-int-or-string'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type === undefined || s.type === '') {
    if (root) out.push(required(child(path, 'type'), 'must not be empty at the root'));
    else if (!free) out.push(required(child(path, 'type'), 'must not be empty for specified object fields'));
  } else if (!TYPES.includes(s.type)) {
    out.push(notSupported(child(path, 'type'), s.type, TYPES));
  } else if (root && s.type !== 'object') {
    out.push(invalid(child(path, 'type'), s.type, 'must be object at the root'));
  }
  if (s['x-kubernetes-int-or-string'] === true && s.type !== undefined && s.type !== '')
    out.push(invalid(child(path, 'type'), s.type, 'must be empty if x-kubernetes-int-or-string is true'));
  if (s.properties !== undefined && !isObject(s.properties))
    out.push(invalid(child(path, 'properties'), s.properties, 'must be an object'));
  if (isObject(s.properties) && s.additionalProperties !== undefined && s.additionalProperties !== false)
    out.push(
      forbidden(
        child(path, 'additionalProperties'),
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  if (s.type === 'array' && s.items === undefined)
    out.push(required(child(path, 'items'), 'must be specified'));
  for (const [k, p] of Object.entries(isObject(s.properties) ? s.properties : {})) {
    const pp = `${path}.properties[${k}]`;
    if (!isObject(p)) {
      out.push(invalid(pp, p, 'must be an object'));
      continue;
    }
    if (root && k === 'metadata') checkRootMetadata(p, pp, out);
    checkNode(p, pp, false, out);
  }
  if (isObject(s.items)) checkNode(s.items, child(path, 'items'), false, out);
  else if (s.items !== undefined) out.push(invalid(child(path, 'items'), s.items, 'must be a schema'));
  if (isObject(s.additionalProperties))
    checkNode(s.additionalProperties, child(path, 'additionalProperties'), false, out);
  if (typeof s.pattern === 'string') {
    try {
      new RegExp(s.pattern, 'u');
    } catch {
      out.push(invalid(child(path, 'pattern'), s.pattern, 'must be a valid regular expression'));
    }
  }
}

function checkRootMetadata(s: Obj, path: string, out: FieldError[]): void {
  if (s.type !== undefined && s.type !== 'object')
    out.push(invalid(child(path, 'type'), s.type, 'must be object'));
  for (const k of Object.keys(isObject(s.properties) ? s.properties : {}))
    if (k !== 'name' && k !== 'generateName')
      out.push(forbidden(`${path}.properties[${k}]`, 'must not be specified'));
}

/** Errors of one version's schema; `path` is e.g. `spec.versions[0].schema.openAPIV3Schema`. */
export function validateStructuralSchema(schema: unknown, path: string): FieldError[] {
  if (schema === undefined || schema === null) return [required(path, 'schemas are required')];
  if (!isObject(schema)) return [invalid(path, schema, 'must be an object')];
  const out: FieldError[] = [];
  checkNode(schema, path, true, out);
  return out;
}
