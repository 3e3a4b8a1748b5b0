// CRI configs from a pod spec: the sandbox (metadata, hostname, DNS, port mappings, labels, cgroup parent,
// log directory) and each container (image, command/args, env, working dir, resources as cgroup values,
// security context), with logs in upstream's layout `<dataDir>/pods/<ns>_<name>_<uid>/<container>/<n>.log`.
import { join } from 'node:path';
import { computePodQOS } from '../api/qos.js';
import { parseQuantity, quantityToNumber } from '../api/quantity.js';
import type {
  ContainerConfig,
  LinuxContainerResources,
  LinuxContainerSecurityContext,
  Mount,
  PodSandboxConfig,
  PortMapping,
} from '../runtime/cri/types.js';
import type { PodCgroupConfig } from './cgroups.js';
import { type ClusterDnsConfig, podDns } from './dns.js';
import type { ResolvConf } from './host.js';
import {
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_GRACE,
  ANNOTATION_TERMINATION_MESSAGE_PATH,
  LABEL_CONTAINER_NAME,
  LABEL_MANAGED,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from './labels.js';
import type { Obj } from './refs.js';

export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const MIN_QUOTA_US = 1_000;

export function podLogDir(dataDir: string, pod: Obj): string {
  const m = pod.metadata;
  return join(dataDir, 'pods', `${m.namespace}_${m.name}_${m.uid}`);
}

/** Relative to the sandbox's log directory. */
export function containerLogPath(container: string, restartCount: number): string {
  return `${container}/${restartCount}.log`;
}

/** The cgroup a pod's sandbox and containers go under, by QoS class as upstream's cgroupfs layout. */
export function podCgroupParent(pod: Obj, root = '/kubepods'): string {
  const qos = computePodQOS(pod);
  const leaf = `pod${pod.metadata.uid}`;
  if (qos === 'Guaranteed') return `${root}/${leaf}`;
  return `${root}/${qos.toLowerCase()}/${leaf}`;
}

function sumOrInitMax(pod: Obj, kind: 'requests' | 'limits', resource: string): number {
  let sum = 0;
  for (const c of pod.spec?.containers ?? []) sum += quantity(c.resources?.[kind]?.[resource]) ?? 0;
  for (const c of pod.spec?.initContainers ?? [])
    sum = Math.max(sum, quantity(c.resources?.[kind]?.[resource]) ?? 0);
  return sum + (quantity(pod.spec?.overhead?.[resource]) ?? 0);
}

/**
 * The pod cgroup's own limits, as upstream's ResourceConfigForPod: cpu shares from the summed requests
 * (2 for BestEffort); a CFS quota and a memory limit from the summed limits when every container declares
 * one (always for Guaranteed).
 */
export function podCgroupConfig(pod: Obj): PodCgroupConfig {
  const qos = computePodQOS(pod);
  if (qos === 'BestEffort') return { cpuShares: MIN_SHARES };
  const containers: Obj[] = pod.spec?.containers ?? [];
  const cpuReq = Math.round(sumOrInitMax(pod, 'requests', 'cpu') * 1000);
  const cpuLim = Math.round(sumOrInitMax(pod, 'limits', 'cpu') * 1000);
  const memLim = Math.floor(sumOrInitMax(pod, 'limits', 'memory'));
  const cpuDeclared = containers.every((c) => (quantity(c.resources?.limits?.cpu) ?? 0) > 0);
  const memDeclared = containers.every((c) => (quantity(c.resources?.limits?.memory) ?? 0) > 0);
  const shares = Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((cpuReq * 1024) / 1000)));
  const out: PodCgroupConfig = { cpuShares: shares };
  if (qos === 'Guaranteed' || cpuDeclared) {
    out.cpuPeriodUs = CPU_PERIOD_US;
    out.cpuQuotaUs = Math.max(MIN_QUOTA_US, Math.floor((cpuLim * CPU_PERIOD_US) / 1000));
  }
  if (qos === 'Guaranteed' || memDeclared) out.memoryLimitBytes = memLim;
  return out;
}

/** DNS for the sandbox, by dnsPolicy (see dns.ts; the events it asks for are the pod syncer's). */
export function podDnsConfig(
  pod: Obj,
  host: ResolvConf,
  cluster?: ClusterDnsConfig,
): { servers: string[]; searches: string[]; options: string[] } {
  const { servers, searches, options } = podDns(pod, host, cluster);
  return { servers, searches, options };
}

export function portMappings(pod: Obj): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({
        protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'],
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIp: p.hostIP ?? '',
      });
    }
  }
  return out;
}

export interface SandboxOptions {
  dataDir: string;
  attempt: number;
  /** The host's resolv.conf (dnsPolicy Default). */
  dns: ResolvConf;
  /** The cluster DNS (dnsPolicy ClusterFirst); without it those pods get the host's. */
  clusterDns?: ClusterDnsConfig;
  cgroupRoot?: string;
}

export function sandboxConfig(pod: Obj, o: SandboxOptions): PodSandboxConfig {
  const m = pod.metadata;
  const spec = pod.spec ?? {};
  // A host-network pod shares the node's UTS namespace: no hostname of its own (as upstream; runc refuses one).
  const hostname = spec.hostNetwork ? '' : (spec.hostname || m.name).slice(0, 63).replace(/[-.]+$/, '');
  const sc = spec.securityContext ?? {};
  return {
    metadata: { name: m.name, uid: m.uid, namespace: m.namespace, attempt: o.attempt },
    hostname,
    logDirectory: podLogDir(o.dataDir, pod),
    dnsConfig: podDnsConfig(pod, o.dns, o.clusterDns),
    portMappings: portMappings(pod),
    labels: {
      ...(m.labels ?? {}),
      [LABEL_POD_NAME]: m.name,
      [LABEL_POD_NAMESPACE]: m.namespace,
      [LABEL_POD_UID]: m.uid,
      [LABEL_MANAGED]: 'true',
    },
    annotations: { ...(m.annotations ?? {}) },
    linux: {
      cgroupParent: podCgroupParent(pod, o.cgroupRoot),
      securityContext: {
        namespaceOptions: {
          network: spec.hostNetwork ? 'NODE' : 'POD',
          pid: spec.hostPID ? 'NODE' : 'CONTAINER',
          ipc: spec.hostIPC ? 'NODE' : 'POD',
        },
        ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        supplementalGroups: sc.supplementalGroups ?? [],
      },
      sysctls: Object.fromEntries((sc.sysctls ?? []).map((s: Obj) => [s.name, s.value])),
    },
  };
}

function quantity(v: unknown): number | undefined {
  const q = parseQuantity(v);
  return q ? quantityToNumber(q) : undefined;
}

/** How the node's cgroups keep containers from swapping past their memory limit. */
export type SwapControl = 'none' | 'memsw' | 'unified';

export interface ResourceOptions {
  /** The node's memory capacity in bytes (the Burstable OOM score adjustment is relative to it). */
  memoryCapacity?: number;
  /** 'memsw': cgroup v1 with swap accounting; 'unified': cgroup v2 with memory.swap.max. */
  swap?: SwapControl;
}

const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

/**
 * upstream's GetContainerOOMScoreAdjust: Guaranteed last, BestEffort first, Burstable in between by the
 * share of the node's memory the container requests (2..999).
 */
export function oomScoreAdj(pod: Obj, container: Obj, memoryCapacity: number): number {
  const qos = computePodQOS(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  const request = quantity(container.resources?.requests?.memory) ?? 0;
  const adj = memoryCapacity > 0 ? 1000 - Math.trunc((1000 * request) / memoryCapacity) : 1000;
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BEST_EFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}

/**
 * cpu shares from the request, CFS quota from the limit, memory limit in bytes (upstream's cgroupfs
 * mapping; runc turns shares into cpu.weight on cgroup v2). With swap off, as upstream runs, a memory
 * limit also caps swap: memory+swap equal to the limit on v1, memory.swap.max 0 on v2.
 */
export function linuxResources(container: Obj, o: ResourceOptions = {}): LinuxContainerResources {
  const req = container.resources?.requests ?? {};
  const lim = container.resources?.limits ?? {};
  const cpuReq = quantity(req.cpu ?? lim.cpu);
  const cpuLim = quantity(lim.cpu);
  const memLim = quantity(lim.memory);
  const milli = (cores: number) => Math.round(cores * 1000);
  let shares = cpuReq === undefined ? MIN_SHARES : Math.floor((milli(cpuReq) * 1024) / 1000);
  shares = Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
  const out: LinuxContainerResources = { cpuShares: shares, cpuPeriod: CPU_PERIOD_US };
  if (cpuLim !== undefined)
    out.cpuQuota = Math.max(MIN_QUOTA_US, Math.floor((milli(cpuLim) * CPU_PERIOD_US) / 1000));
  if (memLim !== undefined) {
    out.memoryLimitInBytes = Math.floor(memLim);
    if (o.swap === 'memsw') out.memorySwapLimitInBytes = out.memoryLimitInBytes;
  }
  if (o.swap === 'unified') out.unified = { 'memory.swap.max': '0' };
  return out;
}

export function containerSecurity(pod: Obj, container: Obj): LinuxContainerSecurityContext {
  const podSc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSc.runAsGroup;
  const out: LinuxContainerSecurityContext = {
    privileged: sc.privileged === true,
    readonlyRootfs: sc.readOnlyRootFilesystem === true,
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    supplementalGroups: podSc.supplementalGroups ?? [],
    namespaceOptions: {
      network: pod.spec?.hostNetwork ? 'NODE' : 'POD',
      pid: pod.spec?.hostPID ? 'NODE' : pod.spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
      ipc: pod.spec?.hostIPC ? 'NODE' : 'POD',
    },
  };
  if (runAsUser !== undefined) out.runAsUser = { value: runAsUser };
  if (runAsGroup !== undefined) out.runAsGroup = { value: runAsGroup };
  if (sc.capabilities) {
    out.capabilities = {
      addCapabilities: (sc.capabilities.add ?? []).map(String),
      dropCapabilities: (sc.capabilities.drop ?? []).map(String),
    };
  }
  return out;
}

export interface ContainerOptions {
  restartCount: number;
  env: { key: string; value: string }[];
  command?: string[];
  args?: string[];
  /** The image as the runtime knows it (the pulled reference). */
  image: string;
  /** The container's volume mounts (src/kubelet/volumes). */
  mounts?: Mount[];
  /** Memory capacity and swap control for the cgroup values. */
  resources?: ResourceOptions;
}

export function containerConfig(pod: Obj, container: Obj, o: ContainerOptions): ContainerConfig {
  const m = pod.metadata;
  const terminationPath = container.terminationMessagePath ?? '/dev/termination-log';
  return {
    metadata: { name: container.name, attempt: o.restartCount },
    image: { image: o.image },
    command: o.command ?? [],
    args: o.args ?? [],
    workingDir: container.workingDir ?? '',
    envs: o.env,
    mounts: o.mounts ?? [],
    labels: {
      [LABEL_POD_NAME]: m.name,
      [LABEL_POD_NAMESPACE]: m.namespace,
      [LABEL_POD_UID]: m.uid,
      [LABEL_CONTAINER_NAME]: container.name,
      [LABEL_MANAGED]: 'true',
    },
    annotations: {
      [ANNOTATION_RESTART_COUNT]: String(o.restartCount),
      [ANNOTATION_TERMINATION_GRACE]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
      [ANNOTATION_TERMINATION_MESSAGE_PATH]: terminationPath,
    },
    logPath: containerLogPath(container.name, o.restartCount),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: {
      resources: {
        ...linuxResources(container, o.resources),
        ...(o.resources?.memoryCapacity
          ? { oomScoreAdj: oomScoreAdj(pod, container, o.resources.memoryCapacity) }
          : {}),
      },
      securityContext: containerSecurity(pod, container),
    },
  };
}
