import { list } from './guards.js';
// Column definitions shared by many printers, with upstream's descriptions for the common ones.
import { age } from './table.js';
import type { Obj, TableColumn, TableDef } from './types.js';

const nameDoc =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const creationDoc =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: nameDoc,
  priority: 0,
};
export const ageColumn: TableColumn = { name: 'Age', type: 'string', description: creationDoc, priority: 0 };

export function col(
  name: string,
  description: string,
  type: TableColumn['type'] = 'string',
  priority = 0,
): TableColumn {
  return { name, type, description, priority };
}

export function wide(name: string, description: string, type: TableColumn['type'] = 'string'): TableColumn {
  return col(name, description, type, 1);
}

export const containersColumn = wide('Containers', 'Names of each container in the template.');
export const imagesColumn = wide('Images', 'Images referenced by each container in the template.');

/** The AGE cell of an object. */
export function ageOf(o: Obj, now?: number): string {
  return age(o?.metadata?.creationTimestamp, now);
}

/** layoutContainerCells: container names and images, comma separated. */
export function containerCells(containers: any[] | undefined): [string, string] {
  const cs = list(containers);
  return [cs.map((c) => c?.name ?? '').join(','), cs.map((c) => c?.image ?? '').join(',')];
}

/** Upstream's default table for kinds without a printer: NAME and CREATED AT (the raw timestamp). */
export const defaultTable: TableDef = {
  columns: [nameColumn, { name: 'Created At', type: 'date', description: creationDoc, priority: 0 }],
  cells: (o) => [o.metadata?.name, o.metadata?.creationTimestamp],
};

/**
 * The printer of replica-keeping controllers (ReplicaSet, ReplicationController): Desired, Current,
 * Ready, Age, and wide Containers, Images, Selector. They differ in wording and selector shape only.
 */
export function replicasTable(noun: string, selectorDoc: string, selectorCell: (o: Obj) => string): TableDef {
  return {
    columns: [
      nameColumn,
      col('Desired', 'Replicas is the number of desired replicas.', 'integer'),
      col('Current', 'Replicas is the most recently observed number of replicas.', 'integer'),
      col('Ready', `The number of ready replicas for this ${noun}.`, 'integer'),
      ageColumn,
      containersColumn,
      imagesColumn,
      wide('Selector', selectorDoc),
    ],
    cells(o, now) {
      const [names, images] = containerCells(o.spec?.template?.spec?.containers);
      return [
        o.metadata?.name,
        o.spec?.replicas ?? 0,
        o.status?.replicas ?? 0,
        o.status?.readyReplicas ?? 0,
        ageOf(o, now),
        names,
        images,
        selectorCell(o),
      ];
    },
  };
}
