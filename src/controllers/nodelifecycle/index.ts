// The node lifecycle controller (upstream's pkg/controller/nodelifecycle): watches Nodes and their Leases in
// kube-node-lease, turns the conditions of silent nodes Unknown after the grace period, keeps the NoSchedule
// condition taints and `unschedulable` in step with the node, and puts the NoExecute `not-ready` /
// `unreachable` taints on unhealthy nodes through per-zone rate-limited queues (evictions stop when every
// zone is fully disrupted). Pod eviction itself is the taint eviction controller's job.
import { type Clock, isConflict, isNotFound, LEASES, NODES, PODS, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runPassesWhenSynced, runWhenSynced } from '../run.js';
import { computeZoneState, type NodeHealth, tryUpdateNodeHealth, type ZoneState, zoneKey } from './health.js';
import { DEFAULT_NODE_LIFECYCLE, type NodeLifecycleOptions } from './options.js';
import { ZoneTainter } from './tainter.js';
import {
  CONDITION_TAINTS,
  condition,
  hasTaint,
  NOT_READY_NO_EXECUTE,
  POD_NODE_INDEX,
  podNodeIndexer,
  sameTaint,
  swapTaints,
  TAINT_UNSCHEDULABLE,
  type Taint,
  UNREACHABLE_NO_EXECUTE,
} from './taints.js';

type Obj = Record<string, any>;

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The NoSchedule taints a node should carry given its conditions and spec.unschedulable. */
export function wantedNoScheduleTaints(node: Obj): Taint[] {
  const out: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) out.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  return out;
}

const OWNED_NO_SCHEDULE_KEYS = new Set([
  TAINT_UNSCHEDULABLE,
  ...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)),
]);

export function start(ctx: ControllerContext): StartedController {
  const opts: NodeLifecycleOptions = { ...DEFAULT_NODE_LIFECYCLE, ...ctx.config.nodeLifecycle };
  const clock: Clock = ctx.clock;
  const now = () => clock.now();
  const nodes = ctx.informers.informerFor<Obj>(NODES);
  const leases = ctx.informers.informerFor<Obj>(LEASES, { namespace: NODE_LEASE_NAMESPACE });
  const pods = ctx.informers.informerFor<Obj>(PODS, { indexers: podNodeIndexer });
  const recorder = ctx.recorderFor('node-controller');
  const nodeClient = ctx.rest.resource<Obj>(NODES);

  // NoSchedule taints follow every node change (upstream's doNoScheduleTaintingPass on a work queue).
  const queue = new WorkQueue<string>({ name: 'node-lifecycle', clock });
  nodes.addEventHandler({
    onAdd: (n) => queue.add(n.metadata.name),
    onUpdate: (_o, n) => queue.add(n.metadata.name),
  });
  const noSchedule = runWhenSynced(ctx, {
    name: 'node-lifecycle',
    queue,
    workers: 1,
    reconcile: async (name) => {
      const node = nodes.store.get(name);
      if (!node) return;
      const want = wantedNoScheduleTaints(node);
      const have: Taint[] = (node.spec?.taints ?? []).filter(
        (t: Taint) => t.effect === 'NoSchedule' && OWNED_NO_SCHEDULE_KEYS.has(t.key),
      );
      const add = want.filter((w) => !have.some((h) => sameTaint(h, w)));
      const remove = have.filter((h) => !want.some((w) => sameTaint(h, w)));
      if (add.length || remove.length) await swapTaints(ctx.rest, name, add, remove, now);
    },
  });

  const health = new Map<string, NodeHealth>();
  const zoneStates = new Map<string, ZoneState>();
  const tainters = new Map<string, ZoneTainter>();
  const tainterFor = (zone: string) => {
    let t = tainters.get(zone);
    if (!t) {
      t = new ZoneTainter(opts.evictionLimiterQPS, now());
      tainters.set(zone, t);
    }
    return t;
  };

  const markNodeAsReachable = async (node: Obj): Promise<void> => {
    if (hasTaint(node, NOT_READY_NO_EXECUTE) || hasTaint(node, UNREACHABLE_NO_EXECUTE))
      await swapTaints(ctx.rest, node.metadata.name, [], [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE], now);
    tainterFor(zoneKey(node)).remove(node.metadata.name);
  };

  /** Upstream's processTaintBaseEviction, driven by the Ready condition seen before this pass. */
  const processTaintBaseEviction = async (node: Obj, observedReady: Obj): Promise<void> => {
    const tainter = tainterFor(zoneKey(node));
    const name = node.metadata.name;
    if (observedReady.status === 'False') {
      if (hasTaint(node, UNREACHABLE_NO_EXECUTE))
        await swapTaints(ctx.rest, name, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE], now);
      else {
        if (!hasTaint(node, NOT_READY_NO_EXECUTE)) tainter.remove(name);
        tainter.add(name, now());
      }
    } else if (observedReady.status === 'Unknown') {
      if (hasTaint(node, NOT_READY_NO_EXECUTE))
        await swapTaints(ctx.rest, name, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE], now);
      else {
        if (!hasTaint(node, UNREACHABLE_NO_EXECUTE)) tainter.remove(name);
        tainter.add(name, now());
      }
    } else if (observedReady.status === 'True') {
      await markNodeAsReachable(node);
    }
  };

  /** Sets Ready=False on the node's pods when it stops reporting (upstream's MarkPodsNotReady). */
  const markPodsNotReady = async (nodeName: string): Promise<void> => {
    for (const pod of pods.store.byIndex(POD_NODE_INDEX, nodeName)) {
      const ready = condition(pod, 'Ready');
      if (!ready || ready.status === 'False') continue;
      const next = structuredClone(pod);
      const c = condition(next, 'Ready')!;
      c.status = 'False';
      c.lastTransitionTime = ts(now());
      try {
        await ctx.rest.resource<Obj>(PODS).in(pod.metadata.namespace).updateStatus(next);
        recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  };

  const setLimiterInZone = (zone: string, size: number, state: ZoneState) => {
    const qps =
      state === 'PartialDisruption'
        ? size > opts.largeClusterSizeThreshold
          ? opts.secondaryEvictionLimiterQPS
          : 0
        : opts.evictionLimiterQPS;
    tainterFor(zone).swapLimiter(qps, now());
  };

  /** Upstream's handleDisruption: per-zone rates, and no evictions at all while every zone is down. */
  const handleDisruption = async (zoneReadies: Map<string, (Obj | undefined)[]>, all: Obj[]) => {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, readies] of zoneReadies) {
      const s = computeZoneState(readies, opts.unhealthyZoneThreshold);
      newStates.set(zone, s);
      if (s !== 'FullDisruption') allAreFullyDisrupted = false;
      if (!zoneStates.has(zone)) zoneStates.set(zone, 'Initial');
    }
    let allWasFullyDisrupted = true;
    for (const [zone, s] of [...zoneStates]) {
      if (!zoneReadies.has(zone)) {
        zoneStates.delete(zone);
        continue;
      }
      if (s !== 'FullDisruption') {
        allWasFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      ctx.log.info('all nodes are not Ready: entering master disruption mode, evictions stop');
      for (const n of all) await markNodeAsReachable(n);
      for (const zone of zoneStates.keys()) {
        tainterFor(zone).swapLimiter(0, now());
        zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWasFullyDisrupted) {
      ctx.log.info('some nodes are Ready again: exiting master disruption mode');
      const t = now();
      for (const n of all) {
        const h = health.get(n.metadata.name);
        if (h) health.set(n.metadata.name, { ...h, probeTimestamp: t, readyTransitionTimestamp: t });
      }
      for (const zone of zoneStates.keys()) {
        const s = newStates.get(zone) ?? 'Normal';
        setLimiterInZone(zone, zoneReadies.get(zone)?.length ?? 0, s);
        zoneStates.set(zone, s);
      }
      return;
    }
    for (const [zone, s] of zoneStates) {
      const next = newStates.get(zone) ?? 'Normal';
      if (s === next) continue;
      ctx.log.info('zone changed state', { zone, state: next });
      setLimiterInZone(zone, zoneReadies.get(zone)?.length ?? 0, next);
      zoneStates.set(zone, next);
    }
  };

  const monitorNodeHealth = async (): Promise<void> => {
    const all = nodes.store.list();
    const names = new Set(all.map((n) => n.metadata.name));
    for (const name of [...health.keys()]) {
      if (names.has(name)) continue;
      health.delete(name);
      for (const t of tainters.values()) t.remove(name);
      recorder.event(
        { kind: 'Node', name, uid: name, apiVersion: 'v1' },
        'Normal',
        'RemovingNode',
        `Node ${name} event: Removing Node ${name} from Controller`,
      );
    }
    const zoneReadies = new Map<string, (Obj | undefined)[]>();
    for (const node of all) {
      const name = node.metadata.name;
      if (!health.has(name)) {
        tainterFor(zoneKey(node));
        recorder.event(
          node,
          'Normal',
          'RegisteredNode',
          `Node ${name} event: Registered Node ${name} in Controller`,
        );
      }
      const lease = leases.store.get(`${NODE_LEASE_NAMESPACE}/${name}`);
      const r = tryUpdateNodeHealth(node, health.get(name), lease, now(), opts);
      let current = node;
      if (r.status) {
        try {
          current = await nodeClient.updateStatus({ ...node, status: r.status });
        } catch (err) {
          // The kubelet wrote in between (or the node went): look again next period.
          if (isConflict(err) || isNotFound(err)) continue;
          throw err;
        }
      }
      health.set(name, r.health);
      const zone = zoneKey(node);
      zoneReadies.set(zone, [...(zoneReadies.get(zone) ?? []), r.currentReady]);
      if (!r.currentReady) continue;
      await processTaintBaseEviction(current, r.observedReady);
      if (r.currentReady.status !== 'True' && r.observedReady.status === 'True') {
        recorder.event(current, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        await markPodsNotReady(name);
      }
    }
    await handleDisruption(zoneReadies, all);
  };

  /** Upstream's doNoExecuteTaintingPass: taint queued nodes as each zone's limiter allows. */
  const noExecuteTaintingPass = async (): Promise<void> => {
    for (const tainter of tainters.values()) {
      await tainter.tryProcess(now, async (name) => {
        let node: Obj;
        try {
          node = await nodeClient.get(name);
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
        const ready = condition(node, 'Ready');
        if (ready?.status === 'False')
          return Boolean(
            await swapTaints(ctx.rest, name, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE], now),
          );
        if (ready?.status === 'Unknown')
          return Boolean(
            await swapTaints(ctx.rest, name, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE], now),
          );
        return true; // Ready again: nothing to taint.
      });
    }
  };

  // One loop drives both passes: health every nodeMonitorPeriod, tainting whenever a limiter has a token.
  let nextMonitorAt = 0;
  const passes = runPassesWhenSynced(ctx, {
    name: 'node lifecycle',
    pass: async () => {
      if (now() >= nextMonitorAt) {
        nextMonitorAt = now() + opts.nodeMonitorPeriodMs;
        await monitorNodeHealth();
      }
      await noExecuteTaintingPass();
    },
    // The next health check, or sooner when a zone's limiter has a token.
    nextInMs: () => {
      let wait = nextMonitorAt - now();
      for (const t of tainters.values()) {
        const w = t.nextAttemptIn(now());
        if (w !== undefined) wait = Math.min(wait, w);
      }
      return wait;
    },
  });

  return {
    async stop() {
      await passes.stop();
      await noSchedule.stop();
    },
  };
}
