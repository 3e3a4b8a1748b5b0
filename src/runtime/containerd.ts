// Supervises k8ts's own containerd: writes its config under `<dataDir>/containerd/`, starts it as a child
// process (in its own session, so a terminal's Ctrl-C reaches k8ts, which then stops it in order), waits
// until CRI answers, restarts it with back-off if it dies, and stops it by pid (SIGTERM, then SIGKILL).
// Containers outlive containerd: their shims keep running, and a restarted containerd finds them again.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { K8tsError } from '../errors.js';
import {
  type ContainerdPaths,
  containerdConfig,
  containerdPaths,
  type Snapshotter,
} from './containerd-config.js';
import { CriClient, criPackage } from './cri/client.js';
import { PAUSE_IMAGE } from './images.js';

export const DEFAULT_CONTAINERD = '/usr/bin/containerd';

export type ContainerdEvent =
  | { type: 'ready'; pid: number; startupMs: number; restart: number }
  | { type: 'exit'; pid: number; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'restart-scheduled'; delayMs: number }
  | { type: 'restart-failed'; error: Error };

export interface ContainerdOptions {
  dataDir: string;
  /** The containerd binary (default /usr/bin/containerd, or $K8TS_CONTAINERD_BIN). */
  binary?: string;
  sandboxImage?: string;
  /** 'auto' (default) probes whether overlayfs mounts work under the data dir, else uses native. */
  snapshotter?: Snapshotter | 'auto';
  logLevel?: string;
  /** How long to wait for CRI to answer after starting (default 20 s). */
  startTimeoutMs?: number;
  /** Restart containerd when it exits unexpectedly (default true). */
  restart?: boolean;
  /** First restart delay; doubles up to restartMaxDelayMs; resets after 60 s of healthy running. */
  restartDelayMs?: number;
  restartMaxDelayMs?: number;
  /** SIGTERM grace before SIGKILL on stop (default 10 s). */
  stopGraceMs?: number;
  onEvent?: (event: ContainerdEvent) => void;
}

export interface ContainerdHandle {
  /** Path of containerd's gRPC socket (CRI and containerd APIs). */
  readonly socket: string;
  /** The current containerd pid (changes when it is restarted). */
  readonly pid: number;
  readonly paths: ContainerdPaths;
  readonly snapshotter: Snapshotter;
  /** Milliseconds from spawn until CRI Version answered, for the first start. */
  readonly startupMs: number;
  /** How many times it was restarted after dying. */
  readonly restarts: number;
  /** Resident memory of the containerd process in bytes (0 if it is not running). */
  rssBytes(): number;
  /** Stops containerd (SIGTERM, then SIGKILL after the grace period) and stops supervising it. */
  stop(): Promise<void>;
}

/** Whether an overlay mount works on the filesystem under dir (it does not on overlay or some FUSE roots). */
export function overlayWorks(dir: string): boolean {
  if (!readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n')) return false;
  mkdirSync(dir, { recursive: true });
  const probe = mkdtempSync(join(dir, 'overlay-probe-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(probe, d));
    const mount = spawnSync(
      'mount',
      [
        '-t',
        'overlay',
        'overlay',
        '-o',
        `lowerdir=${join(probe, 'lower')},upperdir=${join(probe, 'upper')},workdir=${join(probe, 'work')}`,
        join(probe, 'merged'),
      ],
      { stdio: 'ignore' },
    );
    if (mount.status !== 0) return false;
    spawnSync('umount', [join(probe, 'merged')], { stdio: 'ignore' });
    return true;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Whether a process with this pid exists (signal 0). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until pid is gone (polling: it may not be our child), up to ms; true if it went. */
async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processRunning(pid)) return true;
    await sleep(20);
  }
  return !processRunning(pid);
}

/**
 * A containerd left running by an earlier k8ts that died without stopping it (kill -9) still holds the
 * socket and the metadata database; stop it, by the pid it recorded, when its command line is ours.
 */
async function stopLeftover(paths: ContainerdPaths): Promise<void> {
  if (!existsSync(paths.pidFile)) return;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes(paths.config)) return;
  process.kill(pid, 'SIGTERM');
  if (!(await waitGone(pid, 10_000))) {
    process.kill(pid, 'SIGKILL');
    await waitGone(pid, 5_000);
  }
}

/**
 * Pids of the runc shims serving the containerd at socket (each shim's command line carries
 * `-address <socket>`). Shims outlive containerd by design; a full node teardown ends them by these pids.
 */
export function shimPids(socket: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.includes('containerd-shim')) continue;
    const i = argv.indexOf('-address');
    if (i >= 0 && argv[i + 1] === socket) pids.push(Number(entry));
  }
  return pids;
}

/** Keeps containerd's log bounded: past LOG_ROTATE_BYTES at a (re)start, the old log becomes `.1`. */
const LOG_ROTATE_BYTES = 16 * 1024 * 1024;
function rotateLog(path: string): void {
  try {
    if (statSync(path).size > LOG_ROTATE_BYTES) renameSync(path, `${path}.1`);
  } catch {
    // no log yet
  }
}

function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls until the socket exists and CRI Version answers; throws with containerd's log tail otherwise. */
async function waitForCri(paths: ContainerdPaths, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  const onExit = () => {
    exited = true;
  };
  child.once('exit', onExit);
  try {
    while (!existsSync(paths.socket)) {
      if (exited) throw new Error('containerd exited during start');
      if (Date.now() > deadline) throw new Error('containerd did not open its socket in time');
      await sleep(5);
    }
    // containerd opens its socket after loading its plugins, so CRI answers now or never (when the
    // plugin failed to load, Version is "unimplemented").
    const cri = new CriClient(paths.socket);
    try {
      for (;;) {
        try {
          await cri.version(Math.max(100, Math.min(2_000, deadline - Date.now())));
          return;
        } catch (err) {
          if (exited) throw new Error('containerd exited during start');
          if (Date.now() > deadline || /unimplemented/i.test((err as Error).message)) throw err;
          await sleep(20);
        }
      }
    } finally {
      cri.close();
    }
  } finally {
    child.off('exit', onExit);
  }
}

/** Writes the config, starts containerd and resolves once CRI answers. */
export async function startContainerd(opts: ContainerdOptions): Promise<ContainerdHandle> {
  const binary = opts.binary ?? process.env.K8TS_CONTAINERD_BIN ?? DEFAULT_CONTAINERD;
  if (!existsSync(binary)) {
    throw new K8tsError(
      'RuntimeUnavailable',
      `${binary} is missing: install containerd (apt-get install containerd)`,
    );
  }
  const paths = containerdPaths(opts.dataDir);
  for (const dir of [paths.dir, paths.root, paths.state, paths.certsDir]) mkdirSync(dir, { recursive: true });
  const snapshotter: Snapshotter =
    !opts.snapshotter || opts.snapshotter === 'auto'
      ? overlayWorks(paths.dir)
        ? 'overlayfs'
        : 'native'
      : opts.snapshotter;
  writeFileSync(
    paths.config,
    containerdConfig({
      dataDir: opts.dataDir,
      sandboxImage: opts.sandboxImage ?? PAUSE_IMAGE,
      snapshotter,
      logLevel: opts.logLevel,
    }),
  );
  await stopLeftover(paths);

  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
  const emit = (e: ContainerdEvent) => opts.onEvent?.(e);
  let child: ChildProcess | null = null;
  let stopping = false;
  let restarts = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  // Only a containerd that became ready is restarted when it dies; a failed start is reported instead.
  const supervised = new WeakSet<ChildProcess>();
  let delay = opts.restartDelayMs ?? 500;
  const maxDelay = opts.restartMaxDelayMs ?? 30_000;

  criPackage(); // parse the CRI proto now, so the start time measured below is containerd's own
  const launch = async (): Promise<{ pid: number; ms: number }> => {
    rmSync(paths.socket, { force: true });
    rotateLog(paths.log);
    const logFd = openSync(paths.log, 'a');
    const started = performance.now();
    let proc: ChildProcess;
    try {
      proc = spawn(binary, ['--config', paths.config], { stdio: ['ignore', logFd, logFd], detached: true });
    } finally {
      closeSync(logFd);
    }
    const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
    spawnError.catch(() => {});
    child = proc;
    const startedAt = Date.now();
    proc.once('exit', (code, signal) => {
      if (child === proc) child = null;
      emit({ type: 'exit', pid: proc.pid ?? 0, code, signal });
      if (stopping || !supervised.has(proc) || opts.restart === false) return;
      if (Date.now() - startedAt > 60_000) delay = opts.restartDelayMs ?? 500;
      scheduleRestart();
    });
    try {
      await Promise.race([waitForCri(paths, proc, startTimeoutMs), spawnError]);
    } catch (err) {
      if (proc.exitCode === null && proc.pid) proc.kill('SIGKILL');
      throw new K8tsError(
        'RuntimeUnavailable',
        `containerd did not become ready: ${(err as Error).message}\n--- ${paths.log} ---\n${logTail(paths.log)}`,
      );
    }
    supervised.add(proc);
    writeFileSync(paths.pidFile, `${proc.pid}\n`);
    return { pid: proc.pid ?? 0, ms: performance.now() - started };
  };

  const scheduleRestart = () => {
    const wait = delay;
    delay = Math.min(delay * 2, maxDelay);
    emit({ type: 'restart-scheduled', delayMs: wait });
    restartTimer = setTimeout(async () => {
      restartTimer = null;
      if (stopping) return;
      restarts++;
      try {
        const { pid, ms } = await launch();
        emit({ type: 'ready', pid, startupMs: ms, restart: restarts });
      } catch (err) {
        emit({ type: 'restart-failed', error: err as Error });
        if (!stopping) scheduleRestart();
      }
    }, wait);
  };

  const first = await launch();
  const startupMs = first.ms;
  emit({ type: 'ready', pid: first.pid, startupMs, restart: 0 });

  const stop = async () => {
    stopping = true;
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = null;
    const proc = child;
    if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      const grace = opts.stopGraceMs ?? 10_000;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }, grace);
      await exited;
      clearTimeout(timer);
    }
    rmSync(paths.pidFile, { force: true });
  };

  return {
    socket: paths.socket,
    get pid() {
      return child?.pid ?? 0;
    },
    paths,
    snapshotter,
    startupMs,
    get restarts() {
      return restarts;
    },
    rssBytes: () => (child?.pid ? rssOf(child.pid) : 0),
    stop,
  };
}
