import { age } from '../table.js';
import type { ResourceDef } from '../types.js';

export const configMaps: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  schemaName: 'io.k8s.api.core.v1.ConfigMap',
  table: {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the object', priority: 0 },
      { name: 'Data', type: 'string', description: 'Number of data keys', priority: 0 },
      { name: 'Age', type: 'string', description: 'Time since creation', priority: 0 },
    ],
    cells: (o) => [
      o.metadata.name,
      Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
      age(o.metadata.creationTimestamp),
    ],
  },
};
