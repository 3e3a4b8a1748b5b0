// Validation of a custom resource against its CRD's structural openAPIV3Schema, with upstream's
// (kube-openapi's) wording: `spec.replicas: Invalid value: "x": spec.replicas in body must be of type
// integer: "string"`, `Required value`, `Unsupported value`, minimum/maximum/pattern/length/items.
import {
  child,
  duplicate,
  index,
  invalid,
  notSupported,
  Rendered,
  required,
  tooLong,
  tooMany,
} from '../field.js';
import { isObject } from '../guards.js';
import type { Schema } from '../schema.js';
import type { FieldError } from '../types.js';

/** The JSON type name of a value as the validator reports it. */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

const patternCache = new Map<string, RegExp | null>();
function compiled(pattern: string): RegExp | null {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null;
    }
    patternCache.set(pattern, re);
  }
  return re;
}

function typeError(path: string, v: unknown, type: string): FieldError {
  const shown = v === null ? 'null' : typeOf(v);
  return {
    type: 'FieldValueTypeInvalid',
    field: path,
    message: `Invalid value: "${shown}": ${path} in body must be of type ${type}: "${shown}"`,
  };
}

/** Validates `value` at `path` against schema `s`; errors are appended to `out`. */
export function validateValue(value: unknown, s: Schema, path: string, out: FieldError[]): void {
  if (value === null) {
    if (s.nullable || s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-int-or-string']) return;
    if (s.type) out.push(typeError(path, value, s.type));
    return;
  }
  if (s['x-kubernetes-int-or-string']) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
      out.push(typeError(path, value, 'integer,string'));
      return;
    }
  } else if (s.type && !typeMatches(s.type, value)) {
    out.push(typeError(path, value, s.type));
    return;
  }
  const sx = s as Schema & Record<string, any>;
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    out.push(
      notSupported(
        path,
        value,
        s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    );
  }
  if (typeof value === 'number') {
    if (typeof sx.minimum === 'number') {
      if (sx.exclusiveMinimum ? value <= sx.minimum : value < sx.minimum)
        out.push(
          invalid(
            path,
            value,
            `${path} in body should be greater than ${sx.exclusiveMinimum ? '' : 'or equal to '}${sx.minimum}`,
          ),
        );
    }
    if (typeof sx.maximum === 'number') {
      if (sx.exclusiveMaximum ? value >= sx.maximum : value > sx.maximum)
        out.push(
          invalid(
            path,
            value,
            `${path} in body should be less than ${sx.exclusiveMaximum ? '' : 'or equal to '}${sx.maximum}`,
          ),
        );
    }
    if (typeof sx.multipleOf === 'number' && sx.multipleOf > 0 && value % sx.multipleOf !== 0)
      out.push(invalid(path, value, `${path} in body should be a multiple of ${sx.multipleOf}`));
  }
  if (typeof value === 'string') {
    const len = [...value].length;
    if (typeof sx.maxLength === 'number' && len > sx.maxLength) out.push(tooLong(path, sx.maxLength));
    if (typeof sx.minLength === 'number' && len < sx.minLength)
      out.push(invalid(path, value, `${path} in body should be at least ${sx.minLength} chars long`));
    if (typeof sx.pattern === 'string') {
      const re = compiled(sx.pattern);
      if (re && !re.test(value))
        out.push(invalid(path, value, `${path} in body should match '${sx.pattern}'`));
    }
  }
  if (Array.isArray(value)) {
    if (typeof sx.maxItems === 'number' && value.length > sx.maxItems)
      out.push(tooMany(path, value.length, sx.maxItems));
    if (typeof sx.minItems === 'number' && value.length < sx.minItems)
      out.push(invalid(path, value.length, `${path} in body should have at least ${sx.minItems} items`));
    if (s.items) for (let i = 0; i < value.length; i++) validateValue(value[i], s.items, index(path, i), out);
    out.push(...listDuplicates(value, s, path));
    return;
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (typeof sx.maxProperties === 'number' && keys.length > sx.maxProperties)
      out.push(tooMany(path, keys.length, sx.maxProperties));
    if (typeof sx.minProperties === 'number' && keys.length < sx.minProperties)
      out.push(
        invalid(path, keys.length, `${path} in body should have at least ${sx.minProperties} properties`),
      );
    for (const r of s.required ?? []) if (value[r] === undefined) out.push(required(child(path, r)));
    for (const k of keys) {
      const prop = s.properties?.[k];
      if (prop) validateValue(value[k], prop, child(path, k), out);
      else if (isObject(s.additionalProperties))
        validateValue(value[k], s.additionalProperties, child(path, k), out);
    }
  }
}

/** `x-kubernetes-list-type: set` items and `map` keys must be unique. */
function listDuplicates(items: unknown[], s: Schema, path: string): FieldError[] {
  const type = s['x-kubernetes-list-type'];
  if (type !== 'set' && type !== 'map') return [];
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  const out: FieldError[] = [];
  items.forEach((item, i) => {
    const id =
      type === 'set'
        ? JSON.stringify(item)
        : JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
    if (!seen.has(id)) {
      seen.add(id);
      return;
    }
    const shown =
      type === 'set'
        ? item
        : new Rendered(
            `map[string]interface {}{${keys
              .map((k) => `${JSON.stringify(k)}:${JSON.stringify(isObject(item) ? item[k] : null)}`)
              .join(', ')}}`,
          );
    out.push(duplicate(index(path, i), shown));
  });
  return out;
}

/** Errors of a whole custom resource against the version's root schema (metadata is checked elsewhere). */
export function validateCustomResource(obj: Record<string, unknown>, root: Schema): FieldError[] {
  const out: FieldError[] = [];
  for (const r of root.required ?? []) if (obj[r] === undefined) out.push(required(r));
  // The root schema may constrain metadata.name and generateName (and nothing else of metadata).
  const meta = root.properties?.metadata?.properties;
  const m = isObject(obj.metadata) ? obj.metadata : {};
  for (const k of ['name', 'generateName'])
    if (meta?.[k] && m[k] !== undefined) validateValue(m[k], meta[k], `metadata.${k}`, out);
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    const prop = root.properties?.[k];
    if (prop) validateValue(v, prop, k, out);
    else if (isObject(root.additionalProperties)) validateValue(v, root.additionalProperties, k, out);
  }
  return out;
}

/** Sets `default` values of absent properties, as upstream's structural defaulting does. */
export function applySchemaDefaults(value: unknown, s: Schema): void {
  if (Array.isArray(value)) {
    if (s.items) for (const item of value) applySchemaDefaults(item, s.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    if (value[k] === undefined && prop.default !== undefined) value[k] = structuredClone(prop.default);
    if (value[k] !== undefined) applySchemaDefaults(value[k], prop);
  }
  if (isObject(s.additionalProperties))
    for (const k of Object.keys(value))
      if (!s.properties?.[k]) applySchemaDefaults(value[k], s.additionalProperties);
}
