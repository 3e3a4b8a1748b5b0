// RFC 6902 JSON Patch (application/json-patch+json), applied to a deep copy.
//
// Errors follow the API server: a body that is not a list of objects is 400 BadRequest with the Go
// decoder's wording; more than 10,000 operations is 413; any failure while applying (missing path,
// failed `test`, bad index, unknown op) is 422 Invalid with upstream's generic message, because
// upstream does not pass the JSON patch library's message through. The detailed reason is kept on
// the error's `cause` for logs and tests.

import { K8tsError } from '../../errors.js';
import { deepCopy, deepEqual, isObject, type JsonObject } from './json.js';

export interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** Upstream's cap on the number of operations in one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const APPLY_FAILED = 'the server rejected our request due to an error in our request';

/** Go's encoding/json names for JSON value kinds, as used in its unmarshal errors. */
function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // object | string | number
}

/**
 * Checks the shape of a decoded JSON patch body: a list of objects (null means no operations).
 * Operation contents are checked while applying, as upstream does.
 */
export function decodeJsonPatch(body: unknown): JsonObject[] {
  if (body === null) return [];
  if (!Array.isArray(body)) {
    throw new K8tsError(
      'BadRequest',
      `json: cannot unmarshal ${goJsonKind(body)} into Go value of type jsonpatch.Patch`,
    );
  }
  for (const op of body) {
    if (op !== null && !isObject(op)) {
      throw new K8tsError(
        'BadRequest',
        `json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`,
      );
    }
  }
  if (body.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new K8tsError(
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${body.length}`,
    );
  }
  return body.map((op) => (op ?? {}) as JsonObject);
}

/** Applies a JSON patch body (already JSON-decoded) to a copy of `target` and returns the result. */
export function applyJsonPatch(target: unknown, body: unknown): unknown {
  const ops = decodeJsonPatch(body);
  const holder = { doc: deepCopy(target) };
  for (let i = 0; i < ops.length; i++) {
    try {
      applyOperation(holder, ops[i]);
    } catch (err) {
      if (!(err instanceof PatchFailure)) throw err;
      const e = new K8tsError('Invalid', APPLY_FAILED);
      (e as { cause?: unknown }).cause = new Error(`operation ${i}: ${err.message}`);
      throw e;
    }
  }
  return holder.doc;
}

class PatchFailure extends Error {}

function fail(msg: string): never {
  throw new PatchFailure(msg);
}

/** Splits a JSON Pointer into unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    fail(`JSON pointer must be empty or start with a "/": ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function stringMember(op: JsonObject, name: 'path' | 'from'): string {
  const v = op[name];
  if (typeof v !== 'string') fail(`operation missing ${name} field`);
  return v;
}

function applyOperation(holder: { doc: unknown }, op: JsonObject): void {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  switch (kind) {
    case 'add':
      addAt(holder, parsePointer(stringMember(op, 'path')), operationValue(op));
      return;
    case 'remove':
      removeAt(holder, parsePointer(stringMember(op, 'path')));
      return;
    case 'replace':
      replaceAt(holder, parsePointer(stringMember(op, 'path')), operationValue(op));
      return;
    case 'move': {
      const from = stringMember(op, 'from');
      const path = stringMember(op, 'path');
      if (from === path) {
        getAt(holder.doc, parsePointer(from)); // must exist
        return;
      }
      if (path.startsWith(`${from}/`)) fail(`cannot move ${from} into its own child ${path}`);
      const value = getAt(holder.doc, parsePointer(from));
      removeAt(holder, parsePointer(from));
      addAt(holder, parsePointer(path), value);
      return;
    }
    case 'copy': {
      const value = getAt(holder.doc, parsePointer(stringMember(op, 'from')));
      addAt(holder, parsePointer(stringMember(op, 'path')), deepCopy(value));
      return;
    }
    case 'test': {
      const tokens = parsePointer(stringMember(op, 'path'));
      const expected = operationValue(op);
      const found = lookup(holder.doc, tokens);
      // Like upstream's library, testing for null succeeds on a missing member.
      if (!found.exists) {
        if (expected === null) return;
        fail(`test operation for path ${stringMember(op, 'path')} failed: path does not exist`);
      }
      if (!deepEqual(found.value, expected)) fail(`testing value ${stringMember(op, 'path')} failed`);
      return;
    }
    default:
      fail(`Unexpected kind: ${kind}`);
  }
}

/** A missing `value` member reads as null, as upstream's library treats it. */
function operationValue(op: JsonObject): unknown {
  return Object.hasOwn(op, 'value') ? deepCopy(op.value) : null;
}

function lookup(doc: unknown, tokens: string[]): { exists: boolean; value?: unknown } {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(t, cur.length, false, true);
      if (i === undefined) return { exists: false };
      cur = cur[i];
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, t)) return { exists: false };
      cur = cur[t];
    } else {
      return { exists: false };
    }
  }
  return { exists: true, value: cur };
}

function getAt(doc: unknown, tokens: string[]): unknown {
  const found = lookup(doc, tokens);
  if (!found.exists) fail(`path /${tokens.join('/')} does not exist`);
  return found.value;
}

/** The container holding the last token; fails when it does not exist. */
function parentOf(holder: { doc: unknown }, tokens: string[]): unknown {
  const parent = lookup(holder.doc, tokens.slice(0, -1));
  if (!parent.exists || (!Array.isArray(parent.value) && !isObject(parent.value))) {
    fail(`doc is missing path: /${tokens.join('/')}`);
  }
  return parent.value;
}

/**
 * Parses an array index token. Negative indexes count from the end, as upstream's library
 * allows. Returns undefined when out of range (and `soft`), else fails.
 */
function arrayIndex(token: string, length: number, forInsert: boolean, soft = false): number | undefined {
  if (!/^-?\d+$/.test(token)) {
    if (soft) return undefined;
    fail(`value was not a proper array index: '${token}'`);
  }
  let i = Number(token);
  const size = forInsert ? length + 1 : length;
  if (i < 0) i += size;
  if (i < 0 || i >= size) {
    if (soft) return undefined;
    fail(`Unable to access invalid index: ${token}`);
  }
  return i;
}

function addAt(holder: { doc: unknown }, tokens: string[], value: unknown): void {
  if (tokens.length === 0) {
    holder.doc = value;
    return;
  }
  const parent = parentOf(holder, tokens);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    if (key === '-') parent.push(value);
    else parent.splice(arrayIndex(key, parent.length, true)!, 0, value);
  } else {
    (parent as JsonObject)[key] = value;
  }
}

function removeAt(holder: { doc: unknown }, tokens: string[]): void {
  if (tokens.length === 0) fail('cannot remove the whole document');
  const parent = parentOf(holder, tokens);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(key, parent.length, false)!, 1);
  } else {
    const obj = parent as JsonObject;
    if (!Object.hasOwn(obj, key)) fail(`Unable to remove nonexistent key: ${key}: missing value`);
    delete obj[key];
  }
}

function replaceAt(holder: { doc: unknown }, tokens: string[], value: unknown): void {
  if (tokens.length === 0) {
    holder.doc = value;
    return;
  }
  const parent = parentOf(holder, tokens);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    parent[arrayIndex(key, parent.length, false)!] = value;
  } else {
    const obj = parent as JsonObject;
    if (!Object.hasOwn(obj, key))
      fail(`replace operation does not apply: doc is missing key: /${tokens.join('/')}`);
    obj[key] = value;
  }
}
