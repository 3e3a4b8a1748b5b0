// The kubelet's node-level flags, shared by `k8ts server` and `k8ts agent`, in upstream's syntax: the pods'
// cluster DNS, eviction thresholds, image GC thresholds and static pods.

import { DEFAULT_EVICTION_HARD, parseDuration, parseEvictionConfig } from '../kubelet/eviction/thresholds.js';
import { DEFAULT_IMAGE_GC_POLICY, validateImageGCPolicy } from '../kubelet/image-gc.js';
import type { KubeletOptions } from '../kubelet/index.js';
import type { FlagSpec, Flags } from './flags.js';
import type { NodeOptions } from './node.js';

export const KUBELET_FLAGS: FlagSpec = {
  'cluster-domain': { type: 'string', default: 'cluster.local', help: 'the cluster DNS domain' },
  'cluster-dns': {
    type: 'string',
    help: "pods' nameserver (default: the node's own DNS server on its pod bridge address)",
  },
  'eviction-hard': {
    type: 'string',
    default: DEFAULT_EVICTION_HARD,
    help: 'hard eviction thresholds, e.g. memory.available<100Mi,nodefs.available<10% (empty: none)',
  },
  'eviction-soft': {
    type: 'string',
    default: '',
    help: 'soft eviction thresholds, e.g. memory.available<300Mi (each needs a grace period)',
  },
  'eviction-soft-grace-period': {
    type: 'string',
    default: '',
    help: 'how long a soft threshold must be met before it evicts, e.g. memory.available=1m30s',
  },
  'eviction-pressure-transition-period': {
    type: 'string',
    default: '5m0s',
    help: 'how long a pressure condition stays True after its threshold was last met',
  },
  'eviction-max-pod-grace-period': {
    type: 'number',
    default: 0,
    help: 'cap in seconds on the grace period of pods evicted by a soft threshold (0: their own)',
  },
  'image-gc-high-threshold': {
    type: 'number',
    default: DEFAULT_IMAGE_GC_POLICY.highThresholdPercent,
    help: 'percent of image filesystem usage at which unused images are removed (100: never)',
  },
  'image-gc-low-threshold': {
    type: 'number',
    default: DEFAULT_IMAGE_GC_POLICY.lowThresholdPercent,
    help: 'percent of image filesystem usage image GC frees down to',
  },
  'image-minimum-gc-age': {
    type: 'string',
    default: '2m0s',
    help: 'how long an unused image is kept before GC may remove it',
  },
  'pod-manifest-path': {
    type: 'string',
    help: 'static pod manifests the kubelet runs without the API server (default: <data-dir>/manifests)',
  },
  'file-check-frequency': {
    type: 'string',
    default: '20s',
    help: 'how often the manifest directory is read again (it is also watched)',
  },
};

export type KubeletSettings = Pick<
  KubeletOptions,
  'eviction' | 'imageGC' | 'podManifestPath' | 'fileCheckFrequencyMs'
>;

/** The kubelet options from the flags; throws a one-line error for a bad value. */
export function kubeletSettings(flags: Flags): KubeletSettings {
  const thresholds = parseEvictionConfig({
    hard: flags['eviction-hard'] as string,
    soft: flags['eviction-soft'] as string,
    softGracePeriod: flags['eviction-soft-grace-period'] as string,
  });
  const imageGC = {
    highThresholdPercent: flags['image-gc-high-threshold'] as number,
    lowThresholdPercent: flags['image-gc-low-threshold'] as number,
    minAgeMs: parseDuration(flags['image-minimum-gc-age'] as string),
  };
  validateImageGCPolicy(imageGC);
  return {
    eviction: {
      thresholds,
      pressureTransitionPeriodMs: parseDuration(flags['eviction-pressure-transition-period'] as string),
      maxPodGracePeriodSeconds: flags['eviction-max-pod-grace-period'] as number,
    },
    imageGC,
    podManifestPath: flags['pod-manifest-path'] as string | undefined,
    fileCheckFrequencyMs: parseDuration(flags['file-check-frequency'] as string),
  };
}

/** The pods' cluster DNS from the flags (startNode refuses a --cluster-dns that is not an IP). */
export function clusterDnsSettings(flags: Flags): Pick<NodeOptions, 'clusterDomain' | 'clusterDNS'> {
  return {
    clusterDomain: flags['cluster-domain'] as string,
    clusterDNS: flags['cluster-dns'] as string | undefined,
  };
}
