// Pod garbage collection (upstream's pkg/controller/podgc), the parts that matter without a node agent
// fleet: pods bound to a Node that no longer exists (checked live after a quarantine) are marked Failed
// with the DisruptionTarget condition (DeletionByPodGC) and force-deleted; terminating pods that were never
// scheduled, and terminating pods on a not-Ready node with the out-of-service taint, are force-deleted.
import { type Clock, isNotFound, NODES, PODS } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { condition, POD_NODE_INDEX, podNodeIndexer, type Taint } from '../nodelifecycle/taints.js';
import { runPassesWhenSynced } from '../run.js';

type Obj = Record<string, any>;

export interface PodGCOptions {
  /** How often the collector looks (upstream's gcCheckPeriod, 20 s). */
  periodMs: number;
  /** How long a Node must have been missing before its pods go (upstream's quarantineTime, 40 s). */
  quarantineMs: number;
}

export const DEFAULT_POD_GC: PodGCOptions = { periodMs: 20_000, quarantineMs: 40_000 };
const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function start(ctx: ControllerContext): StartedController {
  const opts: PodGCOptions = { ...DEFAULT_POD_GC, ...ctx.config.podGC };
  const clock: Clock = ctx.clock;
  const nodes = ctx.informers.informerFor<Obj>(NODES);
  const pods = ctx.informers.informerFor<Obj>(PODS, { indexers: podNodeIndexer });
  const podClient = (ns: string) => ctx.rest.resource<Obj>(PODS).in(ns);
  /** Node names seen missing -> since when (ms). */
  const missingSince = new Map<string, number>();

  const forceDelete = async (pod: Obj, reason?: Obj) => {
    try {
      const phase = pod.status?.phase;
      if (phase !== 'Succeeded' && phase !== 'Failed') {
        const next = structuredClone(pod);
        next.status ??= {};
        next.status.phase = 'Failed';
        if (reason) {
          next.status.conditions = [
            ...(next.status.conditions ?? []).filter((c: Obj) => c.type !== reason.type),
            { ...reason, lastProbeTime: null, lastTransitionTime: ts(clock.now()) },
          ];
        }
        await podClient(pod.metadata.namespace).updateStatus(next);
      }
      await podClient(pod.metadata.namespace).delete(pod.metadata.name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err))
        ctx.log.warn('podgc: deleting pod failed', { pod: pod.metadata.name, err: String(err) });
    }
  };

  const nodeExists = async (name: string): Promise<boolean> => {
    try {
      await ctx.rest.resource<Obj>(NODES).get(name);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };

  const gcOrphaned = async () => {
    const now = clock.now();
    const nodeNames = new Set(pods.store.indexValues(POD_NODE_INDEX));
    for (const name of missingSince.keys()) if (!nodeNames.has(name)) missingSince.delete(name);
    for (const name of nodeNames) {
      if (nodes.store.get(name)) {
        missingSince.delete(name);
        continue;
      }
      const since = missingSince.get(name);
      if (since === undefined) {
        missingSince.set(name, now);
        continue;
      }
      if (now - since < opts.quarantineMs) continue;
      if (await nodeExists(name)) {
        missingSince.delete(name);
        continue;
      }
      for (const pod of pods.store.byIndex(POD_NODE_INDEX, name)) {
        await forceDelete(pod, {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByPodGC',
          message: 'PodGC: node no longer exists',
        });
      }
      missingSince.delete(name);
    }
  };

  const gcTerminating = async () => {
    for (const pod of pods.store.list()) {
      if (!pod.metadata.deletionTimestamp) continue;
      const nodeName = pod.spec?.nodeName;
      if (!nodeName) {
        await forceDelete(pod);
        continue;
      }
      const node = nodes.store.get(nodeName);
      if (!node || condition(node, 'Ready')?.status === 'True') continue;
      const outOfService = (node.spec?.taints ?? []).some(
        (t: Taint) => t.key === 'node.kubernetes.io/out-of-service' && t.effect === 'NoExecute',
      );
      if (outOfService)
        await forceDelete(pod, {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByPodGC',
          message: 'PodGC: node is out of service',
        });
    }
  };

  return runPassesWhenSynced(ctx, {
    name: 'podgc',
    pass: async () => {
      await gcOrphaned();
      await gcTerminating();
    },
    // Look again when the next quarantine ends, if that is before the next period.
    nextInMs: () => {
      let wait = opts.periodMs;
      for (const since of missingSince.values())
        wait = Math.min(wait, since + opts.quarantineMs - clock.now());
      return wait;
    },
  });
}
