// Starts a reconcile loop once the informer caches have synced, without making the caller wait for it.
import {
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
