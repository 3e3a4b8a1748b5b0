// What every controller gets from the controller manager: one REST client and one informer factory shared
// by all of them, the clock, a logger, and event recorders per component.
import type { Clock, EventRecorder, Logger, RestClient, SharedInformerFactory } from '../client/index.js';
import type { ControllerConfig } from './config.js';

export interface ControllerContext {
  rest: RestClient;
  informers: SharedInformerFactory;
  clock: Clock;
  recorderFor(component: string): EventRecorder;
  log: Logger;
  /** Per-controller settings (timings, keys); empty when the caller gives none. */
  config: ControllerConfig;
}

/** A started controller; stop() ends its workers and waits for running reconciles. */
export interface StartedController {
  stop(): Promise<void>;
}
