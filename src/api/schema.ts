// OpenAPI schemas of every built-in type, generated at build time (scripts/gen-schemas.mjs) into
// generated/definitions.json and loaded once. Definitions use upstream names
// (io.k8s.api.core.v1.Pod) and upstream's v3 shape: a property referring to another type is
// `{allOf: [{$ref: '#/components/schemas/NAME'}], description}` and carries patch metadata
// (x-kubernetes-patch-strategy, -merge-key, -list-type, -list-map-keys) next to the reference.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [extension: `x-${string}`]: unknown;
}

export const REF_PREFIX = '#/components/schemas/';

let defs: Record<string, Schema> | undefined;

/** The package root: the nearest directory above this module holding package.json (works from src/ and dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('k8ts package root not found');
    dir = up;
  }
  return dir;
}

/** All definitions, keyed by upstream name. Loaded on first use; treat as read-only. */
export function definitions(): Record<string, Schema> {
  if (!defs) {
    const file = join(packageRoot(), 'generated', 'definitions.json');
    if (!existsSync(file))
      throw new Error(`${file} is missing: run \`node scripts/gen-schemas.mjs\` (part of npm run build)`);
    defs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Schema>;
  }
  return defs;
}

export function definition(name: string): Schema | undefined {
  return definitions()[name];
}

/** Name of the definition a schema refers to (`$ref` or single-`allOf` wrapper), if any. */
export function refName(s: Schema): string | undefined {
  const ref = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0].$ref : undefined);
  return ref?.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

const resolved = new WeakMap<Schema, Schema>();

/**
 * The effective schema: a reference (`$ref` or `allOf:[{$ref}]`) is replaced by its target, keeping the
 * wrapper's own keys (description, patch metadata) on top. Accepts a definition name or a
 * `#/components/schemas/NAME` reference too.
 */
export function resolve(schemaOrName: Schema | string): Schema {
  if (typeof schemaOrName === 'string') {
    const name = schemaOrName.startsWith(REF_PREFIX) ? schemaOrName.slice(REF_PREFIX.length) : schemaOrName;
    const d = definition(name);
    if (!d) throw new Error(`unknown schema ${schemaOrName}`);
    return resolve(d);
  }
  const s = schemaOrName;
  const name = refName(s);
  if (!name) return s;
  const hit = resolved.get(s);
  if (hit) return hit;
  const target = resolve(name);
  const { $ref: _r, allOf: _a, ...own } = s;
  const merged = { ...target, ...own };
  resolved.set(s, merged);
  return merged;
}

/** Schema of one step down: a property, a map value, or a list item (numeric segment). */
export function childSchema(parent: Schema, segment: string | number): Schema | undefined {
  const p = resolve(parent);
  if (typeof segment === 'number') return p.items ? resolve(p.items) : undefined;
  const prop = p.properties?.[segment];
  if (prop) return resolve(prop);
  if (p.additionalProperties && typeof p.additionalProperties === 'object')
    return resolve(p.additionalProperties);
  if (p.items && /^\d+$/.test(segment)) return resolve(p.items);
  return undefined;
}

/**
 * The field schema at a path below a definition, e.g. `schemaAt('io.k8s.api.core.v1.Pod',
 * 'spec.containers[0].env')` or with segments `['spec', 'containers', 0]`. Undefined when the path
 * leaves the schema (unknown field, or inside arbitrary JSON).
 */
export function schemaAt(root: string | Schema, path: string | (string | number)[]): Schema | undefined {
  let s: Schema | undefined = resolve(root);
  for (const seg of typeof path === 'string' ? parsePath(path) : path) {
    if (!s) return undefined;
    s = childSchema(s, seg);
  }
  return s;
}

/** `a.b[0].c` -> ['a', 'b', 0, 'c']. */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

export interface PatchMeta {
  /** Values of x-kubernetes-patch-strategy split on ',' (merge, retainKeys, replace). */
  strategies: string[];
  mergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

/** Strategic-merge and apply metadata of a field schema (as returned by childSchema/schemaAt). */
export function patchMeta(s: Schema): PatchMeta {
  const strategy = s['x-kubernetes-patch-strategy'];
  return {
    strategies: strategy ? strategy.split(',') : [],
    mergeKey: s['x-kubernetes-patch-merge-key'],
    listType: s['x-kubernetes-list-type'],
    listMapKeys: s['x-kubernetes-list-map-keys'],
  };
}

/** The definition name of a kind, found through x-kubernetes-group-version-kind. */
export function definitionForKind(group: string, version: string, kind: string): string | undefined {
  kindIndex ??= buildKindIndex();
  return kindIndex.get(`${group}/${version}/${kind}`);
}

let kindIndex: Map<string, string> | undefined;
function buildKindIndex(): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, d] of Object.entries(definitions())) {
    for (const gvk of d['x-kubernetes-group-version-kind'] ?? [])
      m.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
  }
  return m;
}
