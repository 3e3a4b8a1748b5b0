// The node runtime layer the kubelet builds on: a supervised containerd, a CRI v1 client, images built and
// imported without a registry, and the CNI pod network.

export * from './cni.js';
export * from './containerd.js';
export * from './containerd-config.js';
export * from './cri/client.js';
export type * from './cri/types.js';
export * from './images.js';
export * from './node-runtime.js';
export { createTar, type TarEntry } from './tar.js';
