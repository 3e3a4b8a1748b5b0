// The static pod file source (upstream's pkg/kubelet/config/file.go): every regular file in the manifest
// directory whose name does not start with a dot is one pod; subdirectories are not entered. The whole
// directory is read again every check period (upstream's --file-check-frequency, 20 s) and soon after the
// directory changes (fs.watch), and the complete set of pods is handed on whenever it changed. A pod keeps
// its object (and so its `kubernetes.io/config.seen` time and last status) while its file's content, and
// so its uid, stays the same.
import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Logger } from '../../client/index.js';
import type { Obj } from '../refs.js';
import { CONFIG_SEEN_ANNOTATION, ManifestError, podFullName, staticPodFromManifest } from './manifest.js';

/** Upstream's default --file-check-frequency. */
export const DEFAULT_FILE_CHECK_MS = 20_000;
/** How long after a directory change the directory is read (editors write a file in several steps). */
export const WATCH_SETTLE_MS = 100;

export interface ManifestEntry {
  name: string;
  kind: 'file' | 'dir' | 'other';
}

/** What the source reads: the real file system, or an in-memory one in tests. */
export interface DirWatch {
  close(): void;
  /** Whether the watch ended (the directory went away): the next period watches again. */
  readonly closed: boolean;
}

export interface ManifestFs {
  /** The directory's entries, or undefined when it does not exist. */
  list(dir: string): ManifestEntry[] | undefined;
  read(path: string): string;
  /** Calls onChange when something in dir changes; undefined when dir cannot be watched (yet). */
  watch?(dir: string, onChange: () => void): DirWatch | undefined;
}

export const nodeManifestFs: ManifestFs = {
  list(dir) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const out: ManifestEntry[] = [];
    for (const name of names) {
      try {
        const st = statSync(join(dir, name)); // follows links, as upstream's os.Stat
        out.push({ name, kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other' });
      } catch {
        // Removed between the listing and the stat: it is simply not there.
      }
    }
    return out;
  },
  read: (path) => readFileSync(path, 'utf8'),
  watch(dir, onChange) {
    let w: FSWatcher;
    let closed = false;
    try {
      w = watch(dir, { persistent: false }, () => onChange());
    } catch {
      return undefined;
    }
    w.on('error', () => {
      closed = true;
      w.close();
      onChange();
    });
    return {
      close: () => {
        closed = true;
        w.close();
      },
      get closed() {
        return closed;
      },
    };
  },
};

export interface StaticPodSourceOptions {
  dir: string;
  nodeName: string;
  clock: Clock;
  log: Logger;
  /** Receives the complete set of static pods whenever it changed (and after the first read). */
  onUpdate(pods: Obj[]): void;
  fs?: ManifestFs;
  periodMs?: number;
}

export class StaticPodSource {
  private readonly fs: ManifestFs;
  /** The current pods by uid. */
  private current = new Map<string, Obj>();
  /** The last problem logged per file, so a bad file is reported once, not every period. */
  private readonly problems = new Map<string, string>();
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private settle: ReturnType<Clock['setTimeout']> | undefined;
  private watcher: DirWatch | undefined;
  private stopped = false;
  private first = true;
  scans = 0;

  constructor(private readonly o: StaticPodSourceOptions) {
    this.fs = o.fs ?? nodeManifestFs;
  }

  pods(): Obj[] {
    return [...this.current.values()];
  }

  /** Reads the directory once and hands on the pods if they changed. */
  scan(): void {
    this.scans++;
    let entries: ManifestEntry[] | undefined;
    try {
      entries = this.fs.list(this.o.dir);
    } catch (err) {
      this.report(this.o.dir, `unable to read manifest path: ${(err as Error).message}`);
      return; // keep what we have: a transient error must not stop every static pod
    }
    const byName = new Map<string, Obj>();
    const seenFiles = new Set<string>();
    for (const e of [...(entries ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.')) continue;
      const path = join(this.o.dir, e.name);
      seenFiles.add(path);
      if (e.kind === 'dir') {
        this.report(path, 'not recursing into manifest path');
        continue;
      }
      if (e.kind !== 'file') {
        this.report(path, 'manifest path is not a directory or file');
        continue;
      }
      let pod: Obj;
      try {
        pod = staticPodFromManifest(this.fs.read(path), path, this.o.nodeName);
      } catch (err) {
        if (err instanceof ManifestError) this.report(path, err.message);
        else if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(path, (err as Error).message);
        continue;
      }
      this.problems.delete(path);
      // Two files naming the same pod: the later one wins, as upstream's store keyed by name.
      byName.set(podFullName(pod), pod);
    }
    for (const path of this.problems.keys())
      if (path !== this.o.dir && !seenFiles.has(path)) this.problems.delete(path);
    if (entries) this.problems.delete(this.o.dir);

    const next = new Map<string, Obj>();
    let changed = this.first;
    for (const pod of byName.values()) {
      const uid = pod.metadata.uid;
      const known = this.current.get(uid);
      if (known) next.set(uid, known);
      else {
        pod.metadata.annotations[CONFIG_SEEN_ANNOTATION] = new Date(this.o.clock.now()).toISOString();
        next.set(uid, pod);
        changed = true;
      }
    }
    if (next.size !== this.current.size) changed = true;
    this.current = next;
    this.first = false;
    if (changed) this.o.onUpdate(this.pods());
  }

  private report(path: string, message: string): void {
    if (this.problems.get(path) === message) return;
    this.problems.set(path, message);
    this.o.log.warn('static pod manifest skipped', { path, error: message });
  }

  /** Reads now, then every period and soon after each change in the directory. */
  start(): void {
    this.scan();
    this.ensureWatch();
    const period = this.o.periodMs ?? DEFAULT_FILE_CHECK_MS;
    const tick = () => {
      this.timer = undefined;
      if (this.stopped) return;
      this.scan();
      this.ensureWatch(); // the directory may have been made since the last look
      this.timer = this.o.clock.setTimeout(tick, period);
    };
    this.timer = this.o.clock.setTimeout(tick, period);
  }

  /** A change in the directory: read it shortly (several events of one edit make one read). */
  changed(): void {
    if (this.stopped || this.settle) return;
    this.settle = this.o.clock.setTimeout(() => {
      this.settle = undefined;
      if (!this.stopped) this.scan();
    }, WATCH_SETTLE_MS);
  }

  private ensureWatch(): void {
    if ((this.watcher && !this.watcher.closed) || !this.fs.watch) return;
    this.watcher = this.fs.watch(this.o.dir, () => this.changed());
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
    this.o.clock.clearTimeout(this.settle);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
