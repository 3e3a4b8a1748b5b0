// RFC 7386 JSON Merge Patch (application/merge-patch+json), with the details of the library the
// API server uses: nulls inside newly added objects are dropped (also inside objects nested in
// lists), while a list replacing an object keeps its contents untouched.

import type { Obj } from '../../api/types.js';
import { K8tsError } from '../../errors.js';
import { deepCopy, isObject, type JsonObject } from './json.js';

/** Drops null members from objects, recursively (lists keep null elements; their objects are pruned). */
function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (const item of v) pruneNulls(item);
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else pruneNulls(v[k]);
    }
  }
  return v;
}

/** Merges `patch` into `target` in place; both are objects. */
function mergeInto(target: JsonObject, patch: JsonObject): JsonObject {
  for (const k of Object.keys(patch)) {
    const pv = patch[k];
    if (pv === null) {
      delete target[k];
      continue;
    }
    const cur = target[k];
    if (cur === undefined || cur === null || !isObject(cur)) {
      // Nothing to merge with: take the patch value, minus its nulls.
      target[k] = pruneNulls(pv);
    } else if (isObject(pv)) {
      mergeInto(cur, pv);
    } else {
      target[k] = pv;
    }
  }
  return target;
}

/**
 * Generic RFC 7386 merge: returns a new value; inputs are not modified. A non-object patch
 * replaces the target.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  const p = deepCopy(patch);
  if (!isObject(p)) return pruneNulls(p);
  const t = isObject(target) ? deepCopy(target) : {};
  return mergeInto(t, p);
}

/**
 * Applies a merge patch to an API object. The patch must be a JSON object: upstream answers a
 * null or scalar patch with 400 `Invalid JSON Patch`, and a list could never decode into an object.
 */
export function applyMergePatch(original: Obj, patch: unknown): Obj {
  if (!isObject(patch)) throw new K8tsError('BadRequest', 'Invalid JSON Patch');
  return mergePatch(original, patch) as Obj;
}
