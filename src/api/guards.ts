// Decoded JSON can hold any type where the schema expects a list or an object; these guards let the
// hooks read such input without throwing (validation then reports what it finds).
import type { FieldError, Obj, ResourceDef } from './types.js';

/** The value when it is an array, else an empty list. */
export function list(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Wraps a kind's hooks so that input of the wrong JSON type never surfaces as a crash (a 500): mutating
 * hooks leave such objects alone, validators report a type error instead of throwing.
 */
export function hardened(def: ResourceDef): ResourceDef {
  const typeError = (e: unknown): FieldError[] => {
    if (!(e instanceof TypeError)) throw e;
    return [
      {
        type: 'FieldValueTypeInvalid',
        field: '',
        message: `Invalid value: the object has a field of the wrong type (${e.message})`,
      },
    ];
  };
  const quiet = <A extends unknown[]>(f: ((...a: A) => void) | undefined) =>
    f &&
    ((...a: A) => {
      try {
        f(...a);
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
      }
    });
  const out: ResourceDef = { ...def };
  out.defaults = quiet(def.defaults);
  out.prepareForCreate = quiet(def.prepareForCreate);
  out.prepareForUpdate = quiet(def.prepareForUpdate);
  if (def.validate) {
    const v = def.validate;
    out.validate = (obj) => {
      try {
        return v(obj);
      } catch (e) {
        return typeError(e);
      }
    };
  }
  if (def.validateUpdate) {
    const v = def.validateUpdate;
    out.validateUpdate = (obj, old) => {
      try {
        return v(obj, old);
      } catch (e) {
        return typeError(e);
      }
    };
  }
  if (def.table) {
    const t = def.table;
    out.table = {
      columns: t.columns,
      cells: (obj, now) => {
        try {
          return t.cells(obj, now);
        } catch (e) {
          if (!(e instanceof TypeError)) throw e;
          return t.columns.map((c) => (c.format === 'name' ? obj?.metadata?.name : ''));
        }
      },
    };
  }
  for (const k of Object.keys(out) as (keyof ResourceDef)[]) if (out[k] === undefined) delete out[k];
  return out;
}
