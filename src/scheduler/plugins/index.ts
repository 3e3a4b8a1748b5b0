// The plugin registry (name -> factory) and the default configuration: which plugins run, in which
// order, and the weight of each one's score (upstream's defaults).
import type { Nominator } from '../nominator.js';
import type { FrameworkHandle, Obj, Plugin } from '../types.js';
import { BALANCED_ALLOCATION, balancedAllocation } from './balanced-allocation.js';
import { DEFAULT_PREEMPTION, type DefaultPreemptionArgs, defaultPreemption } from './default-preemption.js';
import { IMAGE_LOCALITY, type ImageSpread, imageLocality } from './image-locality.js';
import { INTER_POD_AFFINITY, interPodAffinity, type NamespaceLabels } from './inter-pod-affinity.js';
import { NODE_AFFINITY, nodeAffinity } from './node-affinity.js';
import { NODE_NAME, nodeName } from './node-name.js';
import { NODE_PORTS, nodePorts } from './node-ports.js';
import { NODE_RESOURCES_FIT, type NodeResourcesFitArgs, nodeResourcesFit } from './node-resources-fit.js';
import { NODE_UNSCHEDULABLE, nodeUnschedulable } from './node-unschedulable.js';
import {
  type DefaultSelectorFunc,
  POD_TOPOLOGY_SPREAD,
  type PodTopologySpreadArgs,
  podTopologySpread,
} from './pod-topology-spread.js';
import { TAINT_TOLERATION, taintToleration } from './taint-toleration.js';
import { VOLUME_BINDING, type VolumeLookup, volumeBinding } from './volume-binding.js';

/** What the scheduler lends plugins beyond their own args. */
export interface PluginHandle {
  namespaceLabels?: NamespaceLabels;
  framework?: FrameworkHandle;
  nominator?: Nominator;
  pdbs?: () => Obj[];
  random?: () => number;
  /** What owns or selects a pod, for PodTopologySpread's default constraints. */
  defaultSelector?: DefaultSelectorFunc;
  /** Image spread over the cluster's nodes (ImageLocality). */
  images?: ImageSpread;
  /** Claims, volumes and storage classes (VolumeBinding). */
  volumes?: VolumeLookup;
}

export type PluginFactory = (args: any, handle: PluginHandle) => Plugin;

export const pluginRegistry: Record<string, PluginFactory> = {
  [NODE_UNSCHEDULABLE]: () => nodeUnschedulable(),
  [NODE_NAME]: () => nodeName(),
  [TAINT_TOLERATION]: () => taintToleration(),
  [NODE_RESOURCES_FIT]: (args?: NodeResourcesFitArgs) => nodeResourcesFit(args),
  [NODE_AFFINITY]: () => nodeAffinity(),
  [NODE_PORTS]: () => nodePorts(),
  [BALANCED_ALLOCATION]: () => balancedAllocation(),
  [POD_TOPOLOGY_SPREAD]: (args: PodTopologySpreadArgs | undefined, handle) =>
    podTopologySpread(args, handle.defaultSelector),
  [INTER_POD_AFFINITY]: (_args, handle) => interPodAffinity({ namespaceLabels: handle.namespaceLabels }),
  [IMAGE_LOCALITY]: (_args, handle) => imageLocality(handle.images),
  [DEFAULT_PREEMPTION]: (args: DefaultPreemptionArgs | undefined, handle) => defaultPreemption(args, handle),
  [VOLUME_BINDING]: (_args, handle) => volumeBinding(handle.volumes),
};

export interface PluginConfig {
  name: string;
  /** Score weight (0 disables scoring; default 1). */
  weight?: number;
  args?: unknown;
}

export interface SchedulerProfile {
  schedulerName: string;
  plugins: PluginConfig[];
}

export const defaultProfile: SchedulerProfile = {
  schedulerName: 'default-scheduler',
  plugins: [
    { name: NODE_UNSCHEDULABLE },
    { name: NODE_NAME },
    { name: TAINT_TOLERATION, weight: 3 },
    { name: NODE_RESOURCES_FIT, weight: 1 },
    { name: NODE_AFFINITY, weight: 2 },
    { name: NODE_PORTS },
    { name: VOLUME_BINDING },
    { name: BALANCED_ALLOCATION, weight: 1 },
    { name: IMAGE_LOCALITY, weight: 1 },
    { name: POD_TOPOLOGY_SPREAD, weight: 2 },
    { name: INTER_POD_AFFINITY, weight: 2 },
    { name: DEFAULT_PREEMPTION },
  ],
};

export function buildPlugins(
  profile: SchedulerProfile,
  registry: Record<string, PluginFactory> = pluginRegistry,
  handle: PluginHandle = {},
): { plugin: Plugin; weight: number }[] {
  return profile.plugins.map((c) => {
    const factory = registry[c.name];
    if (!factory) throw new Error(`unknown scheduler plugin ${c.name}`);
    return { plugin: factory(c.args, handle), weight: c.weight ?? 1 };
  });
}
