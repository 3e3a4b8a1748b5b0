// Starts a reconcile loop (or a periodic pass) once the informer caches have synced, without making the
// caller wait for it.
import {
  type Clock,
  isConflict,
  type ReconcileResult,
  type RunningController,
  runController,
  type WorkQueue,
} from '../client/index.js';
import type { ControllerContext, StartedController } from './context.js';

const CONFLICT_RETRY_MS = 100;

export function runWhenSynced(
  ctx: ControllerContext,
  opts: {
    name: string;
    queue: WorkQueue<string>;
    workers: number;
    // biome-ignore lint/suspicious/noConfusingVoidType: async reconcilers may return nothing.
    reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult | undefined | void>;
  },
): StartedController {
  let running: RunningController | undefined;
  let stopped = false;
  const started = ctx.informers.waitForSync().then((synced) => {
    if (stopped || !synced) return;
    running = runController({
      ...opts,
      log: ctx.log,
      // A conflict means the cache is behind a write: look again shortly, without a warning in the log.
      reconcile: async (key, signal) => {
        try {
          return await opts.reconcile(key, signal);
        } catch (err) {
          if (isConflict(err)) return { requeueAfterMs: CONFLICT_RETRY_MS };
          throw err;
        }
      },
    });
  });
  return {
    async stop() {
      stopped = true;
      opts.queue.shutDown();
      await started.catch(() => {});
      await running?.stop();
    },
  };
}

/**
 * Runs `pass` once the caches have synced, then again `nextInMs()` later (on ctx.clock, asked after each
 * pass, failed or not: a failure is logged), until stopped. Stop waits for a running pass.
 */
export function runPassesWhenSynced(
  ctx: ControllerContext,
  opts: { name: string; pass: () => Promise<void>; nextInMs: () => number },
): StartedController {
  const clock: Clock = ctx.clock;
  let stopped = false;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = async () => {
    if (stopped) return;
    try {
      await opts.pass();
    } catch (err) {
      ctx.log.warn(`${opts.name} pass failed`, { err: String(err) });
    }
    if (stopped) return;
    timer = clock.setTimeout(
      () => {
        running = loop();
      },
      Math.max(0, opts.nextInMs()),
    );
  };
  ctx.informers.waitForSync().then((synced) => {
    if (synced && !stopped) running = loop();
  });
  return {
    async stop() {
      stopped = true;
      clock.clearTimeout(timer);
      await running;
    },
  };
}
