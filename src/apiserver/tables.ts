// meta.k8s.io/v1 Table responses (what `kubectl get` asks for), built from each kind's table definition.

import { age } from '../api/table.js';
import type { Obj, ResourceDef } from '../api/types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** True when the Accept header asks for the Table form (kubectl get does). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

const DEFAULT_COLUMNS = [
  {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: 'Name must be unique within a namespace.',
    priority: 0,
  },
  { name: 'Age', type: 'string', format: '', description: 'Time since the object was created.', priority: 0 },
];

function rowObject(obj: Obj, include: IncludeObject): Obj | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

function row(def: ResourceDef, obj: Obj, include: IncludeObject): Obj {
  const cells = def.table
    ? def.table.cells(obj, Date.now())
    : [obj.metadata?.name, age(obj.metadata?.creationTimestamp)];
  const r: Obj = { cells };
  const o = rowObject(obj, include);
  if (o) r.object = o;
  return r;
}

export function toTable(
  def: ResourceDef,
  objs: Obj[],
  include: IncludeObject,
  listMeta: Obj,
  withColumns = true,
): Obj {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? (def.table?.columns ?? DEFAULT_COLUMNS) : null,
    rows: objs.map((o) => row(def, o, include)),
  };
}

export function parseIncludeObject(v: string | null): IncludeObject {
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}
