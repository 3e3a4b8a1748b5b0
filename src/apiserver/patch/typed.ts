// Schema-aware walks over JSON objects, the structured-merge-diff operations server-side apply is
// built from: the field set of a value, the comparison of two values (added / modified / removed
// paths), the merge of an applied configuration into a live object, and pruning of fields.
//
// Structure comes from the schema: structs and maps are walked member by member unless their
// map type is atomic; lists are atomic unless they are sets (items keyed by their value) or maps
// (items keyed by x-kubernetes-list-map-keys, falling back to the patch merge key). Objects with
// no schema are walked as maps whose lists are atomic. Empty or null maps and lists are leaves.

import {
  type FieldPath,
  FieldSet,
  fieldElement,
  keyElement,
  type PathElement,
  pathToString,
  valueElement,
} from './fieldset.js';
import { deepEqual, isObject, type JsonObject } from './json.js';
import { isNamedField, type NodeInfo, nodeInfo, type SchemaNode, type SchemaResolver } from './schema.js';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

type Shape = 'map' | 'list' | 'leaf' | 'none';

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/** How one value is walked under a schema node. */
function shapeOf(info: NodeInfo, v: unknown): Shape {
  if (v === undefined) return 'none';
  if (info.atomic) return 'leaf';
  switch (info.kind) {
    case 'struct':
    case 'map':
      return v === null || isObject(v) ? 'map' : 'leaf';
    case 'list':
      return v === null || Array.isArray(v) ? 'list' : 'leaf';
    case 'untyped':
      return isObject(v) ? 'map' : 'leaf';
    default:
      return 'leaf';
  }
}

/** How a pair of values is walked: both sides must agree, and two empty sides are a leaf. */
function pairShape(info: NodeInfo, l: unknown, r: unknown): Exclude<Shape, 'none'> {
  const sl = shapeOf(info, l);
  const sr = shapeOf(info, r);
  if (sl === 'leaf' || sr === 'leaf') return 'leaf';
  if (sl !== 'none' && sr !== 'none' && sl !== sr) return 'leaf';
  if (isEmptyContainer(l) && isEmptyContainer(r)) return 'leaf';
  return sl === 'none' ? (sr as 'map' | 'list') : (sl as 'map' | 'list');
}

function isEmptyObjectDefault(node: SchemaNode | undefined): boolean {
  const d = node?.default;
  return isObject(d) && Object.keys(d).length === 0;
}

export class Typed {
  constructor(private readonly resolver: SchemaResolver) {}

  root(schemaName: string | undefined): SchemaNode | undefined {
    return schemaName ? this.resolver.root(schemaName) : undefined;
  }

  field(node: SchemaNode | undefined, name: string): SchemaNode | undefined {
    return node ? this.resolver.field(node, name) : undefined;
  }

  items(node: SchemaNode | undefined): SchemaNode | undefined {
    return node ? this.resolver.items(node) : undefined;
  }

  /** The path element of a list item, or an error text when the item cannot be keyed. */
  itemElement(
    info: NodeInfo,
    itemNode: SchemaNode | undefined,
    item: unknown,
  ): PathElement | { error: string } {
    const keys = info.keys ?? [];
    if (info.listType === 'map' && keys.length > 0) {
      if (item === null) return { error: 'associative list with keys may not have a null element' };
      if (!isObject(item)) return { error: 'associative list with keys may not have non-map elements' };
      const fields: [string, unknown][] = [];
      for (const k of keys) {
        if (Object.hasOwn(item, k)) {
          fields.push([k, item[k]]);
        } else {
          // Key fields with a schema default (e.g. a port's protocol) key by that default.
          const def = this.field(itemNode, k)?.default;
          if (def === undefined) {
            return {
              error: `associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`,
            };
          }
          fields.push([k, def]);
        }
      }
      return keyElement(fields);
    }
    if (isObject(item)) return { error: "associative list without keys has an element that's a map type" };
    if (Array.isArray(item))
      return { error: "associative list without keys has an element that's a list type" };
    return valueElement(item);
  }

  /** Items of a granular list by path element, first occurrence wins; unkeyable items are skipped. */
  private indexItems(
    info: NodeInfo,
    itemNode: SchemaNode | undefined,
    list: unknown,
  ): Map<PathElement, unknown> {
    const out = new Map<PathElement, unknown>();
    if (!Array.isArray(list)) return out;
    for (const item of list) {
      const pe = this.itemElement(info, itemNode, item);
      if (typeof pe === 'string' && !out.has(pe)) out.set(pe, item);
    }
    return out;
  }

  /** Child value of a map for walking; named struct fields defaulting to `{}` count as present. */
  private member(
    parent: unknown,
    node: SchemaNode | undefined,
    key: string,
    childNode: SchemaNode | undefined,
  ): unknown {
    if (!isObject(parent)) return undefined;
    if (Object.hasOwn(parent, key)) return parent[key];
    // Upstream compares typed Go objects, where non-pointer structs always exist; OpenAPI marks
    // those fields with `default: {}`.
    if (isNamedField(node, key) && isEmptyObjectDefault(childNode)) return {};
    return undefined;
  }

  // ---- field sets ----

  /** The set of fields a value sets (upstream's ToFieldSet). */
  toFieldSet(value: unknown, node: SchemaNode | undefined): FieldSet {
    const set = new FieldSet();
    this.collect(value, node, [], set);
    return set;
  }

  private collect(v: unknown, node: SchemaNode | undefined, path: FieldPath, set: FieldSet): void {
    const info = nodeInfo(node);
    const shape = shapeOf(info, v);
    if (shape === 'map' && isObject(v) && Object.keys(v).length > 0) {
      for (const key of Object.keys(v)) {
        path.push(fieldElement(key));
        this.collect(v[key], this.field(node, key), path, set);
        if (!isNamedField(node, key)) set.insert(path);
        path.pop();
      }
    } else if (shape === 'list' && Array.isArray(v) && v.length > 0) {
      const itemNode = this.items(node);
      for (const item of v) {
        const pe = this.itemElement(info, itemNode, item);
        if (typeof pe !== 'string') continue;
        path.push(pe);
        this.collect(item, itemNode, path, set);
        set.insert(path);
        path.pop();
      }
    } else if (path.length > 0) {
      set.insert(path);
    }
  }

  // ---- comparison ----

  compare(lhs: unknown, rhs: unknown, node: SchemaNode | undefined): Comparison {
    const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
    this.cmp(lhs, rhs, node, [], out);
    return out;
  }

  private cmp(l: unknown, r: unknown, node: SchemaNode | undefined, path: FieldPath, out: Comparison): void {
    const info = nodeInfo(node);
    const shape = pairShape(info, l, r);
    if (shape === 'leaf') {
      if (l === undefined) {
        if (r !== undefined) out.added.insert(path);
      } else if (r === undefined) {
        out.removed.insert(path);
      } else if (!deepEqual(l, r)) {
        out.modified.insert(path);
      }
      return;
    }
    if (shape === 'map') {
      const keys = new Set([...(isObject(l) ? Object.keys(l) : []), ...(isObject(r) ? Object.keys(r) : [])]);
      for (const key of keys) {
        const childNode = this.field(node, key);
        const lv = this.member(l, node, key, childNode);
        const rv = this.member(r, node, key, childNode);
        if (lv === undefined && rv === undefined) continue;
        path.push(fieldElement(key));
        this.cmp(lv, rv, childNode, path, out);
        path.pop();
      }
    } else {
      const itemNode = this.items(node);
      const li = this.indexItems(info, itemNode, l);
      const ri = this.indexItems(info, itemNode, r);
      for (const [pe, item] of li) {
        path.push(pe);
        this.cmp(item, ri.get(pe), itemNode, path, out);
        path.pop();
      }
      for (const [pe, item] of ri) {
        if (li.has(pe)) continue;
        path.push(pe);
        this.cmp(undefined, item, itemNode, path, out);
        path.pop();
      }
    }
    // Non-leaf nodes that appear or disappear are themselves added or removed.
    if (path.length > 0) {
      if (l === undefined) out.added.insert(path);
      else if (r === undefined) out.removed.insert(path);
    }
  }

  /**
   * The added and modified paths of `compare({}, rhs, node)`, computed without building the other sets:
   * what a write onto an empty object changes (a create). Mirrors cmp() with a left side that is always
   * `{}` or absent, so the result is the same set.
   */
  changedFromEmpty(rhs: unknown, node: SchemaNode | undefined): FieldSet {
    const out = new FieldSet();
    this.fromEmpty({}, rhs, node, out, undefined);
    return out;
  }

  /**
   * cmp(l, r) for a left side that is `{}` or absent, keeping added and modified paths. `set` is the
   * set node of the parent path and `pe` the element of this value (undefined at the root, where
   * `set` is the result itself); nodes are built in place instead of inserting whole paths.
   */
  private fromEmpty(
    l: JsonObject | undefined,
    r: unknown,
    node: SchemaNode | undefined,
    set: FieldSet,
    pe: PathElement | undefined,
  ): void {
    const info = nodeInfo(node);
    const shape = pairShape(info, l, r);
    if (shape === 'leaf') {
      if (pe !== undefined && r !== undefined && (l === undefined || !deepEqual(l, r))) set.members.add(pe);
      return;
    }
    // Children go in a node of their own, attached only when not empty (sets never hold empty children).
    const below = pe === undefined ? set : new FieldSet();
    if (shape === 'map') {
      // The left side has no keys, so the keys are the right side's.
      if (isObject(r)) {
        for (const key of Object.keys(r)) {
          const childNode = this.field(node, key);
          const lv = this.member(l, node, key, childNode) as JsonObject | undefined;
          const rv = this.member(r, node, key, childNode);
          if (lv === undefined && rv === undefined) continue;
          this.fromEmpty(lv, rv, childNode, below, fieldElement(key));
        }
      }
    } else {
      // The left side is not a list: every item of the right side is added.
      const itemNode = this.items(node);
      for (const [itemPe, item] of this.indexItems(info, itemNode, r)) {
        this.fromEmpty(undefined, item, itemNode, below, itemPe);
      }
    }
    if (pe === undefined) return;
    if (!below.isEmpty()) set.children.set(pe, below);
    if (l === undefined) set.members.add(pe);
  }

  // ---- merge ----

  /** Merges `rhs` (an applied configuration) into `lhs` (the live object); `rhs` wins at leaves. */
  merge(lhs: unknown, rhs: unknown, node: SchemaNode | undefined): unknown {
    if (rhs === undefined) return lhs;
    if (lhs === undefined) return rhs;
    const info = nodeInfo(node);
    const shape = pairShape(info, lhs, rhs);
    if (shape === 'leaf') return rhs;
    if (shape === 'map') {
      const l = isObject(lhs) ? lhs : {};
      const r = isObject(rhs) ? rhs : {};
      const out: JsonObject = {};
      for (const key of Object.keys(l)) out[key] = this.merge(l[key], r[key], this.field(node, key));
      for (const key of Object.keys(r)) if (!Object.hasOwn(l, key)) out[key] = r[key];
      return out;
    }
    return this.mergeLists(info, node, lhs, rhs);
  }

  /** Upstream's list merge: the applied order wins for shared items, live-only items keep their place. */
  private mergeLists(info: NodeInfo, node: SchemaNode | undefined, lhs: unknown, rhs: unknown): unknown[] {
    const itemNode = this.items(node);
    const lMap = this.indexItems(info, itemNode, lhs);
    const rMap = this.indexItems(info, itemNode, rhs);
    const lOrder = [...lMap.keys()];
    const rOrder = [...rMap.keys()];
    const shared = rOrder.filter((pe) => lMap.has(pe));
    let next = shared.shift();
    const out: unknown[] = [];
    const take = (pe: PathElement) => out.push(this.merge(lMap.get(pe), rMap.get(pe), itemNode));

    let lI = 0;
    let rI = 0;
    while (lI < lOrder.length || rI < rOrder.length) {
      if (lI < lOrder.length && rI < rOrder.length) {
        const pe = lOrder[lI];
        if (pe === rOrder[rI]) {
          take(pe);
          lI++;
          rI++;
          next = shared.shift();
          continue;
        }
        if (rMap.has(pe) && next !== undefined && next !== pe) {
          lI++; // shared item that comes later in the applied order
          continue;
        }
      }
      if (lI < lOrder.length && !rMap.has(lOrder[lI])) {
        out.push(lMap.get(lOrder[lI]));
        lI++;
        continue;
      }
      if (rI < rOrder.length) {
        const pe = rOrder[rI];
        take(pe);
        rI++;
        if (next === pe) next = shared.shift();
        continue;
      }
      lI++; // only already-merged shared items remain on the left
    }
    return out;
  }

  // ---- pruning ----

  /**
   * Removes from `value` (mutated) what the applier owned before (`last`) and nobody owns now
   * (`owned`): a field, map entry or list item goes with everything below it. Named struct fields
   * count as owned when anything below them is. Containers emptied by pruning are removed.
   */
  prune(value: unknown, last: FieldSet, owned: FieldSet | undefined, node: SchemaNode | undefined): unknown {
    const info = nodeInfo(node);
    const shape = shapeOf(info, value);
    if (shape === 'map' && isObject(value)) {
      for (const key of Object.keys(value)) {
        const pe = fieldElement(key);
        const named = isNamedField(node, key);
        const lastChild = last.child(pe);
        const ownedChild = owned?.child(pe);
        const inLast = last.members.has(pe) || (named && !!lastChild);
        const inOwned =
          !!owned && (owned.members.has(pe) || (named && !!ownedChild && !ownedChild.isEmpty()));
        if (inLast && !inOwned) {
          delete value[key];
        } else if (lastChild) {
          const before = value[key];
          const after = this.prune(before, lastChild, ownedChild, this.field(node, key));
          if (!isEmptyContainer(before) && isEmptyContainer(after)) delete value[key];
        }
      }
      return value;
    }
    if (shape === 'list' && Array.isArray(value)) {
      const itemNode = this.items(node);
      const kept: unknown[] = [];
      for (const item of value) {
        const pe = this.itemElement(info, itemNode, item);
        if (typeof pe !== 'string') {
          kept.push(item);
          continue;
        }
        const lastChild = last.child(pe);
        if (last.members.has(pe) && !owned?.members.has(pe)) continue;
        if (lastChild) this.prune(item, lastChild, owned?.child(pe), itemNode);
        kept.push(item);
      }
      value.length = 0;
      value.push(...kept);
      return value;
    }
    return value;
  }

  // ---- validation of an applied configuration ----

  /** Upstream-style errors for fields the schema does not declare and duplicate or unkeyable items. */
  validate(value: unknown, node: SchemaNode | undefined): string[] {
    const errors: string[] = [];
    this.check(value, node, [], errors);
    return errors;
  }

  private check(v: unknown, node: SchemaNode | undefined, path: FieldPath, errors: string[]): void {
    const info = nodeInfo(node);
    const shape = shapeOf(info, v);
    if (shape === 'map' && isObject(v)) {
      for (const key of Object.keys(v)) {
        path.push(fieldElement(key));
        if (info.kind === 'struct' && !info.open && !isNamedField(node, key)) {
          errors.push(`${pathToString(path)}: field not declared in schema`);
        } else {
          this.check(v[key], this.field(node, key), path, errors);
        }
        path.pop();
      }
    } else if (shape === 'list' && Array.isArray(v)) {
      const itemNode = this.items(node);
      const seen = new Set<PathElement>();
      v.forEach((item, i) => {
        const pe = this.itemElement(info, itemNode, item);
        if (typeof pe !== 'string') {
          errors.push(`${pathToString(path)}: element ${i}: ${pe.error}`);
          return;
        }
        if (seen.has(pe)) {
          errors.push(`${pathToString(path)}: duplicate entries for key ${pathToString([pe])}`);
          return;
        }
        seen.add(pe);
        path.push(pe);
        this.check(item, itemNode, path, errors);
        path.pop();
      });
    }
  }
}
