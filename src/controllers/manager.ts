// The controller manager: one REST client and one shared informer factory, and every controller on them.
import {
  type Clock,
  consoleLogger,
  EventRecorder,
  type Logger,
  RestClient,
  realClock,
  restEventSink,
  SharedInformerFactory,
} from '../client/index.js';
import type { ControllerContext, StartedController } from './context.js';
import * as cronjob from './cronjob/index.js';
import * as deployment from './deployment/index.js';
import * as garbagecollector from './garbagecollector/index.js';
import * as job from './job/index.js';
import * as namespace from './namespace/index.js';
import * as nodeipam from './nodeipam/index.js';
import * as replicaset from './replicaset/index.js';
import * as serviceaccount from './serviceaccount/index.js';
import * as ttlafterfinished from './ttlafterfinished/index.js';

export interface ControllerManagerOptions {
  baseUrl: string;
  clock?: Clock;
  log?: Logger;
  /** The range node podCIDRs are cut from (default 10.42.0.0/16, a /24 per node). */
  clusterCidr?: string;
}

export interface ControllerManager {
  readonly ctx: ControllerContext;
  stop(): Promise<void>;
}

const CONTROLLERS: { name: string; start(ctx: ControllerContext): StartedController }[] = [
  { name: 'garbagecollector', start: garbagecollector.start },
  { name: 'cronjob', start: cronjob.start },
  { name: 'deployment', start: deployment.start },
  { name: 'job', start: job.start },
  { name: 'namespace', start: namespace.start },
  { name: 'replicaset', start: replicaset.start },
  { name: 'serviceaccount', start: serviceaccount.start },
  { name: 'ttlafterfinished', start: ttlafterfinished.start },
];

export function startControllerManager(opts: ControllerManagerOptions): ControllerManager {
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? consoleLogger;
  // Client limits: 5000 qps, burst 5000 (upstream's controller manager: 20/30). The API server is local;
  // at 500 qps, bench/controllers created pods at ~300/s, the limiter being the bottleneck.
  const rest = new RestClient({ baseUrl: opts.baseUrl, qps: 5000, burst: 5000 });
  const informers = new SharedInformerFactory(rest, { clock, log });
  const recorders = new Map<string, EventRecorder>();
  const sink = restEventSink(rest);
  const ctx: ControllerContext = {
    rest,
    informers,
    clock,
    log,
    recorderFor(component) {
      let r = recorders.get(component);
      if (!r) {
        r = new EventRecorder({ sink, component, clock, log });
        recorders.set(component, r);
      }
      return r;
    },
  };
  const started = [
    ...CONTROLLERS.map((c) => c.start(ctx)),
    nodeipam.start(ctx, { clusterCidr: opts.clusterCidr }),
  ];
  informers.start();
  let stopping: Promise<void> | undefined;
  return {
    ctx,
    stop() {
      stopping ??= (async () => {
        await Promise.all(started.map((c) => c.stop()));
        await informers.stop();
        await Promise.all([...recorders.values()].map((r) => r.close()));
        rest.close();
      })();
      return stopping;
    },
  };
}
