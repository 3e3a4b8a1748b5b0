// The Node object the kubelet registers and the status it reports, computed from host facts and the
// runtime's health (pure functions; node-agent.ts writes them). Allocatable is capacity minus the hard
// eviction thresholds for memory.available and nodefs.available (upstream's defaults 100Mi and 10% unless
// --eviction-hard says otherwise); the pressure conditions come from the eviction manager (without one,
// from the same default thresholds).
import type { HostFacts, HostUsage } from './host.js';
import type { Obj } from './refs.js';

export const KUBELET_VERSION = 'v1.33.0-k8ts';
export const MAX_PODS = 110;
const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
const EVICTION_DISK_FRACTION = 0.1;
/** Upstream's pid.available threshold is off by default; report pressure when fewer than 10% remain. */
const EVICTION_PID_FRACTION = 0.1;

export interface NodeIdentity {
  name: string;
  internalIP: string;
  kubeletPort: number;
  runtimeVersion: string;
}

export interface RuntimeHealth {
  runtimeReady: boolean;
  networkReady: boolean;
  /** Why not ready, as the runtime put it. */
  message?: string;
}

export function nodeLabels(name: string, facts: HostFacts): Record<string, string> {
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': facts.architecture,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': facts.architecture,
  };
}

export function capacity(facts: HostFacts): Record<string, string> {
  return {
    cpu: String(facts.cpus),
    memory: `${Math.floor(facts.memoryBytes / 1024)}Ki`,
    'ephemeral-storage': `${Math.floor(facts.diskBytes / 1024)}Ki`,
    pods: String(MAX_PODS),
  };
}

/** What a hard eviction threshold holds back from allocatable, for a signal of the given capacity. */
export type EvictionReserve = (signal: 'memory.available' | 'nodefs.available', capacity: number) => number;

export const DEFAULT_EVICTION_RESERVE: EvictionReserve = (signal, capacity) =>
  signal === 'memory.available' ? EVICTION_MEMORY_BYTES : Math.trunc(capacity * EVICTION_DISK_FRACTION);

export function allocatable(
  facts: HostFacts,
  reserve: EvictionReserve = DEFAULT_EVICTION_RESERVE,
): Record<string, string> {
  const memory = Math.max(0, facts.memoryBytes - reserve('memory.available', facts.memoryBytes));
  const disk = Math.max(0, facts.diskBytes - reserve('nodefs.available', facts.diskBytes));
  return {
    cpu: String(facts.cpus),
    memory: `${Math.floor(memory / 1024)}Ki`,
    'ephemeral-storage': String(Math.floor(disk)),
    pods: String(MAX_PODS),
  };
}

interface ConditionText {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/**
 * The four conditions upstream's kubelet owns, with its reasons and messages. `pressure` lists the pressure
 * conditions that are True (the eviction manager's view); without it they are judged from host usage.
 */
export function nodeConditionTexts(
  usage: HostUsage,
  health: RuntimeHealth,
  pressure?: string[],
): ConditionText[] {
  const memoryPressure = pressure
    ? pressure.includes('MemoryPressure')
    : usage.memoryAvailableBytes < EVICTION_MEMORY_BYTES;
  const diskPressure = pressure
    ? pressure.includes('DiskPressure')
    : usage.diskAvailableBytes < usage.diskBytes * EVICTION_DISK_FRACTION;
  const pidPressure = pressure
    ? pressure.includes('PIDPressure')
    : usage.pidMax - usage.pidsUsed < usage.pidMax * EVICTION_PID_FRACTION;
  const ready = health.runtimeReady && health.networkReady;
  let notReadyMessage = '';
  if (!health.runtimeReady) notReadyMessage = `container runtime is down: ${health.message ?? ''}`.trim();
  else if (!health.networkReady)
    notReadyMessage = `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:${health.message ?? 'Network plugin returns error: cni plugin not initialized'}`;
  return [
    memoryPressure
      ? {
          type: 'MemoryPressure',
          status: 'True',
          reason: 'KubeletHasInsufficientMemory',
          message: 'kubelet has insufficient memory available',
        }
      : {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
        },
    diskPressure
      ? {
          type: 'DiskPressure',
          status: 'True',
          reason: 'KubeletHasDiskPressure',
          message: 'kubelet has disk pressure',
        }
      : {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
        },
    pidPressure
      ? {
          type: 'PIDPressure',
          status: 'True',
          reason: 'KubeletHasInsufficientPID',
          message: 'kubelet has insufficient PID available',
        }
      : {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
        },
    ready
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: notReadyMessage },
  ];
}

/**
 * Conditions with heartbeat and transition times: lastTransitionTime is kept from the previous
 * condition of the same type when its status did not change.
 */
export function nodeConditions(previous: Obj[] | undefined, texts: ConditionText[], now: string): Obj[] {
  return texts.map((t) => {
    const old = previous?.find((c) => c?.type === t.type);
    return {
      ...t,
      lastHeartbeatTime: now,
      lastTransitionTime: old && old.status === t.status ? old.lastTransitionTime : now,
    };
  });
}

/** Everything in status the kubelet owns, except the conditions. */
export function nodeStatusBase(id: NodeIdentity, facts: HostFacts, reserve?: EvictionReserve): Obj {
  return {
    capacity: capacity(facts),
    allocatable: allocatable(facts, reserve),
    addresses: [
      { type: 'InternalIP', address: id.internalIP },
      { type: 'Hostname', address: facts.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort } },
    nodeInfo: {
      machineID: facts.machineID,
      systemUUID: facts.machineID,
      bootID: facts.bootID,
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: id.runtimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: facts.architecture,
    },
  };
}

/** The Node to create at registration. */
export function initialNode(
  id: NodeIdentity,
  facts: HostFacts,
  usage: HostUsage,
  health: RuntimeHealth,
  now: string,
  pressure?: string[],
  reserve?: EvictionReserve,
): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: id.name, labels: nodeLabels(id.name, facts) },
    spec: {},
    status: {
      ...nodeStatusBase(id, facts, reserve),
      conditions: nodeConditions(undefined, nodeConditionTexts(usage, health, pressure), now),
    },
  };
}

/** Whether the status the kubelet would write differs from the stored one beyond heartbeat times. */
export function nodeStatusChanged(stored: Obj | undefined, next: Obj): boolean {
  const strip = (s: Obj | undefined) =>
    JSON.stringify({
      ...s,
      conditions: (s?.conditions ?? []).map((c: Obj) => ({
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: c.message,
      })),
      images: undefined,
    });
  const pick = (s: Obj | undefined) => {
    if (!s) return s;
    const { capacity, allocatable, addresses, daemonEndpoints, nodeInfo, conditions } = s;
    return { capacity, allocatable, addresses, daemonEndpoints, nodeInfo, conditions };
  };
  return strip(pick(stored)) !== strip(pick(next));
}
