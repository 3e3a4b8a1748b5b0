import { defaultTable } from '../columns.js';
import { child, duplicate, forbidden, index, invalid, required } from '../field.js';
import { list } from '../guards.js';
import { canonicalQuantityString, compareQuantities, parseQuantity } from '../quantity.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { isQualifiedName, validateQuantityValue } from '../validation.js';

const limitTypes = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);

function limitRangeDefaults(obj: Obj): void {
  for (const item of list(obj.spec?.limits)) {
    if (item?.type !== 'Container') continue;
    item.default ??= {};
    item.defaultRequest ??= {};
    for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in item.default)) item.default[k] = v;
    for (const [k, v] of Object.entries(item.default))
      if (!(k in item.defaultRequest)) item.defaultRequest[k] = v;
    for (const [k, v] of Object.entries(item.min ?? {}))
      if (!(k in item.defaultRequest)) item.defaultRequest[k] = v;
  }
}

function validateLimitRange(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const seenTypes = new Set<string>();
  list(obj.spec?.limits).forEach((item: any, i: number) => {
    const ip = index('spec.limits', i);
    const type = String(item?.type ?? '');
    if (!type.includes('/') && !limitTypes.has(type))
      errs.push(invalid(child(ip, 'type'), type, 'must be a standard limit type or fully qualified'));
    else if (type.includes('/'))
      for (const m of isQualifiedName(type)) errs.push(invalid(child(ip, 'type'), type, m));
    if (seenTypes.has(type)) errs.push(duplicate(child(ip, 'type'), type));
    seenTypes.add(type);
    const lists: Record<string, Record<string, unknown>> = {};
    for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) {
      lists[f] = item?.[f] ?? {};
      for (const [k, v] of Object.entries(lists[f]))
        errs.push(...validateQuantityValue(v, index(child(ip, f), k)));
    }
    if (type === 'Pod') {
      if (Object.keys(lists.default).length > 0)
        errs.push(forbidden(child(ip, 'default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(lists.defaultRequest).length > 0)
        errs.push(forbidden(child(ip, 'defaultRequest'), "may not be specified when `type` is 'Pod'"));
    }
    if (type === 'PersistentVolumeClaim') {
      if (!('storage' in lists.min) && !('storage' in lists.max))
        errs.push(
          required(
            child(ip, 'limits'),
            'either minimum or maximum storage value is required, but neither was provided',
          ),
        );
    }
    const keys = new Set([
      ...Object.keys(lists.max),
      ...Object.keys(lists.min),
      ...Object.keys(lists.default),
      ...Object.keys(lists.defaultRequest),
    ]);
    const q = (f: string, k: string) => (k in lists[f] ? parseQuantity(lists[f][k]) : undefined);
    for (const k of keys) {
      const min = q('min', k);
      const max = q('max', k);
      const def = q('default', k);
      const defReq = q('defaultRequest', k);
      const s = (f: string) => canonicalQuantityString(String(lists[f][k]));
      if (min && max && compareQuantities(min, max) > 0)
        errs.push(
          invalid(
            index(child(ip, 'min'), k),
            s('min'),
            `min value ${s('min')} is greater than max value ${s('max')}`,
          ),
        );
      if (defReq && min && compareQuantities(min, defReq) > 0)
        errs.push(
          invalid(
            index(child(ip, 'defaultRequest'), k),
            s('defaultRequest'),
            `min value ${s('min')} is greater than default request value ${s('defaultRequest')}`,
          ),
        );
      if (defReq && max && compareQuantities(defReq, max) > 0)
        errs.push(
          invalid(
            index(child(ip, 'defaultRequest'), k),
            s('defaultRequest'),
            `default request value ${s('defaultRequest')} is greater than max value ${s('max')}`,
          ),
        );
      if (defReq && def && compareQuantities(defReq, def) > 0)
        errs.push(
          invalid(
            index(child(ip, 'defaultRequest'), k),
            s('defaultRequest'),
            `default request value ${s('defaultRequest')} is greater than default limit value ${s('default')}`,
          ),
        );
      if (def && min && compareQuantities(min, def) > 0)
        errs.push(
          invalid(
            index(child(ip, 'default'), k),
            s('min'),
            `min value ${s('min')} is greater than default value ${s('default')}`,
          ),
        );
      if (def && max && compareQuantities(def, max) > 0)
        errs.push(
          invalid(
            index(child(ip, 'default'), k),
            s('default'),
            `default value ${s('default')} is greater than max value ${s('max')}`,
          ),
        );
    }
  });
  return errs;
}

export const limitRanges: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  singular: 'limitrange',
  namespaced: true,
  shortNames: ['limits'],
  schemaName: 'io.k8s.api.core.v1.LimitRange',
  defaults: limitRangeDefaults,
  validate: validateLimitRange,
  table: defaultTable,
};
