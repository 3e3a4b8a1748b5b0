// Taint-based eviction (upstream's pkg/controller/tainteviction): a pod on a node with NoExecute taints it
// does not tolerate is deleted at once; one that tolerates them all with tolerationSeconds is deleted that
// many seconds after the controller first saw it exposed (the smallest such value wins); tolerations
// without seconds keep it forever. Before deleting, the pod gets the DisruptionTarget condition. A taint
// removed in time cancels the pending deletion.
import { isNotFound, NODES, PODS, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { POD_NODE_INDEX, podNodeIndexer, type Taint, tolerates } from '../nodelifecycle/taints.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function noExecuteTaints(node: Obj | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t: Taint) => t.effect === 'NoExecute');
}

/**
 * Upstream's GetMatchingTolerations + getMinTolerationTime: undefined when some taint is not tolerated
 * (evict now), -1 when tolerated forever, else the smallest tolerationSeconds (ms, 0 for <= 0).
 */
export function tolerationTimeMs(taints: Taint[], tolerations: Obj[]): number | undefined {
  const used: Obj[] = [];
  for (const taint of taints) {
    const t = tolerations.find((tol) => tolerates(tol, taint));
    if (!t) return undefined;
    used.push(t);
  }
  if (used.length === 0) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const t of used) {
    if (t.tolerationSeconds == null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Number.POSITIVE_INFINITY ? -1 : min * 1000;
}

export function start(ctx: ControllerContext): StartedController {
  const nodes = ctx.informers.informerFor<Obj>(NODES);
  const pods = ctx.informers.informerFor<Obj>(PODS, { indexers: podNodeIndexer });
  const recorder = ctx.recorderFor('taint-eviction-controller');
  const queue = new WorkQueue<string>({ name: 'tainteviction', clock: ctx.clock });
  /** Pending deletions: pod key -> when the controller first saw it exposed and when it fires (ms). */
  const scheduled = new Map<string, { createdAt: number; fireAt: number }>();
  const podKey = (p: Obj) => `${p.metadata.namespace}/${p.metadata.name}`;

  pods.addEventHandler({
    onAdd: (p) => p.spec?.nodeName && queue.add(podKey(p)),
    onUpdate: (_o, p) => p.spec?.nodeName && queue.add(podKey(p)),
    onDelete: (p) => queue.add(podKey(p)),
  });
  const sameNoExecute = (a: Obj | undefined, b: Obj | undefined) =>
    JSON.stringify(noExecuteTaints(a).map((t) => [t.key, t.value])) ===
    JSON.stringify(noExecuteTaints(b).map((t) => [t.key, t.value]));
  const enqueueNodePods = (n: Obj) => {
    for (const p of pods.store.byIndex(POD_NODE_INDEX, n.metadata.name)) queue.add(podKey(p));
  };
  nodes.addEventHandler({
    onAdd: enqueueNodePods,
    onUpdate: (o, n) => {
      if (!sameNoExecute(o, n)) enqueueNodePods(n);
    },
  });

  const cancel = (key: string) => {
    if (!scheduled.delete(key)) return;
    const [namespace, name] = key.split('/');
    recorder.event(
      { kind: 'Pod', apiVersion: 'v1', namespace, name },
      'Normal',
      'TaintManagerEviction',
      `Cancelling deletion of Pod ${key}`,
    );
  };

  const evict = async (pod: Obj, key: string) => {
    recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    const client = ctx.rest.resource<Obj>(PODS).in(pod.metadata.namespace);
    const conds: Obj[] = pod.status?.conditions ?? [];
    const dt = conds.find((c) => c.type === 'DisruptionTarget');
    try {
      if (dt?.status !== 'True' || dt.reason !== 'DeletionByTaintManager') {
        const next = structuredClone(pod);
        next.status ??= {};
        next.status.conditions = [
          ...conds.filter((c) => c.type !== 'DisruptionTarget'),
          {
            type: 'DisruptionTarget',
            status: 'True',
            reason: 'DeletionByTaintManager',
            message: 'Taint manager: deleting due to NoExecute taint',
            lastProbeTime: null,
            lastTransitionTime: ts(ctx.clock.now()),
          },
        ];
        await client.updateStatus(next);
      }
      await client.delete(pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
      scheduled.delete(key);
    } catch (err) {
      // Gone already; a conflict is retried by the runner, which decides again from the cache.
      if (!isNotFound(err)) throw err;
    }
  };

  return runWhenSynced(ctx, {
    name: 'tainteviction',
    queue,
    workers: 4,
    reconcile: async (key) => {
      const pod = pods.store.get(key);
      if (!pod || pod.metadata.deletionTimestamp || !pod.spec?.nodeName) {
        scheduled.delete(key);
        return;
      }
      const taints = noExecuteTaints(nodes.store.get(pod.spec.nodeName));
      if (taints.length === 0) {
        cancel(key);
        return;
      }
      const wait = tolerationTimeMs(taints, pod.spec.tolerations ?? []);
      if (wait === undefined) {
        await evict(pod, key);
        return;
      }
      if (wait < 0) {
        cancel(key);
        return;
      }
      // A pending deletion keeps its time (upstream keeps the earlier trigger of an existing work item).
      const now = ctx.clock.now();
      let s = scheduled.get(key);
      if (!s) {
        s = { createdAt: now, fireAt: now + wait };
        scheduled.set(key, s);
      }
      if (now >= s.fireAt) {
        await evict(pod, key);
        return;
      }
      return { requeueAfterMs: s.fireAt - now };
    },
  });
}
