// The slice of an OpenAPI v3 schema that patching needs, and a resolver over a definitions map.
// Strategic merge patch reads the patch strategy and merge key of each field; server-side apply
// reads list types, list-map keys, map types and which fields are declared. Everything here works
// on plain `Record<string, Schema>` definitions, so tests can use small hand-written fixtures and
// the API server can plug in the generated upstream-shaped definitions.

export interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  default?: unknown;
  'x-kubernetes-patch-merge-key'?: string;
  /** "merge" | "retainKeys" | "merge,retainKeys" | "replace" */
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [extension: string]: unknown;
}

/** A schema with its `$ref`/`allOf` indirections merged in (the wrapper's own keys win). */
export type SchemaNode = Schema;

export interface SchemaResolver {
  /** The resolved schema of a definition, e.g. `io.k8s.api.apps.v1.Deployment`; undefined when unknown. */
  root(name: string): SchemaNode | undefined;
  /** The resolved schema of member `name` of an object: a declared property, else additionalProperties. */
  field(node: SchemaNode, name: string): SchemaNode | undefined;
  /** The resolved schema of the items of an array. */
  items(node: SchemaNode): SchemaNode | undefined;
}

const REF_PREFIXES = ['#/components/schemas/', '#/definitions/'];

/** A resolver over an OpenAPI definitions map (`components.schemas` in v3, `definitions` in v2). */
export function createSchemaResolver(definitions: Record<string, Schema>): SchemaResolver {
  const cache = new WeakMap<Schema, SchemaNode>();

  function lookup(ref: string): Schema | undefined {
    for (const prefix of REF_PREFIXES) {
      if (ref.startsWith(prefix)) return definitions[ref.slice(prefix.length)];
    }
    return definitions[ref];
  }

  function resolve(schema: Schema, depth = 0): SchemaNode {
    const hit = cache.get(schema);
    if (hit) return hit;
    if (depth > 32 || (!schema.$ref && !schema.allOf)) return schema;
    // Merge referenced parts first so the wrapper's own keys (description, default, patch
    // extensions on the property) take precedence.
    let merged: Schema = {};
    const parts: Schema[] = [];
    if (schema.$ref) {
      const target = lookup(schema.$ref);
      if (target) parts.push(target);
    }
    if (schema.allOf) parts.push(...schema.allOf);
    for (const part of parts) merged = { ...merged, ...resolve(part, depth + 1) };
    const { $ref: _ref, allOf: _allOf, ...own } = schema;
    merged = { ...merged, ...own };
    cache.set(schema, merged);
    return merged;
  }

  return {
    root(name) {
      const def = definitions[name];
      return def ? resolve(def) : undefined;
    },
    field(node, name) {
      const prop = node.properties?.[name];
      if (prop) return resolve(prop);
      const ap = node.additionalProperties;
      if (ap && typeof ap === 'object') return resolve(ap);
      return undefined;
    },
    items(node) {
      return node.items ? resolve(node.items) : undefined;
    },
  };
}

/** A resolver that knows no types: every object merges key by key and every list is atomic. */
export const untypedResolver: SchemaResolver = {
  root: () => undefined,
  field: () => undefined,
  items: () => undefined,
};

// ---- strategic merge patch metadata ----

export interface PatchMeta {
  /** "merge", "replace" or "" (default: maps merge, lists replace); retainKeys is split out. */
  strategy: string;
  retainKeys: boolean;
  mergeKey: string;
}

const NO_PATCH_META: PatchMeta = { strategy: '', retainKeys: false, mergeKey: '' };

/** Patch strategy and merge key of a field, as upstream's struct tags carry them. */
export function patchMetaOf(node: SchemaNode | undefined): PatchMeta {
  if (!node) return NO_PATCH_META;
  const raw = node['x-kubernetes-patch-strategy'];
  const mergeKey = node['x-kubernetes-patch-merge-key'] ?? '';
  if (!raw) return mergeKey ? { ...NO_PATCH_META, mergeKey } : NO_PATCH_META;
  const parts = raw.split(',').filter((s) => s !== '');
  const retainKeys = parts.includes('retainKeys');
  const strategy = parts.find((s) => s !== 'retainKeys') ?? '';
  return { strategy, retainKeys, mergeKey };
}

// ---- structure for server-side apply ----

export type NodeKind = 'struct' | 'map' | 'list' | 'scalar' | 'untyped';

export interface NodeInfo {
  kind: NodeKind;
  /** Maps/structs with x-kubernetes-map-type atomic, and atomic lists: owned and replaced as a whole. */
  atomic: boolean;
  /** For lists: "map" (items keyed by `keys`), "set" (items are their own key) or "atomic". */
  listType?: 'atomic' | 'set' | 'map';
  keys?: string[];
  /** Unknown members are accepted (x-kubernetes-preserve-unknown-fields or free-form objects). */
  open: boolean;
}

const infoCache = new WeakMap<SchemaNode, NodeInfo>();
const SCALAR_TYPES = new Set(['string', 'integer', 'number', 'boolean']);
const UNTYPED: NodeInfo = { kind: 'untyped', atomic: false, open: true };

/** How server-side apply treats a schema node (upstream's schemaconv rules, simplified). */
export function nodeInfo(node: SchemaNode | undefined): NodeInfo {
  if (!node) return UNTYPED;
  const hit = infoCache.get(node);
  if (hit) return hit;
  let info: NodeInfo;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (node.type === 'array' || node.items) {
    const { listType, keys } = listTypeOf(node);
    info = { kind: 'list', atomic: listType === 'atomic', listType, keys, open: false };
  } else if (node.properties) {
    info = {
      kind: 'struct',
      atomic: node['x-kubernetes-map-type'] === 'atomic',
      open: preserve || !!node.additionalProperties,
    };
  } else if (node.type === 'object' || node.additionalProperties) {
    const typedElems = typeof node.additionalProperties === 'object';
    info = {
      kind: typedElems ? 'map' : 'untyped',
      atomic: node['x-kubernetes-map-type'] === 'atomic',
      open: true,
    };
  } else if (SCALAR_TYPES.has(node.type ?? '') || node['x-kubernetes-int-or-string'] === true) {
    info = { kind: 'scalar', atomic: false, open: false };
  } else {
    // No usable type (free-form JSON): the value's own shape decides.
    info = UNTYPED;
  }
  infoCache.set(node, info);
  return info;
}

/** List type with upstream's fallback to the patch strategy when x-kubernetes-list-type is absent. */
function listTypeOf(node: SchemaNode): { listType: 'atomic' | 'set' | 'map'; keys?: string[] } {
  const lt = node['x-kubernetes-list-type'];
  if (lt === 'map') return { listType: 'map', keys: node['x-kubernetes-list-map-keys'] ?? [] };
  if (lt === 'set' || lt === 'atomic') return { listType: lt };
  const meta = patchMetaOf(node);
  if (meta.strategy === 'merge') {
    return meta.mergeKey ? { listType: 'map', keys: [meta.mergeKey] } : { listType: 'set' };
  }
  return { listType: 'atomic' };
}

/** True when `name` is a declared property (a "named field") of a struct schema. */
export function isNamedField(node: SchemaNode | undefined, name: string): boolean {
  return !!node?.properties && Object.hasOwn(node.properties, name);
}
