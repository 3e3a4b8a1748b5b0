// The resources the kubelet reads and writes, as plain descriptors for the REST client.
import type { ResourceRef } from '../client/index.js';

export const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
export const NODES: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'nodes',
  namespaced: false,
  kind: 'Node',
};
export const CONFIGMAPS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  namespaced: true,
  kind: 'ConfigMap',
};
export const SECRETS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'secrets',
  namespaced: true,
  kind: 'Secret',
};
export const PVCS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'persistentvolumeclaims',
  namespaced: true,
  kind: 'PersistentVolumeClaim',
};
export const PVS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'persistentvolumes',
  namespaced: false,
  kind: 'PersistentVolume',
};
export const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespaced: true,
  kind: 'Lease',
};

export type Obj = Record<string, any>;
