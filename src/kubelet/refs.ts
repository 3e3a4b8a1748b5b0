// The resources the kubelet reads and writes: the client's shared descriptors, named here for the kubelet.
export { CONFIGMAPS, LEASES, NODES, PODS, PVCS, PVS, SECRETS } from '../client/refs.js';

export type Obj = Record<string, any>;
