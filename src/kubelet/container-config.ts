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

/** DNS for the sandbox: the host's resolv.conf (no cluster DNS yet), or the pod's own with dnsPolicy None. */
export function podDnsConfig(
  pod: Obj,
  host: ResolvConf,
): { servers: string[]; searches: string[]; options: string[] } {
  const spec = pod.spec ?? {};
  const custom = spec.dnsConfig ?? {};
  const base = spec.dnsPolicy === 'None' ? { servers: [], searches: [], options: [] } : host;
  const options = [...base.options];
  for (const o of custom.options ?? []) options.push(o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  return {
    servers: [...base.servers, ...(custom.nameservers ?? [])],
    searches: [...base.searches, ...(custom.searches ?? [])],
    options,
  };
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
  dns: ResolvConf;
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
    dnsConfig: podDnsConfig(pod, o.dns),
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

/** cpu shares from the request, CFS quota from the limit, memory limit in bytes (upstream's cgroupfs mapping). */
export function linuxResources(container: Obj): LinuxContainerResources {
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
  if (memLim !== undefined) out.memoryLimitInBytes = Math.floor(memLim);
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
    linux: { resources: linuxResources(container), securityContext: containerSecurity(pod, container) },
  };
}
