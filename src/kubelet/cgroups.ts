// Pod cgroups: created with the pod's own limits before its sandbox starts, and removed once its containers
// are gone. runc creates the rest of the pod's cgroup (the sandbox's cgroup parent) in every hierarchy but
// leaves it behind; the kubelet's cgroup manager removes it, as upstream's pod container manager does. Only
// empty directories can be removed, so this never touches a cgroup that still has processes. Also: which
// cgroup version the host runs and whether swap can be held to memory limits.
import {
  type Dirent,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const CGROUP_FS = '/sys/fs/cgroup';

/** The mount points to look under: the v2 root, or every v1 hierarchy. */
function hierarchies(): string[] {
  try {
    if (statSync(join(CGROUP_FS, 'cgroup.controllers'), { throwIfNoEntry: false })) return [CGROUP_FS];
    return readdirSync(CGROUP_FS).map((h) => join(CGROUP_FS, h));
  } catch {
    return [];
  }
}

function removeTree(dir: string): void {
  let children: string[];
  try {
    children = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return;
  }
  for (const c of children) removeTree(join(dir, c));
  try {
    rmdirSync(dir);
  } catch {
    // busy or already gone
  }
}

/** Removes the cgroup path (e.g. /kubepods/besteffort/pod<uid>) and its empty children everywhere. */
export function removeCgroup(path: string): void {
  if (!path.startsWith('/') || path === '/') return;
  for (const h of hierarchies()) removeTree(join(h, path));
}

/** Pids of the processes in the cgroup path or below it (in the pids hierarchy, or v2's root). */
export function cgroupPids(path: string): number[] {
  const out = new Set<number>();
  if (!path.startsWith('/') || path === '/') return [];
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n'))
        if (line) out.add(Number(line));
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const h of hierarchies()) walk(join(h, path));
  return [...out];
}

/** Whether the host runs the unified (v2) hierarchy at /sys/fs/cgroup. */
export function isCgroupV2(): boolean {
  return !!statSync(join(CGROUP_FS, 'cgroup.controllers'), { throwIfNoEntry: false });
}

/**
 * How a container's swap can be held to its memory limit here (upstream's swapControllerAvailable): v1 with
 * swap accounting has memory.memsw.*; v2 has memory.swap.max in non-root cgroups (looked for in our own).
 */
export function swapControl(): 'none' | 'memsw' | 'unified' {
  try {
    if (isCgroupV2()) {
      const own = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
      const candidates = [
        join(CGROUP_FS, own),
        join(CGROUP_FS, 'init.scope'),
        join(CGROUP_FS, 'system.slice'),
      ];
      return candidates.some((d) => statSync(join(d, 'memory.swap.max'), { throwIfNoEntry: false }))
        ? 'unified'
        : 'none';
    }
    return statSync(join(CGROUP_FS, 'memory', 'memory.memsw.limit_in_bytes'), { throwIfNoEntry: false })
      ? 'memsw'
      : 'none';
  } catch {
    return 'none';
  }
}

/** The limits of a pod's own cgroup (upstream's ResourceConfigForPod). */
export interface PodCgroupConfig {
  cpuShares: number;
  cpuPeriodUs?: number;
  cpuQuotaUs?: number;
  memoryLimitBytes?: number;
}

function writeIfPresent(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {
    // a controller this host does not have, or a value it refuses: the containers still carry their own limits
  }
}

/** runc's conversion of cgroup v1 cpu shares to the v2 cpu.weight. */
export function sharesToWeight(shares: number): number {
  return shares === 0 ? 0 : 1 + Math.trunc(((shares - 2) * 9999) / 262142);
}

/**
 * Creates the pod's cgroup (e.g. /kubepods/burstable/pod<uid>) with its limits before the sandbox starts,
 * as upstream's pod container manager does; runc then puts the sandbox and containers below it. On v2 the
 * cpu and memory controllers are enabled on the way down.
 */
export function ensurePodCgroup(
  path: string,
  config: PodCgroupConfig,
  fsRoot = CGROUP_FS,
  v2 = isCgroupV2(),
): void {
  if (!path.startsWith('/') || path === '/') return;
  if (v2) {
    const parts = path.split('/').filter(Boolean);
    let dir = fsRoot;
    for (const part of parts) {
      writeIfPresent(join(dir, 'cgroup.subtree_control'), '+cpu +memory +pids');
      dir = join(dir, part);
      mkdirSync(dir, { recursive: true });
    }
    writeIfPresent(join(dir, 'cpu.weight'), String(sharesToWeight(config.cpuShares)));
    if (config.cpuQuotaUs !== undefined)
      writeIfPresent(join(dir, 'cpu.max'), `${config.cpuQuotaUs} ${config.cpuPeriodUs ?? 100_000}`);
    if (config.memoryLimitBytes !== undefined)
      writeIfPresent(join(dir, 'memory.max'), String(config.memoryLimitBytes));
    return;
  }
  const cpu = join(fsRoot, 'cpu', path);
  mkdirSync(cpu, { recursive: true });
  writeIfPresent(join(cpu, 'cpu.shares'), String(config.cpuShares));
  if (config.cpuQuotaUs !== undefined) {
    writeIfPresent(join(cpu, 'cpu.cfs_period_us'), String(config.cpuPeriodUs ?? 100_000));
    writeIfPresent(join(cpu, 'cpu.cfs_quota_us'), String(config.cpuQuotaUs));
  }
  if (config.memoryLimitBytes !== undefined) {
    const mem = join(fsRoot, 'memory', path);
    mkdirSync(mem, { recursive: true });
    writeIfPresent(join(mem, 'memory.limit_in_bytes'), String(config.memoryLimitBytes));
  }
}
