// What the eviction manager measures, behind a small interface so tests (and a later stats summary) can
// supply it: the node's memory, filesystems and PIDs, and each pod's memory, disk and process usage.
// hostStats() reads them from the host: /proc/meminfo, statfs of the data dir and of containerd's root,
// /proc/loadavg, CRI container stats, the pods' log and emptyDir directories and their cgroups.
import { type Dirent, lstatSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { CriClient } from '../../runtime/cri/client.js';
import { cgroupPids } from '../cgroups.js';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../labels.js';

export interface FsStats {
  capacityBytes: number;
  availableBytes: number;
  inodes: number;
  inodesFree: number;
}

export interface NodeStats {
  /** memory.available = capacity - working set (upstream: the root cgroup's usage minus inactive file). */
  memory: { capacityBytes: number; workingSetBytes: number };
  nodeFs: FsStats;
  imageFs: FsStats;
  pids: { max: number; running: number };
}

export interface ContainerUsage {
  name: string;
  memoryWorkingSetBytes?: number;
  /** Writable layer plus logs, bytes (logs only counted when disk usage was asked for). */
  ephemeralBytes?: number;
}

export interface PodUsage {
  uid: string;
  memoryWorkingSetBytes?: number;
  /** Writable layers, logs and emptyDir volumes, bytes and inodes. */
  ephemeralBytes?: number;
  inodes?: number;
  processes?: number;
  containers: ContainerUsage[];
  /** Bytes used by each emptyDir volume, by volume name (when disk usage was asked for). */
  volumes?: Record<string, number>;
}

export interface StatsProvider {
  node(): Promise<NodeStats>;
  /** Per-pod usage; disk usage (a directory walk) only when asked for. */
  pods(opts?: { disk?: boolean }): Promise<PodUsage[]>;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function meminfo(text: string, field: string): number {
  const m = new RegExp(`^${field.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

export function fsStats(path: string): FsStats {
  const s = statfsSync(path);
  return {
    capacityBytes: s.blocks * s.bsize,
    availableBytes: s.bavail * s.bsize,
    inodes: s.files,
    inodesFree: s.ffree,
  };
}

/** Bytes and inodes under dir (not following links, not crossing into other mounts' contents twice). */
export function diskUsage(dir: string): { bytes: number; inodes: number } {
  let bytes = 0;
  let inodes = 0;
  const walk = (d: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      try {
        const st = lstatSync(p);
        bytes += st.blocks * 512;
        inodes++;
      } catch {
        continue;
      }
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return { bytes, inodes };
}

export interface HostStatsOptions {
  dataDir: string;
  cri: CriClient;
  /** containerd's root (the image filesystem). */
  imageFsPath: string;
  /** Parent of the pods' cgroups (default /kubepods). */
  cgroupRoot?: string;
}

export function hostStats(o: HostStatsOptions): StatsProvider {
  const root = o.cgroupRoot ?? '/kubepods';
  return {
    async node() {
      const mem = read('/proc/meminfo');
      const total = meminfo(mem, 'MemTotal');
      // The working set as cadvisor computes it for the root cgroup: usage minus inactive page cache.
      const workingSet = Math.max(0, total - meminfo(mem, 'MemFree') - meminfo(mem, 'Inactive(file)'));
      const running = Number(read('/proc/loadavg').split(/\s+/)[3]?.split('/')[1]) || 0;
      return {
        memory: { capacityBytes: total, workingSetBytes: workingSet },
        nodeFs: fsStats(o.dataDir),
        imageFs: fsStats(o.imageFsPath),
        pids: { max: Number(read('/proc/sys/kernel/pid_max').trim()) || 32768, running },
      };
    },
    async pods(opts = {}) {
      const byPod = new Map<string, PodUsage & { name: string; namespace: string }>();
      for (const s of await o.cri.listContainerStats()) {
        const labels = s.attributes?.labels ?? {};
        const uid = labels[LABEL_POD_UID];
        if (!uid) continue;
        let pod = byPod.get(uid);
        if (!pod) {
          pod = {
            uid,
            name: labels[LABEL_POD_NAME] ?? '',
            namespace: labels[LABEL_POD_NAMESPACE] ?? '',
            memoryWorkingSetBytes: 0,
            containers: [],
          };
          byPod.set(uid, pod);
        }
        const ws = Number(s.memory?.workingSetBytes?.value ?? 0);
        pod.memoryWorkingSetBytes = (pod.memoryWorkingSetBytes ?? 0) + ws;
        pod.containers.push({
          name: s.attributes?.metadata?.name ?? '',
          memoryWorkingSetBytes: ws,
          ephemeralBytes: Number(s.writableLayer?.usedBytes?.value ?? 0),
        });
        if (opts.disk) {
          pod.ephemeralBytes = (pod.ephemeralBytes ?? 0) + Number(s.writableLayer?.usedBytes?.value ?? 0);
          pod.inodes = (pod.inodes ?? 0) + Number(s.writableLayer?.inodesUsed?.value ?? 0);
        }
      }
      for (const pod of byPod.values()) {
        const pids = new Set<number>();
        for (const parent of [root, `${root}/burstable`, `${root}/besteffort`])
          for (const pid of cgroupPids(`${parent}/pod${pod.uid}`)) pids.add(pid);
        pod.processes = pids.size;
        if (!opts.disk) continue;
        // Logs and emptyDir volumes count against the pod's ephemeral storage, as upstream's local storage.
        const logDir = join(o.dataDir, 'pods', `${pod.namespace}_${pod.name}_${pod.uid}`);
        let total = 0;
        let inodes = 0;
        for (const c of pod.containers) {
          const logs = diskUsage(join(logDir, c.name));
          c.ephemeralBytes = (c.ephemeralBytes ?? 0) + logs.bytes;
          total += logs.bytes;
          inodes += logs.inodes;
        }
        pod.volumes = {};
        const emptyDirRoot = join(o.dataDir, 'pods', pod.uid, 'volumes', 'kubernetes.io~empty-dir');
        let names: string[] = [];
        try {
          names = readdirSync(emptyDirRoot);
        } catch {
          // no emptyDir volumes
        }
        for (const name of names) {
          const used = diskUsage(join(emptyDirRoot, name));
          pod.volumes[name] = used.bytes;
          total += used.bytes;
          inodes += used.inodes;
        }
        pod.ephemeralBytes = (pod.ephemeralBytes ?? 0) + total;
        pod.inodes = (pod.inodes ?? 0) + inodes;
      }
      return [...byPod.values()].map(({ name: _n, namespace: _ns, ...usage }) => usage);
    },
  };
}
