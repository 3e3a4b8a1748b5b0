import { age } from '../table.js';
import type { ResourceDef } from '../types.js';

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  schemaName: 'io.k8s.api.core.v1.Namespace',
  subresources: ['status'],
  defaults(obj) {
    obj.spec ??= {};
    obj.spec.finalizers ??= ['kubernetes'];
    obj.status ??= {};
    obj.status.phase ??= 'Active';
  },
  fieldSelectors: { 'status.phase': (o) => o.status?.phase },
  table: {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the namespace', priority: 0 },
      { name: 'Status', type: 'string', description: 'The status of the namespace', priority: 0 },
      { name: 'Age', type: 'string', description: 'Time since creation', priority: 0 },
    ],
    cells: (o) => [o.metadata.name, o.status?.phase ?? 'Active', age(o.metadata.creationTimestamp)],
  },
};
