// Periodic compaction that keeps a window of history measured in wall-clock time, for any Backend.
// Revisions carry no timestamps, so the compactor samples currentRevision() on every tick and remembers
// (time, revision) pairs; the newest revision that was already current `windowMs` ago is the one to
// compact to, which keeps every event of the last `windowMs` readable and watchable.

import { isK8tsError } from '../errors.js';
import type { Backend } from './backend.js';

export const DEFAULT_COMPACT_WINDOW_MS = 5 * 60 * 1000;

export interface CompactorOptions {
  /** History to keep, in ms. Default 5 minutes. */
  windowMs?: number;
  /** How often to sample and compact. Default: the smaller of 30 s and the window. */
  intervalMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  /** Timer, injectable for tests. */
  setInterval?: (fn: () => void, ms: number) => { stop(): void };
  /** Unexpected failures (closed stores and already-compacted revisions are not reported). */
  onError?: (err: unknown) => void;
}

export interface Compactor {
  /** One sample-and-compact step (what each tick runs); concurrent calls share one run. */
  runOnce(): Promise<void>;
  stop(): void;
}

interface Sample {
  at: number;
  revision: number;
}

function realInterval(fn: () => void, ms: number): { stop(): void } {
  const t = setInterval(fn, ms);
  t.unref();
  return { stop: () => clearInterval(t) };
}

export function startCompactor(backend: Backend, opts: CompactorOptions = {}): Compactor {
  const windowMs = opts.windowMs ?? DEFAULT_COMPACT_WINDOW_MS;
  const intervalMs = opts.intervalMs ?? Math.min(30_000, windowMs);
  const now = opts.now ?? Date.now;
  const onError = opts.onError ?? (() => {});
  const samples: Sample[] = [];
  let running: Promise<void> | undefined;
  let stopped = false;

  async function step(): Promise<void> {
    const revision = await backend.currentRevision();
    const at = now();
    // Keep the first time each revision was seen: that is when it became (at the latest) current.
    if (samples.length === 0 || samples[samples.length - 1].revision !== revision)
      samples.push({ at, revision });

    const cutoff = at - windowMs;
    let idx = -1;
    for (let i = 0; i < samples.length && samples[i].at <= cutoff; i++) idx = i;
    if (idx < 0) return;
    const target = samples[idx].revision;
    samples.splice(0, idx); // older samples can never be a target again
    if (target > (await backend.compactedRevision())) await backend.compact(target);
  }

  const runOnce = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    running ??= step()
      .catch((err) => {
        if (isK8tsError(err, 'StoreClosed')) stop();
        else if (!isK8tsError(err, 'Compacted')) onError(err);
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = (opts.setInterval ?? realInterval)(() => void runOnce(), intervalMs);
  function stop(): void {
    stopped = true;
    timer.stop();
  }
  return { runOnce, stop };
}
