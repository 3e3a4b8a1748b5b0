// The built-in kinds components read and write, each described once as a ResourceRef for the REST client
// and the informers. These are the client's view of the API (group, version, plural, scope, kind); the
// server's registry in src/api/resources stays the one place that defines the resources themselves.
import type { ResourceRef } from './resource.js';

/** A ResourceRef that always names its kind. */
export type BuiltinRef = Required<ResourceRef>;

function builtin(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
): BuiltinRef {
  return { group, version, plural, namespaced, kind };
}

// core/v1
export const PODS = builtin('', 'v1', 'pods', 'Pod', true);
export const NODES = builtin('', 'v1', 'nodes', 'Node', false);
export const NAMESPACES = builtin('', 'v1', 'namespaces', 'Namespace', false);
export const CONFIGMAPS = builtin('', 'v1', 'configmaps', 'ConfigMap', true);
export const SECRETS = builtin('', 'v1', 'secrets', 'Secret', true);
export const SERVICES = builtin('', 'v1', 'services', 'Service', true);
export const ENDPOINTS = builtin('', 'v1', 'endpoints', 'Endpoints', true);
export const SERVICE_ACCOUNTS = builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', true);
export const PVCS = builtin('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true);
export const PVS = builtin('', 'v1', 'persistentvolumes', 'PersistentVolume', false);
export const REPLICATION_CONTROLLERS = builtin(
  '',
  'v1',
  'replicationcontrollers',
  'ReplicationController',
  true,
);
export const EVENTS = builtin('', 'v1', 'events', 'Event', true);

// apps/v1
export const REPLICASETS = builtin('apps', 'v1', 'replicasets', 'ReplicaSet', true);
export const DEPLOYMENTS = builtin('apps', 'v1', 'deployments', 'Deployment', true);
export const STATEFULSETS = builtin('apps', 'v1', 'statefulsets', 'StatefulSet', true);

// batch/v1
export const JOBS = builtin('batch', 'v1', 'jobs', 'Job', true);
export const CRONJOBS = builtin('batch', 'v1', 'cronjobs', 'CronJob', true);

// policy/v1
export const PDBS = builtin('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true);

// coordination.k8s.io/v1
export const LEASES = builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true);

// discovery.k8s.io/v1
export const ENDPOINT_SLICES = builtin('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true);

// storage.k8s.io/v1
export const STORAGE_CLASSES = builtin('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false);

// apiextensions.k8s.io/v1
export const CRDS = builtin(
  'apiextensions.k8s.io',
  'v1',
  'customresourcedefinitions',
  'CustomResourceDefinition',
  false,
);
