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
  stop(): Promise<void>;
}

/** Starts a scheduler against the API server at `baseUrl`; resolves once its caches synced. */
export async function startScheduler(
  opts: { baseUrl: string; clock?: Clock; log?: Logger } & Omit<SchedulerOptions, 'baseUrl'>,
): Promise<RunningScheduler> {
  const scheduler = new Scheduler(opts);
  await scheduler.start();
  return { scheduler, stop: () => scheduler.stop() };
}
