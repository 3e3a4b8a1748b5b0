// The node's part of the pod network across nodes: watches Nodes and keeps (1) a route for every other
// node's podCIDR via that node's InternalIP and (2) the masquerade rule that leaves pod-to-pod traffic
// unNATed. Started by the node next to the kubelet; it talks to the cluster only through the API server.
import {
  type Clock,
  consoleLogger,
  type Logger,
  NODES,
  type RestClient,
  realClock,
  runController,
  SharedInformerFactory,
  WorkQueue,
} from '../client/index.js';
import { applyMasquerade, masqueradeScript } from './masquerade.js';
import { desiredRoutes, ipRouteTable, nodePodCIDRs, type RouteTable, syncRoutes } from './routes.js';

export { removeMasquerade } from './masquerade.js';

/** Routes and rules are checked again this often even when no Node changes (someone may flush them). */
const RESYNC_MS = 60_000;

type Obj = Record<string, any>;

export interface PodNetworkOptions {
  rest: RestClient;
  nodeName: string;
  /** The node's CNI bridge; names its masquerade table. */
  bridge: string;
  clock?: Clock;
  log?: Logger;
  /** Stand-ins for the kernel in tests. */
  routes?: RouteTable;
  masquerade?: (own: string[], all: string[]) => Promise<void>;
}

export interface PodNetwork {
  /** Syncs done so far (for tests and benchmarks). */
  readonly syncs: number;
  stop(): Promise<void>;
}

/** Starts watching Nodes. Routes and the masquerade rule stay on stop: running pods keep their network. */
export function startPodNetwork(opts: PodNetworkOptions): PodNetwork {
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? consoleLogger;
  const table = opts.routes ?? ipRouteTable;
  const masquerade = opts.masquerade ?? ((own, all) => applyMasquerade(opts.bridge, own, all));
  const informers = new SharedInformerFactory(opts.rest, { clock, log });
  const nodes = informers.informerFor<Obj>(NODES);
  const queue = new WorkQueue<string>({ name: 'pod-network', clock });
  const enqueue = () => queue.add('nodes');
  // Nodes post status every few seconds; only their ranges, addresses and deletion matter here.
  const view = (n: Obj) =>
    JSON.stringify([nodePodCIDRs(n), n.status?.addresses ?? [], Boolean(n.metadata?.deletionTimestamp)]);
  nodes.addEventHandler({
    onAdd: enqueue,
    onUpdate: (before, after) => {
      if (view(before) !== view(after)) enqueue();
    },
    onDelete: enqueue,
  });
  let appliedMasq = '';
  let syncs = 0;

  const controller = runController<string>({
    name: 'pod-network',
    queue,
    log,
    reconcile: async () => {
      const all = nodes.store.list();
      const result = await syncRoutes(table, desiredRoutes(all, opts.nodeName));
      for (const r of result.replace) log.info('pod route set', { cidr: r.cidr, via: r.via });
      for (const cidr of result.remove) log.info('pod route removed', { cidr });
      const self = all.find((n) => n.metadata?.name === opts.nodeName);
      const own = self ? nodePodCIDRs(self) : [];
      if (own.length > 0) {
        const podCIDRs = all.filter((n) => !n.metadata?.deletionTimestamp).flatMap(nodePodCIDRs);
        const script = masqueradeScript(opts.bridge, own, podCIDRs);
        if (script !== appliedMasq) {
          await masquerade(own, podCIDRs);
          appliedMasq = script;
        }
      }
      syncs++;
      if (result.errors.length > 0) throw new AggregateError(result.errors, 'some pod routes failed');
      return { requeueAfterMs: RESYNC_MS };
    },
  });
  informers.start();

  return {
    get syncs() {
      return syncs;
    },
    async stop() {
      queue.shutDown();
      await controller.stop();
      await informers.stop();
    },
  };
}
