// Sets of field paths, as server-side apply tracks ownership, and their FieldsV1 encoding.
//
// A path element is kept in its FieldsV1 spelling: `f:<field>` for a member of a map or struct,
// `k:{"name":"c"}` for the item of a keyed list (key fields sorted by name), `v:<json>` for the
// item of a set, `i:<n>` for a list index. A set node holds the elements that are members at that
// level and, per element, the set below it. In FieldsV1 a member that also has children is written
// with a `".": {}` entry; a member without children is `{}`.

import { isObject, type JsonObject } from './json.js';

export type PathElement = string;
export type FieldPath = PathElement[];

/** Go's encoding/json output: like JSON.stringify, plus HTML-safe escapes. */
export function goJson(v: unknown): string {
  const s = JSON.stringify(v);
  if (!/[<>&\u2028\u2029]/.test(s)) return s;
  return s
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function fieldElement(name: string): PathElement {
  return `f:${name}`;
}

/** `k:` element from key field names and values (sorted by name). */
export function keyElement(fields: [string, unknown][]): PathElement {
  const sorted = fields.length > 1 ? [...fields].sort((a, b) => compareStrings(a[0], b[0])) : fields;
  return `k:{${sorted.map(([k, v]) => `${goJson(k)}:${goJson(v)}`).join(',')}}`;
}

export function valueElement(v: unknown): PathElement {
  return `v:${goJson(v)}`;
}

// ---- ordering (upstream's PathElement.Compare) ----

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const TYPE_RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

const parsed = new Map<string, unknown>();
function parseJsonPart(pe: PathElement): unknown {
  let v = parsed.get(pe);
  if (v === undefined) {
    v = JSON.parse(pe.slice(2));
    if (parsed.size > 10000) parsed.clear();
    parsed.set(pe, v);
  }
  return v;
}

/** Total order of JSON values: numbers < strings < booleans < lists < maps < null. */
export function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown) =>
    typeof v === 'number'
      ? 0
      : typeof v === 'string'
        ? 1
        : typeof v === 'boolean'
          ? 2
          : Array.isArray(v)
            ? 3
            : isObject(v)
              ? 4
              : 5;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return (a as number) - (b as number);
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return Number(a) - Number(b);
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return la.length - lb.length;
    }
    case 4:
      return compareFieldLists(sortedEntries(a as JsonObject), sortedEntries(b as JsonObject));
    default:
      return 0;
  }
}

function sortedEntries(o: JsonObject): [string, unknown][] {
  return Object.keys(o)
    .sort(compareStrings)
    .map((k) => [k, o[k]]);
}

function compareFieldLists(a: [string, unknown][], b: [string, unknown][]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length && i >= b.length) return 0;
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const c = compareStrings(a[i][0], b[i][0]) || compareValues(a[i][1], b[i][1]);
    if (c !== 0) return c;
  }
}

export function comparePathElements(a: PathElement, b: PathElement): number {
  const ta = TYPE_RANK[a[0]] ?? 4;
  const tb = TYPE_RANK[b[0]] ?? 4;
  if (ta !== tb) return ta - tb;
  switch (a[0]) {
    case 'f':
      return compareStrings(a, b); // same "f:" prefix
    case 'k':
      return compareFieldLists(
        sortedEntries(parseJsonPart(a) as JsonObject),
        sortedEntries(parseJsonPart(b) as JsonObject),
      );
    case 'v':
      return compareValues(parseJsonPart(a), parseJsonPart(b));
    case 'i':
      return Number(a.slice(2)) - Number(b.slice(2));
    default:
      return compareStrings(a, b);
  }
}

/** Upstream's human form of a path: `.spec.containers[name="app"].image`. */
export function pathToString(path: FieldPath): string {
  let out = '';
  for (const pe of path) {
    const body = pe.slice(2);
    switch (pe[0]) {
      case 'f':
        out += `.${body}`;
        break;
      case 'k': {
        const key = parseJsonPart(pe) as JsonObject;
        out += `[${sortedEntries(key)
          .map(([k, v]) => `${k}=${valueToString(v)}`)
          .join(',')}]`;
        break;
      }
      case 'v':
        out += `[=${valueToString(parseJsonPart(pe))}]`;
        break;
      case 'i':
        out += `[${body}]`;
        break;
      default:
        out += pe;
    }
  }
  return out;
}

function valueToString(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  if (isObject(v)) {
    return `{${sortedEntries(v)
      .map(([k, x]) => `${k}=${valueToString(x)}`)
      .join(',')}}`;
  }
  return String(v);
}

// ---- the set ----

/**
 * A set of field paths. Results of set operations share unchanged subtrees with their inputs, so
 * only build sets with `insert` (or fromPaths/fromFieldsV1) and treat them as values afterwards.
 */
export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  static fromPaths(paths: FieldPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      let next = node.children.get(path[i]);
      if (!next) {
        next = new FieldSet();
        node.children.set(path[i], next);
      }
      node = next;
    }
    node.members.add(path[path.length - 1]);
  }

  /** True when `path` is a member. */
  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(path[i]);
    return !!node && node.members.has(path[path.length - 1]);
  }

  child(pe: PathElement): FieldSet | undefined {
    return this.children.get(pe);
  }

  /** Children are never empty (every operation drops empty ones), so this is O(1). */
  isEmpty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const m of other.members) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = other.children.get(pe);
      out.children.set(pe, oc ? c.union(oc) : c);
    }
    for (const [pe, c] of other.children) {
      if (!this.children.has(pe)) out.children.set(pe, c);
    }
    return out;
  }

  /** Members of this set that are not members of `other` (membership is per exact path). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = other.children.get(pe);
      const d = oc ? c.difference(oc) : c;
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = other.children.get(pe);
      if (!oc) continue;
      const i = c.intersection(oc);
      if (!i.isEmpty()) out.children.set(pe, i);
    }
    return out;
  }

  /** Drops every path that is a member of `prefixes` or lies below one of its members. */
  recursiveDifference(prefixes: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!prefixes.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (prefixes.members.has(pe)) continue;
      const pc = prefixes.children.get(pe);
      const d = pc ? c.recursiveDifference(pc) : c;
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  copy(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c.copy());
    return out;
  }

  /** Member paths in upstream's iteration order: members of a level, then its children's. */
  paths(prefix: FieldPath = []): FieldPath[] {
    const out: FieldPath[] = [];
    for (const m of [...this.members].sort(comparePathElements)) out.push([...prefix, m]);
    for (const pe of [...this.children.keys()].sort(comparePathElements)) {
      out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    }
    return out;
  }

  toFieldsV1(): JsonObject {
    return this.writeFieldsV1({});
  }

  private writeFieldsV1(out: JsonObject): JsonObject {
    let keys: PathElement[];
    if (this.children.size === 0) keys = [...this.members];
    else {
      keys = [...this.children.keys()];
      for (const m of this.members) if (!this.children.has(m)) keys.push(m);
    }
    if (keys.length > 1) {
      // Plain string order is upstream's order when every element is a field name.
      if (keys.every((k) => k.charCodeAt(0) === 102 /* f */)) keys.sort();
      else keys.sort(comparePathElements);
    }
    for (const pe of keys) {
      const c = this.children.get(pe);
      if (c) out[pe] = c.writeFieldsV1(this.members.has(pe) ? { '.': {} } : {});
      else out[pe] = {};
    }
    return out;
  }

  /** Parses FieldsV1; throws on a malformed document. */
  static fromFieldsV1(doc: unknown): FieldSet {
    if (!isObject(doc)) throw new Error('FieldsV1 must be an object');
    const out = new FieldSet();
    for (const [pe, inner] of Object.entries(doc)) {
      if (pe === '.') continue;
      if (!/^[fkvi]:/.test(pe)) throw new Error(`unexpected path element ${JSON.stringify(pe)}`);
      if (pe[0] !== 'f') parseJsonPart(pe); // validates the JSON part
      if (!isObject(inner)) throw new Error(`expected an object under ${JSON.stringify(pe)}`);
      const keys = Object.keys(inner);
      if (keys.length === 0 || Object.hasOwn(inner, '.')) out.members.add(pe);
      if (keys.some((k) => k !== '.')) {
        const c = FieldSet.fromFieldsV1(inner);
        if (!c.isEmpty()) out.children.set(pe, c);
      }
    }
    return out;
  }
}
