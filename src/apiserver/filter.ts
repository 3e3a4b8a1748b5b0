// Per-request object filters built from labelSelector and fieldSelector query parameters.
import type { Obj, ResourceDef } from '../api/types.js';
import { K8tsError } from '../errors.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';

export type ObjectFilter = ((obj: Obj) => boolean) & { everything: boolean };

function fieldGetter(def: ResourceDef, field: string): (obj: Obj) => string | undefined {
  if (field === 'metadata.name') return (o) => o.metadata?.name;
  if (field === 'metadata.namespace' && def.namespaced) return (o) => o.metadata?.namespace;
  const g = def.fieldSelectors?.[field];
  if (!g) {
    throw new K8tsError('BadRequest', `field label not supported: ${field}`);
  }
  return g;
}

export function buildFilter(def: ResourceDef, query: URLSearchParams): ObjectFilter {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'));
  const checks = fields.requirements.map((r) => {
    const get = fieldGetter(def, r.field);
    return (o: Obj) => {
      const v = get(o) ?? '';
      return r.op === '=' ? v === r.value : v !== r.value;
    };
  });
  const f = ((obj: Obj) =>
    labels.matches(obj.metadata?.labels) && checks.every((c) => c(obj))) as ObjectFilter;
  f.everything = labels.empty && checks.length === 0;
  return f;
}
