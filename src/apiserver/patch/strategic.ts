// Strategic merge patch (application/strategic-merge-patch+json), the server side of it: applying
// a patch as `kubectl patch --type strategic` and client-side `kubectl apply` send it. Semantics
// follow upstream's apimachinery strategicpatch (MergeParallelList and IgnoreUnmatchedNulls on):
//
// - maps merge key by key; `null` deletes a key; `$patch: replace` replaces a map, `$patch: delete`
//   empties it; fields whose strategy is "replace" are replaced whole;
// - lists with strategy "merge" merge: lists of maps by their merge key (`$patch: delete` items
//   remove entries, a `$patch: replace` item replaces the list), lists of scalars as a union;
//   every other list is replaced;
// - `$retainKeys: [...]` drops the keys of the original map not listed;
// - `$setElementOrder/<field>: [...]` fixes the order of a merging list;
// - `$deleteFromPrimitiveList/<field>: [...]` removes scalars from a merging list;
// - order of merged lists: patch items keep the patch's relative order, items only on the server
//   keep theirs, and are interleaved by their position in the original list.
// Fields unknown to the schema (or objects without a schema, e.g. custom resources) get plain merge
// semantics: maps merge, lists are replaced.

import type { Obj } from '../../api/types.js';
import { K8tsError } from '../../errors.js';
import { deepCopy, goFormat, goTypeName, isObject, type JsonObject, shapeOf } from './json.js';
import { patchMetaOf, type SchemaNode, type SchemaResolver, untypedResolver } from './schema.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

// Upstream's mergepatch error texts. The first group maps to 400, the second to 422 (with the
// generic message, as upstream), anything else to 400 with its own message (upstream: 500).
const ErrBadPatchFormatForPrimitiveList = 'invalid patch format of primitive list';
const ErrBadPatchFormatForRetainKeys = 'invalid patch format of retainKeys';
const ErrBadPatchFormatForSetElementOrderList = 'invalid patch format of setElementOrder list';
const ErrNoListOfLists = 'lists of lists are not supported';

class SmpError extends Error {
  constructor(
    message: string,
    readonly unprocessable = false,
  ) {
    super(message);
  }
}

export interface StrategicPatchOptions {
  /** Definition name of the object's type, e.g. `io.k8s.api.core.v1.Pod`. */
  schemaName?: string;
  resolver?: SchemaResolver;
}

/**
 * Applies a strategic merge patch (already JSON-decoded) to a copy of `original`. A null patch is
 * a no-op; any other non-object is 400, as upstream's decoder rejects it.
 */
export function applyStrategicMergePatch(
  original: Obj,
  patch: unknown,
  opts: StrategicPatchOptions = {},
): Obj {
  if (patch === null || patch === undefined) return deepCopy(original);
  if (!isObject(patch)) {
    const kind = Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : typeof patch;
    throw new K8tsError(
      'BadRequest',
      `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
    );
  }
  const resolver = opts.resolver ?? untypedResolver;
  const root = opts.schemaName ? resolver.root(opts.schemaName) : undefined;
  try {
    return new Merger(resolver).mergeMap(deepCopy(original), deepCopy(patch), root);
  } catch (err) {
    if (!(err instanceof SmpError)) throw err;
    if (err.unprocessable) {
      const e = new K8tsError('Invalid', 'the server rejected our request due to an error in our request');
      e.cause = new Error(err.message);
      throw e;
    }
    throw new K8tsError('BadRequest', err.message);
  }
}

type ElementKind = 'map' | 'scalar';

class Merger {
  constructor(private readonly resolver: SchemaResolver) {}

  private field(node: SchemaNode | undefined, name: string): SchemaNode | undefined {
    return node ? this.resolver.field(node, name) : undefined;
  }

  private items(node: SchemaNode | undefined): SchemaNode | undefined {
    return node ? this.resolver.items(node) : undefined;
  }

  /** Merges `patch` into `original` (both owned by us, mutated) and returns the result. */
  mergeMap(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
    if (Object.hasOwn(patch, DIRECTIVE)) return handleDirectiveInMergeMap(patch);

    applyRetainKeysDirective(original, patch);
    this.mergePatchIntoOriginal(original, patch, node);

    for (const patchKey of Object.keys(patch)) {
      const patchV = patch[patchKey];
      let key = patchKey;
      let isDeleteList = false;
      if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        key = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
        isDeleteList = true;
      }

      if (patchV === null) {
        delete original[key];
        continue;
      }
      if (!Object.hasOwn(original, key)) {
        if (!isDeleteList) setCleaned(original, key, patchV);
        continue;
      }
      const originalV = original[key];
      const oShape = shapeOf(originalV);
      const pShape = shapeOf(patchV);
      if (
        (oShape === 'object' || oShape === 'array' || pShape === 'object' || pShape === 'array') &&
        oShape !== pShape
      ) {
        if (!isDeleteList) setCleaned(original, key, patchV);
        continue;
      }

      const fieldNode = this.field(node, key);
      const meta = patchMetaOf(fieldNode);
      if (pShape === 'object') {
        original[key] =
          meta.strategy === 'replace'
            ? cleanNewValue(patchV)
            : this.mergeMap(originalV as JsonObject, patchV as JsonObject, fieldNode);
      } else if (pShape === 'array') {
        original[key] = this.mergeSliceHandler(
          originalV as unknown[],
          patchV as unknown[],
          fieldNode,
          meta.strategy,
          meta.mergeKey,
          isDeleteList,
          key,
        );
      } else {
        original[key] = patchV;
      }
    }
    return original;
  }

  private mergeSliceHandler(
    original: unknown[],
    patch: unknown[],
    fieldNode: SchemaNode | undefined,
    strategy: string,
    mergeKey: string,
    isDeleteList: boolean,
    key: string,
  ): unknown[] {
    if (strategy === 'merge') {
      return this.mergeSlice(original, patch, this.items(fieldNode), mergeKey, isDeleteList, key);
    }
    return cleanNewValue(patch) as unknown[];
  }

  private mergeSlice(
    original: unknown[],
    patch: unknown[],
    itemNode: SchemaNode | undefined,
    mergeKey: string,
    isDeleteList: boolean,
    key: string,
  ): unknown[] {
    if (original.length === 0 && patch.length === 0) return original;
    const kind = sliceElementKind(original, patch);

    let merged: unknown[];
    let serverOrder = original;
    let patchList = patch;
    if (kind !== 'map') {
      if (isDeleteList) return deleteFromSlice(original, patch);
      merged = dedupeScalars([...original, ...patch]);
    } else {
      if (!mergeKey) throw new SmpError(`cannot merge lists without merge key for ${key}`);
      const special = mergeSliceWithSpecialElements(original, patch, mergeKey);
      serverOrder = special.original;
      patchList = special.patch;
      merged = this.mergeSliceWithoutSpecialElements(serverOrder, patchList, mergeKey, itemNode);
    }

    const { inList, rest } =
      kind === 'map'
        ? partitionMapsByPresentInList(merged, patchList, mergeKey)
        : partitionPrimitivesByPresentInList(merged, patchList);
    return normalizeElementOrder(inList, rest, patchList, serverOrder, mergeKey, kind);
  }

  /** Merges patch items into matching original items (by merge key); unmatched ones are appended. */
  private mergeSliceWithoutSpecialElements(
    original: unknown[],
    patch: unknown[],
    mergeKey: string,
    itemNode: SchemaNode | undefined,
  ): unknown[] {
    const out = [...original];
    for (const item of patch) {
      const typed = item as JsonObject;
      if (!Object.hasOwn(typed, mergeKey)) throw new SmpError(errNoMergeKey(typed, mergeKey));
      const found = findMapInSliceBasedOnKeyValue(out, mergeKey, typed[mergeKey]);
      if (found) {
        const merged = this.mergeMap(found.map, typed, itemNode);
        out[found.index] = merged;
        // Keep the server-order list pointing at the merged item, as upstream shares the slice.
        const oi = original.indexOf(found.map);
        if (oi >= 0) original[oi] = merged;
      } else {
        out.push(cleanNewValue(typed));
      }
    }
    return out;
  }

  /** Handles the `$setElementOrder/<list>` directives (and merges their lists) of one map. */
  private mergePatchIntoOriginal(
    original: JsonObject,
    patch: JsonObject,
    node: SchemaNode | undefined,
  ): void {
    for (const directiveKey of Object.keys(patch)) {
      if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
      const order = patch[directiveKey];
      delete patch[directiveKey];
      if (!Array.isArray(order)) throw new SmpError(errBadArgType([], order));
      const key = extractKey(directiveKey, SET_ELEMENT_ORDER);

      const foundOriginal = Object.hasOwn(original, key);
      const foundPatch = Object.hasOwn(patch, key);
      const originalList = original[key];
      const patchList = patch[key];
      if (foundOriginal && !Array.isArray(originalList)) throw new SmpError(errBadArgType([], originalList));
      if (foundPatch && !Array.isArray(patchList)) throw new SmpError(errBadArgType([], patchList));
      const originalValue = (originalList as unknown[] | undefined) ?? [];
      const patchValue = (patchList as unknown[] | undefined) ?? [];

      const fieldNode = this.field(node, key);
      const meta = patchMetaOf(fieldNode);
      validatePatchWithSetOrderList(patchValue, order, meta.mergeKey);

      let merged: unknown[];
      if (foundOriginal && !foundPatch) merged = originalValue;
      else if (!foundOriginal && foundPatch) merged = cleanNewValue(patchValue) as unknown[];
      else if (foundOriginal && foundPatch) {
        merged = this.mergeSliceHandler(
          originalValue,
          patchValue,
          fieldNode,
          meta.strategy,
          meta.mergeKey,
          false,
          key,
        );
      } else continue;

      const { inList, rest } = meta.mergeKey
        ? partitionMapsByPresentInList(merged, order, meta.mergeKey)
        : partitionPrimitivesByPresentInList(merged, order);
      const kind = sliceElementKind(originalValue, patchValue);
      original[key] = normalizeElementOrder(inList, rest, order, originalValue, meta.mergeKey, kind);
      delete patch[key];
    }
  }
}

// ---- directives on maps ----

function handleDirectiveInMergeMap(patch: JsonObject): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    delete patch[DIRECTIVE];
    return cleanNewValue(patch) as JsonObject;
  }
  if (directive === 'delete') return {};
  throw new SmpError(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patch)}`);
}

function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw new SmpError(ErrBadPatchFormatForRetainKeys);
  const retained = new Set(list);
  for (const k of Object.keys(patch)) {
    if (patch[k] === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER))
      continue;
    if (!retained.has(k)) throw new SmpError(ErrBadPatchFormatForRetainKeys);
  }
  for (const k of Object.keys(original)) {
    if (!retained.has(k)) delete original[k];
  }
}

/** `$setElementOrder/containers` -> `containers`. */
function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    throw new SmpError(
      prefix === DELETE_FROM_PRIMITIVE_LIST
        ? ErrBadPatchFormatForPrimitiveList
        : ErrBadPatchFormatForSetElementOrderList,
    );
  }
  return s.slice(slash + 1);
}

// ---- values that come straight from the patch ----

function setCleaned(target: JsonObject, key: string, value: unknown): void {
  const cleaned = cleanNewValue(value);
  if (cleaned === undefined) delete target[key];
  else target[key] = cleaned;
}

/**
 * A patch value taken as-is (nothing to merge with): null members are dropped and directives
 * removed; a map carrying `$patch` disappears entirely, as upstream does.
 */
function cleanNewValue(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) {
      const c = cleanNewValue(item);
      if (c !== undefined) out.push(c);
    }
    return out;
  }
  if (isObject(v)) {
    if (Object.hasOwn(v, DIRECTIVE)) return undefined;
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      if (v[k] === null || isDirectiveKey(k)) continue;
      const c = cleanNewValue(v[k]);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  return v;
}

function isDirectiveKey(k: string): boolean {
  return (
    k === RETAIN_KEYS ||
    k.startsWith(`${SET_ELEMENT_ORDER}/`) ||
    k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`)
  );
}

// ---- lists ----

/** All elements must share one type and not be lists (upstream's sliceElementType). */
function sliceElementKind(...lists: unknown[][]): ElementKind {
  let first: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = shapeOf(v);
      if (first === undefined) {
        if (t === 'array') throw new SmpError(ErrNoListOfLists, true);
        first = t;
      } else if (t !== first) {
        throw new SmpError(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (first === undefined) throw new SmpError('no elements in any of the given slices');
  return first === 'object' ? 'map' : 'scalar';
}

function mergeSliceWithSpecialElements(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
): { original: unknown[]; patch: unknown[] } {
  const plain: unknown[] = [];
  let replace = false;
  let current = original;
  for (const item of patch) {
    const typed = item as JsonObject;
    if (!Object.hasOwn(typed, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = typed[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(typed, mergeKey)) throw new SmpError(errNoMergeKey(typed, mergeKey));
      current = deleteMatchingEntries(current, mergeKey, typed[mergeKey]);
    } else if (directive === 'replace') {
      replace = true; // keep going to drop the other directive items
    } else if (directive === 'merge') {
      throw new SmpError('merging lists cannot yet be specified in the patch');
    } else {
      throw new SmpError(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(typed)}`);
    }
  }
  if (replace) return { original: plain.map(cleanNewValue).filter((v) => v !== undefined), patch: [] };
  return { original: current, patch: plain };
}

function deleteMatchingEntries(original: unknown[], mergeKey: string, value: unknown): unknown[] {
  for (let i = 0; i < original.length; i++) {
    if (!isObject(original[i])) throw new SmpError(`value for key ${i} is not a map.`);
  }
  return original.filter((item) => (item as JsonObject)[mergeKey] !== value);
}

function findMapInSliceBasedOnKeyValue(
  list: unknown[],
  key: string,
  value: unknown,
): { map: JsonObject; index: number } | undefined {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isObject(item)) throw new SmpError(`value for key ${i} is not a map.`);
    if (Object.hasOwn(item, key) && item[key] === value) return { map: item, index: i };
  }
  return undefined;
}

function deleteFromSlice(current: unknown[], toDelete: unknown[]): unknown[] {
  const drop = new Set(toDelete);
  return current.filter((v) => !drop.has(v));
}

function dedupeScalars(list: unknown[]): unknown[] {
  return [...new Set(list)];
}

function partitionPrimitivesByPresentInList(
  list: unknown[],
  by: unknown[],
): { inList: unknown[]; rest: unknown[] } {
  const present = new Set(by);
  const inList: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) (present.has(v) ? inList : rest).push(v);
  return { inList, rest };
}

function partitionMapsByPresentInList(
  list: unknown[],
  by: unknown[],
  mergeKey: string,
): { inList: unknown[]; rest: unknown[] } {
  const inList: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw new SmpError(errBadArgType({}, v));
    if (!Object.hasOwn(v, mergeKey)) throw new SmpError(errNoMergeKey(v, mergeKey));
    (findMapInSliceBasedOnKeyValue(by, mergeKey, v[mergeKey]) ? inList : rest).push(v);
  }
  return { inList, rest };
}

/** Checks that the patch list's items appear in the same relative order as in `$setElementOrder`. */
function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey) {
    items = [];
    for (const v of patchList) {
      if (!isObject(v)) throw new SmpError(errBadArgType({}, v));
      if (v[DIRECTIVE] !== 'delete') items.push(v);
    }
  }
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (isObject(items[p]) && Object.hasOwn(items[p] as JsonObject, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(items[p], order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    throw new SmpError(
      `the order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}`,
    );
  }
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isObject(left)) throw new SmpError(errBadArgType({}, left));
  if (!isObject(right)) throw new SmpError(errBadArgType({}, right));
  if (!Object.hasOwn(left, mergeKey)) throw new SmpError(errNoMergeKey(left, mergeKey));
  if (!Object.hasOwn(right, mergeKey)) throw new SmpError(errNoMergeKey(right, mergeKey));
  return left[mergeKey] === right[mergeKey];
}

/**
 * Orders a merged list: `patchItems` sorted by `patchOrder`, `serverOnly` sorted by `serverOrder`,
 * then the two interleaved by their positions in `serverOrder` (upstream's normalizeElementOrder).
 */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const patch = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const server = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(server, patch, serverOrder, mergeKey, kind);
}

function identity(item: unknown, mergeKey: string, kind: ElementKind): unknown {
  if (kind === 'map') return isObject(item) ? item[mergeKey] : undefined;
  return item;
}

/** Position of the first element of `list` with the same identity, per identity. */
function indexer(list: unknown[], mergeKey: string, kind: ElementKind): (item: unknown) => number {
  const positions = new Map<unknown, number>();
  list.forEach((v, i) => {
    const id = identity(v, mergeKey, kind);
    if (!positions.has(id)) positions.set(id, i);
  });
  return (item) => positions.get(identity(item, mergeKey, kind)) ?? -1;
}

function normalizeSliceOrder(
  toSort: unknown[],
  order: unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  let items = toSort;
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    for (const list of [toSort, order]) {
      for (const v of list) {
        if (!isObject(v)) throw new SmpError(errBadArgType({}, v));
        if (!Object.hasOwn(v, mergeKey)) throw new SmpError(errNoMergeKey(v, mergeKey));
      }
    }
    items = toSort.filter((v) => (v as JsonObject)[DIRECTIVE] !== 'delete');
    toDelete = toSort.filter((v) => (v as JsonObject)[DIRECTIVE] === 'delete');
  }
  const index = indexer(order, mergeKey, kind);
  const positions = items.map(index);
  let sorted: unknown[];
  if (positions.every((p) => p >= 0)) {
    // The common case: a plain stable sort by position.
    sorted = items
      .map((v, i) => ({ v, p: positions[i] }))
      .sort((a, b) => a.p - b.p)
      .map((e) => e.v);
  } else {
    // Upstream's comparator says "less" whenever a position is unknown; replay its insertion sort.
    const arr = items.map((v, i) => ({ v, p: positions[i] }));
    for (let i = 1; i < arr.length; i++) {
      for (let j = i; j > 0; j--) {
        const a = arr[j];
        const b = arr[j - 1];
        const less = a.p >= 0 && b.p >= 0 ? a.p < b.p : true;
        if (!less) break;
        arr[j] = b;
        arr[j - 1] = a;
      }
    }
    sorted = arr.map((e) => e.v);
  }
  return [...sorted, ...toDelete];
}

/** Inserts server-only items (`left`) among patch items (`right`), keeping both relative orders. */
function mergeSortedSlice(
  left: unknown[],
  right: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const index = indexer(serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = index(left[i]);
      const ri = index(right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

// ---- upstream-shaped error texts ----

function errNoMergeKey(m: JsonObject, key: string): string {
  return `map: ${goFormat(m)} does not contain declared merge key: ${key}`;
}

function errBadArgType(expected: unknown, actual: unknown): string {
  return `expected a ${goTypeName(expected)}, but received a ${goTypeName(actual)}`;
}
