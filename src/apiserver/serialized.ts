// JSON text of objects that never change once read: the watch cache's objects are shared and immutable,
// so each is serialized at most once, whether a GET, a list or a watch event sends it first.
import type { Obj } from '../api/types.js';

const texts = new WeakMap<object, string>();

/**
 * JSON.stringify(obj), remembered for as long as the object lives. Only for objects nobody changes
 * after this call (the watch cache's, or ones decoded for this one response).
 */
export function objectJson(obj: Obj): string {
  let text = texts.get(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    texts.set(obj, text);
  }
  return text;
}

/** A list object (`kind`, `apiVersion`, `metadata`, `items`) as JSON, its items through objectJson. */
export function listJson(list: Obj): string {
  const { items, ...head } = list;
  const parts = (items as Obj[]).map(objectJson).join(',');
  const rest = JSON.stringify(head);
  return rest === '{}' ? `{"items":[${parts}]}` : `${rest.slice(0, -1)},"items":[${parts}]}`;
}
