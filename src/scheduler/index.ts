// The scheduler's entry point for the server command: startScheduler({ baseUrl }) runs it until stop().
import type { Clock } from '../client/clock.js';
import type { Logger } from '../client/log.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

export { Framework, fitErrorMessage } from './framework.js';
export { defaultProfile, pluginRegistry, type SchedulerProfile } from './plugins/index.js';
export { SchedulingQueue } from './queue.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { Status } from './types.js';

export interface RunningScheduler {
  scheduler: Scheduler;
  /** Resolves once the informers synced and the scheduling loop runs. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a scheduler against the API server at `baseUrl` and returns at once (awaiting the result is
 * harmless; await `ready` to know the caches synced). `stop()` ends everything it started.
 */
export function startScheduler(
  opts: { baseUrl: string; clock?: Clock; log?: Logger } & Omit<SchedulerOptions, 'baseUrl'>,
): RunningScheduler {
  const scheduler = new Scheduler(opts);
  const ready = scheduler.start();
  ready.catch(() => {}); // surfaced to whoever awaits `ready`
  return { scheduler, ready, stop: () => scheduler.stop() };
}
