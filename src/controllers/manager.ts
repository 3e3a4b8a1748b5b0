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
import type { ControllerConfig } from './config.js';
import type { ControllerContext, StartedController } from './context.js';
import * as cronjob from './cronjob/index.js';
import * as deployment from './deployment/index.js';
import * as disruption from './disruption/index.js';
import * as endpoints from './endpoints/index.js';
import * as endpointslice from './endpointslice/index.js';
import * as endpointslicemirroring from './endpointslicemirroring/index.js';
import * as garbagecollector from './garbagecollector/index.js';
import * as job from './job/index.js';
import * as legacytoken from './legacytoken/index.js';
import * as localpath from './localpath/index.js';
import * as namespace from './namespace/index.js';
import * as nodeipam from './nodeipam/index.js';
import * as nodelifecycle from './nodelifecycle/index.js';
import * as persistentvolume from './persistentvolume/index.js';
import * as podgc from './podgc/index.js';
import * as replicaset from './replicaset/index.js';
import * as rootcacertpublisher from './rootcacertpublisher/index.js';
import * as serviceaccount from './serviceaccount/index.js';
import * as tainteviction from './tainteviction/index.js';
import * as ttlafterfinished from './ttlafterfinished/index.js';

export interface ControllerManagerOptions {
  baseUrl: string;
  clock?: Clock;
  log?: Logger;
  config?: ControllerConfig;
}

export interface ControllerManager {
  readonly ctx: ControllerContext;
  stop(): Promise<void>;
}

const CONTROLLERS: { name: string; start(ctx: ControllerContext): StartedController }[] = [
  { name: 'garbagecollector', start: garbagecollector.start },
  { name: 'cronjob', start: cronjob.start },
  { name: 'deployment', start: deployment.start },
  { name: 'endpoints', start: (ctx) => endpoints.start(ctx) },
  { name: 'endpointslice', start: (ctx) => endpointslice.start(ctx) },
  { name: 'endpointslicemirroring', start: endpointslicemirroring.start },
  { name: 'job', start: job.start },
  { name: 'namespace', start: namespace.start },
  { name: 'replicaset', start: replicaset.start },
  { name: 'serviceaccount', start: serviceaccount.start },
  { name: 'root-ca-cert-publisher', start: (ctx) => rootcacertpublisher.start(ctx) },
  { name: 'ttlafterfinished', start: ttlafterfinished.start },
  { name: 'disruption', start: disruption.start },
  { name: 'nodeipam', start: (ctx) => nodeipam.start(ctx, { clusterCidr: ctx.config.clusterCidr }) },
  { name: 'nodelifecycle', start: nodelifecycle.start },
  { name: 'podgc', start: podgc.start },
  { name: 'legacytoken', start: legacytoken.start },
  { name: 'tainteviction', start: tainteviction.start },
  { name: 'persistentvolume-binder', start: persistentvolume.start },
  { name: 'local-path-provisioner', start: (ctx) => localpath.start(ctx, { dir: ctx.config.localPathDir }) },
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
    config: opts.config ?? {},
    recorderFor(component) {
      let r = recorders.get(component);
      if (!r) {
        r = new EventRecorder({ sink, component, clock, log });
        recorders.set(component, r);
      }
      return r;
    },
  };
  const started = CONTROLLERS.map((c) => c.start(ctx));
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
