// Test harness: runs a real etcd (single member or a 3-member cluster) on free loopback ports in a
// temp data dir, waits until it is healthy, and stops it by pid (SIGTERM, then SIGKILL), removing the dir.
// Durability settings stay at etcd's defaults (fsync on); only raft timings are shortened so that
// elections settle fast.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_BIN = '/usr/bin/etcd';

/** Values up to 1.5 MiB must fit in one request together with key and txn overhead. */
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  /** host:port, the form the etcd driver takes. */
  endpoint: string;
  dataDir: string;
  logFile: string;
  process: ChildProcess | null;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** All members' endpoints (host:port). */
  endpoints: string[];
  /** Stop one member (for failover tests); the rest keep running. */
  stopMember(index: number): Promise<void>;
  /** SIGKILL one member (no graceful leadership transfer); the rest keep running. */
  killMember(index: number): Promise<void>;
  /** Stop every member and delete the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EtcdOptions {
  /** Number of members; 1 (default) or 3 for a quorum cluster. */
  members?: number;
  /** Milliseconds to wait for every member to report healthy. */
  startTimeoutMs?: number;
}

/** Path of the etcd binary, installing Debian's etcd-server when it is missing. */
export function etcdBinary(): string {
  const fromEnv = process.env.K8TS_ETCD_BIN;
  if (fromEnv) return fromEnv;
  if (existsSync(DEFAULT_BIN)) return DEFAULT_BIN;
  const asRoot = process.getuid?.() === 0;
  const apt = (...args: string[]) =>
    spawnSync(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['-n', 'apt-get', ...args], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  // Try without refreshing the package lists first; a fresh machine may need the update.
  if (!apt('install', '-y', 'etcd-server')) apt('update');
  if (!existsSync(DEFAULT_BIN) && (!apt('install', '-y', 'etcd-server') || !existsSync(DEFAULT_BIN))) {
    throw new Error(`etcd is not installed at ${DEFAULT_BIN} and "apt-get install -y etcd-server" failed`);
  }
  return DEFAULT_BIN;
}

/** A loopback port nobody is listening on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startEtcd(opts: EtcdOptions = {}): Promise<EtcdCluster> {
  const count = opts.members ?? 1;
  const bin = etcdBinary();
  const root = mkdtempSync(join(tmpdir(), 'k8ts-etcd-'));
  const members: EtcdMember[] = [];
  // Pick all ports before starting anything so the initial-cluster string is complete.
  const ports = new Set<number>();
  while (ports.size < count * 2) ports.add(await freePort());
  const portList = [...ports];
  for (let i = 0; i < count; i++) {
    const clientPort = portList[i * 2];
    const peerPort = portList[i * 2 + 1];
    members.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${clientPort}`,
      peerUrl: `http://127.0.0.1:${peerPort}`,
      endpoint: `127.0.0.1:${clientPort}`,
      dataDir: join(root, `m${i}`),
      logFile: join(root, `m${i}.log`),
      process: null,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `k8ts-test-${process.pid}-${Date.now()}`;

  let stopped = false;
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.endpoint),
    stopMember: (index) => stopProcess(members[index]),
    killMember: (index) => stopProcess(members[index], 'SIGKILL'),
    async stop() {
      if (stopped) return;
      stopped = true;
      // One at a time: etcd members stopped together stall on leadership transfer until SIGKILL.
      for (const m of [...members].reverse()) await stopProcess(m);
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    for (const m of members) {
      const log = openSync(m.logFile, 'a');
      const args = [
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=${token}`,
        '--initial-cluster-state=new',
        '--heartbeat-interval=50',
        '--election-timeout=500',
        `--max-request-bytes=${MAX_REQUEST_BYTES}`,
        '--logger=zap',
        `--log-level=${process.env.K8TS_ETCD_LOG_LEVEL ?? 'warn'}`,
      ];
      m.process = spawn(bin, args, { stdio: ['ignore', log, log], env: etcdFreeEnv() });
      closeSync(log);
    }
    await Promise.all(members.map((m) => waitHealthy(m, opts.startTimeoutMs ?? 30_000)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** etcd reads ETCD_* variables as flags and refuses to start when they clash with ours. */
function etcdFreeEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
}

async function waitHealthy(m: EtcdMember, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const proc = m.process;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`etcd member ${m.name} exited during startup:\n${logTail(m)}`);
    }
    try {
      const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      if (res.ok && body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd member ${m.name} not healthy after ${timeoutMs} ms:\n${logTail(m)}`);
}

function logTail(m: EtcdMember): string {
  try {
    return readFileSync(m.logFile, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

/** SIGTERM (or the given signal) by pid, then SIGKILL if it has not exited within 5 s. */
async function stopProcess(m: EtcdMember, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const proc = m.process;
  m.process = null;
  if (!proc || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const pid = proc.pid;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  process.kill(pid, signal);
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}
