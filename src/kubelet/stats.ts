// Node, pod and container resource usage, in the shape of the kubelet's Summary API (/stats/summary), for
// the resource metrics endpoint, `kubectl top` and node-pressure decisions. Containers come from CRI
// ListContainerStats; a field the runtime leaves out is read from the container's cgroup. Pods are read
// from their own cgroup (`<root>/[qos/]pod<uid>`, which also counts the sandbox), else summed from their
// containers. The node is the root cgroup, else /proc. Both cgroup v1 and v2 layouts are read.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, realClock } from '../client/clock.js';
import type { CriClient } from '../runtime/cri/client.js';
import type { ContainerStats } from '../runtime/cri/types.js';
import { LABEL_MANAGED } from './labels.js';

export interface CpuStats {
  time: string;
  /** Cumulative CPU time, in core-nanoseconds. */
  usageCoreNanoSeconds: number;
  /** Average use since the previous reading, when there is one. */
  usageNanoCores?: number;
}

export interface MemoryStats {
  time: string;
  usageBytes?: number;
  /** Usage minus inactive file pages: what the kernel cannot easily reclaim (what eviction and top use). */
  workingSetBytes: number;
  rssBytes?: number;
  availableBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

export interface ContainerStatsSummary {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStatsSummary[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface NodeStats {
  nodeName: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

/** Reads cgroup and /proc files; paths are parameters so tests point them at a fixture tree. */
export class CgroupReader {
  readonly v2: boolean;

  constructor(
    readonly fsRoot = '/sys/fs/cgroup',
    readonly procRoot = '/proc',
  ) {
    this.v2 = !!statSync(join(fsRoot, 'cgroup.controllers'), { throwIfNoEntry: false });
  }

  private read(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  private keyed(path: string): Map<string, number> | undefined {
    const text = this.read(path);
    if (text === undefined) return undefined;
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k && v !== undefined) out.set(k, Number(v));
    }
    return out;
  }

  /** Whether the cgroup exists (in the cpu accounting hierarchy). */
  exists(cgroup: string): boolean {
    const dir = this.v2 ? join(this.fsRoot, cgroup) : join(this.fsRoot, 'cpuacct', cgroup);
    return !!statSync(dir, { throwIfNoEntry: false });
  }

  /** Cumulative CPU time of a cgroup, in nanoseconds. */
  cpuNanos(cgroup: string): number | undefined {
    if (this.v2) {
      const usec = this.keyed(join(this.fsRoot, cgroup, 'cpu.stat'))?.get('usage_usec');
      return usec === undefined ? undefined : usec * 1000;
    }
    const text = this.read(join(this.fsRoot, 'cpuacct', cgroup, 'cpuacct.usage'));
    return text === undefined ? undefined : Number(text.trim());
  }

  /** Memory of a cgroup; the v2 root has no memory.current, so the node falls back to /proc/meminfo. */
  memory(cgroup: string): Omit<MemoryStats, 'time'> | undefined {
    if (this.v2) {
      const current = this.read(join(this.fsRoot, cgroup, 'memory.current'));
      const stat = this.keyed(join(this.fsRoot, cgroup, 'memory.stat'));
      if (current === undefined || !stat) return undefined;
      const usage = Number(current.trim());
      return {
        usageBytes: usage,
        workingSetBytes: Math.max(0, usage - (stat.get('inactive_file') ?? 0)),
        rssBytes: stat.get('anon'),
        pageFaults: stat.get('pgfault'),
        majorPageFaults: stat.get('pgmajfault'),
      };
    }
    const dir = join(this.fsRoot, 'memory', cgroup);
    const current = this.read(join(dir, 'memory.usage_in_bytes'));
    const stat = this.keyed(join(dir, 'memory.stat'));
    if (current === undefined || !stat) return undefined;
    const usage = Number(current.trim());
    return {
      usageBytes: usage,
      workingSetBytes: Math.max(0, usage - (stat.get('total_inactive_file') ?? 0)),
      rssBytes: stat.get('total_rss'),
      pageFaults: stat.get('total_pgfault'),
      majorPageFaults: stat.get('total_pgmajfault'),
    };
  }

  /** The whole machine's CPU time from /proc/stat (everything but idle and iowait), in nanoseconds. */
  procCpuNanos(): number | undefined {
    const line = this.read(join(this.procRoot, 'stat'))?.split('\n')[0];
    if (!line?.startsWith('cpu ')) return undefined;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user/nice)
    const busy = f[0] + f[1] + f[2] + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy * (1e9 / 100); // USER_HZ is 100 on every Linux we run on
  }

  meminfo(): Map<string, number> {
    const out = new Map<string, number>();
    for (const line of (this.read(join(this.procRoot, 'meminfo')) ?? '').split('\n')) {
      const m = line.match(/^([^:]+):\s+(\d+)(?:\s+kB)?/);
      if (m) out.set(m[1], Number(m[2]) * (line.includes('kB') ? 1024 : 1));
    }
    return out;
  }

  /** Seconds since the epoch at boot (btime in /proc/stat). */
  bootTime(): number | undefined {
    const m = this.read(join(this.procRoot, 'stat'))?.match(/^btime (\d+)$/m);
    return m ? Number(m[1]) : undefined;
  }
}

type StatsCri = Pick<CriClient, 'listPodSandbox' | 'listContainers' | 'listContainerStats'>;

export interface StatsProviderOptions {
  cri: StatsCri;
  nodeName: string;
  /** Parent of the pods' cgroups (default /kubepods). */
  cgroupRoot?: string;
  cgroups?: CgroupReader;
  clock?: Clock;
}

const QOS_DIRS = ['', 'burstable', 'besteffort'];

/** CRI timestamps are nanoseconds since the epoch, as decimal strings. */
function nsToIso(ns: string | number | undefined): string {
  const ms = Number(BigInt(ns ?? 0) / 1_000_000n);
  return new Date(ms).toISOString();
}

const num = (v: { value: string } | null | undefined): number | undefined =>
  v ? Number(v.value) : undefined;

export class StatsProvider {
  private readonly cgroups: CgroupReader;
  private readonly clock: Clock;
  private readonly root: string;
  /** Previous CPU reading per series (node, pod uid, container id), for usageNanoCores. */
  private readonly lastCpu = new Map<string, { ms: number; nanos: number }>();

  constructor(private readonly opts: StatsProviderOptions) {
    this.cgroups = opts.cgroups ?? new CgroupReader();
    this.clock = opts.clock ?? realClock;
    this.root = opts.cgroupRoot ?? '/kubepods';
  }

  private cpu(key: string, ms: number, nanos: number | undefined, seen: Set<string>): CpuStats | undefined {
    if (nanos === undefined || Number.isNaN(nanos)) return undefined;
    seen.add(key);
    const out: CpuStats = { time: new Date(ms).toISOString(), usageCoreNanoSeconds: nanos };
    const prev = this.lastCpu.get(key);
    if (prev && ms > prev.ms && nanos >= prev.nanos) {
      out.usageNanoCores = Math.round(((nanos - prev.nanos) * 1000) / (ms - prev.ms));
    }
    this.lastCpu.set(key, { ms, nanos });
    return out;
  }

  /** The node's usage: its root cgroup, or /proc when the root cgroup does not say. */
  nodeStats(seen = new Set<string>()): NodeStats {
    const ms = this.clock.now();
    const c = this.cgroups;
    const boot = c.bootTime();
    const meminfo = c.meminfo();
    const total = meminfo.get('MemTotal');
    let memory = c.memory('/');
    if (!memory && total !== undefined) {
      // cadvisor's root on cgroup v2: used = total - free, minus inactive file pages.
      const used = total - (meminfo.get('MemFree') ?? 0);
      memory = {
        usageBytes: used,
        workingSetBytes: Math.max(0, used - (meminfo.get('Inactive(file)') ?? 0)),
      };
    }
    return {
      nodeName: this.opts.nodeName,
      startTime: new Date((boot ?? 0) * 1000).toISOString(),
      cpu: this.cpu('node', ms, c.cpuNanos('/') ?? c.procCpuNanos(), seen),
      memory: memory && {
        time: new Date(ms).toISOString(),
        ...memory,
        availableBytes: total !== undefined ? Math.max(0, total - memory.workingSetBytes) : undefined,
      },
    };
  }

  /** The pod's cgroup, whatever its QoS class, if it exists. */
  podCgroup(uid: string): string | undefined {
    for (const qos of QOS_DIRS) {
      const path = qos ? `${this.root}/${qos}/pod${uid}` : `${this.root}/pod${uid}`;
      if (this.cgroups.exists(path)) return path;
    }
    return undefined;
  }

  /** The Summary API: the node and every running pod this kubelet made, with their running containers. */
  async summary(): Promise<Summary> {
    const cri = this.opts.cri;
    const managed = { labelSelector: { [LABEL_MANAGED]: 'true' } };
    const [sandboxes, containers, stats] = await Promise.all([
      cri.listPodSandbox({ state: { state: 'SANDBOX_READY' }, ...managed }),
      cri.listContainers({ state: { state: 'CONTAINER_RUNNING' }, ...managed }),
      cri.listContainerStats(managed),
    ]);
    const seen = new Set<string>();
    const node = this.nodeStats(seen);
    const ms = this.clock.now();
    const time = new Date(ms).toISOString();
    const statsById = new Map<string, ContainerStats>();
    for (const s of stats) if (s.attributes?.id) statsById.set(s.attributes.id, s);
    const pods: PodStats[] = [];
    for (const sb of sandboxes) {
      if (!sb.metadata) continue;
      const { uid } = sb.metadata;
      const podCgroup = this.podCgroup(uid);
      const list: ContainerStatsSummary[] = [];
      for (const c of containers) {
        if (c.podSandboxId !== sb.id || !c.metadata) continue;
        const s = statsById.get(c.id);
        const cg = podCgroup ? `${podCgroup}/${c.id}` : undefined;
        let cpuNanos = num(s?.cpu?.usageCoreNanoSeconds);
        if (cpuNanos === undefined && cg) cpuNanos = this.cgroups.cpuNanos(cg);
        let memory: MemoryStats | undefined;
        const ws = num(s?.memory?.workingSetBytes);
        if (ws !== undefined) {
          memory = {
            time,
            workingSetBytes: ws,
            usageBytes: num(s?.memory?.usageBytes),
            rssBytes: num(s?.memory?.rssBytes),
            availableBytes: num(s?.memory?.availableBytes),
            pageFaults: num(s?.memory?.pageFaults),
            majorPageFaults: num(s?.memory?.majorPageFaults),
          };
        } else if (cg) {
          const m = this.cgroups.memory(cg);
          if (m) memory = { time, ...m };
        }
        list.push({
          name: c.metadata.name,
          startTime: nsToIso(c.createdAt),
          cpu: this.cpu(`c/${c.id}`, ms, cpuNanos, seen),
          memory,
        });
      }
      list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // The pod cgroup also holds the sandbox (pause); without it, the containers' sum.
      let podCpu = podCgroup ? this.cgroups.cpuNanos(podCgroup) : undefined;
      let podMem = podCgroup ? this.cgroups.memory(podCgroup) : undefined;
      if (podCpu === undefined && list.every((c) => c.cpu)) {
        podCpu = list.reduce((n, c) => n + c.cpu!.usageCoreNanoSeconds, 0);
      }
      if (!podMem && list.every((c) => c.memory)) {
        podMem = { workingSetBytes: list.reduce((n, c) => n + c.memory!.workingSetBytes, 0) };
      }
      pods.push({
        podRef: { name: sb.metadata.name, namespace: sb.metadata.namespace, uid },
        startTime: nsToIso(sb.createdAt),
        containers: list,
        cpu: this.cpu(`p/${uid}`, ms, podCpu, seen),
        memory: podMem && { time, ...podMem },
      });
    }
    // Forget series that are gone, so the map does not grow with every pod ever run.
    for (const k of [...this.lastCpu.keys()]) if (!seen.has(k)) this.lastCpu.delete(k);
    return { node, pods };
  }
}
