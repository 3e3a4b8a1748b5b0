// Facts about the machine the node agent runs on, read from the host: CPUs, memory, the data dir's
// filesystem, PIDs, OS and kernel, its addresses, and the DNS settings pods inherit.
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, hostname, networkInterfaces, release } from 'node:os';

export interface HostFacts {
  hostname: string;
  cpus: number;
  memoryBytes: number;
  /** Size of the filesystem holding the data dir. */
  diskBytes: number;
  osImage: string;
  kernelVersion: string;
  architecture: string;
  machineID: string;
  bootID: string;
}

export interface HostUsage {
  memoryAvailableBytes: number;
  diskAvailableBytes: number;
  diskBytes: number;
  pidsUsed: number;
  pidMax: number;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function meminfo(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(read('/proc/meminfo'));
  return m ? Number(m[1]) * 1024 : 0;
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(read('/etc/os-release'));
  return m ? m[1] : 'Linux';
}

/** Go's GOARCH name for this machine (what nodeInfo.architecture and kubernetes.io/arch carry). */
export function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

export function hostFacts(dataDir: string): HostFacts {
  const fs = statfsSync(dataDir);
  return {
    hostname: hostname().toLowerCase(),
    cpus: cpus().length,
    memoryBytes: meminfo('MemTotal'),
    diskBytes: fs.blocks * fs.bsize,
    osImage: osImage(),
    kernelVersion: release(),
    architecture: goArch(),
    machineID: read('/etc/machine-id').trim(),
    bootID: read('/proc/sys/kernel/random/boot_id').trim(),
  };
}

export function hostUsage(dataDir: string): HostUsage {
  const fs = statfsSync(dataDir);
  let pidsUsed = 0;
  try {
    for (const e of readdirSync('/proc')) if (/^\d+$/.test(e)) pidsUsed++;
  } catch {
    // not Linux
  }
  return {
    memoryAvailableBytes: meminfo('MemAvailable'),
    diskAvailableBytes: fs.bavail * fs.bsize,
    diskBytes: fs.blocks * fs.bsize,
    pidsUsed,
    pidMax: Number(read('/proc/sys/kernel/pid_max').trim()) || 32768,
  };
}

/**
 * The address other nodes and the control plane reach this node at: the first non-internal IPv4 of an
 * interface that is not a container bridge or veth, else loopback.
 */
export function internalIP(exclude: RegExp = /^(k8ts|cni|veth|docker|br-|flannel)/): string {
  const ifaces = networkInterfaces();
  for (const [name, addrs] of Object.entries(ifaces)) {
    if (exclude.test(name)) continue;
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface ResolvConf {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Parses resolv.conf text (nameserver, search/domain, options), the DNS pods with dnsPolicy Default get. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search') out.searches = rest;
    else if (key === 'domain' && rest[0]) out.searches = [rest[0]];
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

/**
 * The host's DNS settings for pods. A resolv.conf that points only at a loopback stub (systemd-resolved's
 * 127.0.0.53) is useless inside a pod's network namespace; upstream's kubelet is pointed at the upstream
 * file instead, which this does by itself when it exists.
 */
export function hostResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  const conf = parseResolvConf(read(path));
  if (conf.servers.length > 0 && conf.servers.every((s) => s.startsWith('127.'))) {
    const upstream = parseResolvConf(read('/run/systemd/resolve/resolv.conf'));
    if (upstream.servers.length > 0) return upstream;
  }
  return conf;
}
