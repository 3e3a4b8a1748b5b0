// Starts a reconcile loop once the informer caches have synced, without making the caller wait for it.
import {
  type ReconcileResult,
  type RunningController,
  runController,
  type WorkQueue,
} from '../client/index.js';
import type { ControllerContext, StartedController } from './context.js';

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
    running = runController({ ...opts, log: ctx.log });
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
