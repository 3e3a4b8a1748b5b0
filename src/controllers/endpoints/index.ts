// The Endpoints controller: an Endpoints object named after every Service with a selector, listing the
// matching pods' addresses (ready or not ready) per resolved port, as upstream's endpoint controller.
// Selector-less and ExternalName Services are left alone (hand-written Endpoints stay); the Endpoints of
// a deleted Service are deleted. Event-driven: pod and Service changes queue the Services concerned.
import { isDeepStrictEqual } from 'node:util';
import {
  ENDPOINTS,
  isAlreadyExists,
  isForbidden,
  isNotFound,
  PODS,
  SERVICES,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';
import {
  HEADLESS_LABEL,
  isServiceIPSet,
  LAST_CHANGE_TRIGGER_TIME,
  queueServicesOnChange,
  servicesSelecting,
} from './pods.js';
import { desiredSubsets, OVER_CAPACITY_ANNOTATION, truncateSubsets } from './subsets.js';
import { formatTriggerTime, TriggerTimeTracker } from './triggertime.js';

type Obj = Record<string, any>;

/** Endpoints of leader election (old style) carry this annotation and belong to no Service. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';
const STALE_RETRY_MS = 100;
/** A stale cache is normally caught up by the echo of our own write; this is only the fallback. */
const STALE_FALLBACK_MS = 1000;

export interface EndpointsControllerOptions {
  /** Delay before a pod change is processed, so that bursts coalesce (upstream default 0). */
  batchMs?: number;
}

function withoutKey(m: Obj | undefined, key: string): Obj {
  const out: Obj = { ...(m ?? {}) };
  delete out[key];
  return out;
}

export function start(ctx: ControllerContext, opts: EndpointsControllerOptions = {}): StartedController {
  const batchMs = opts.batchMs ?? 0;
  const queue = new WorkQueue<string>({ name: 'endpoint', clock: ctx.clock });
  const svcInf = ctx.informers.informerFor<Obj>(SERVICES);
  const podInf = ctx.informers.informerFor<Obj>(PODS);
  const epInf = ctx.informers.informerFor<Obj>(ENDPOINTS);
  const recorder = ctx.recorderFor('endpoint-controller');
  const triggers = new TriggerTimeTracker();
  // resourceVersion of the Endpoints we replaced: seeing it in the cache again means the cache is behind.
  const replaced = new Map<string, string>();
  // Endpoints we created that the cache has not shown yet.
  const created = new Set<string>();

  const keyOf = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;
  queueServicesOnChange(svcInf, podInf, queue, batchMs);
  // Services whose sync waits for the cache to show our last write: the Endpoints' next event wakes them.
  const waiting = new Set<string>();
  const wakeWaiting = (ep: Obj) => {
    if (waiting.delete(keyOf(ep))) queue.add(keyOf(ep));
  };
  epInf.addEventHandler({ onAdd: wakeWaiting, onUpdate: (_o, ep) => wakeWaiting(ep), onDelete: wakeWaiting });
  epInf.addEventHandler({
    // At start, every existing Endpoints is looked at once: those left from deleted Services go.
    onAdd: (ep, initial) => {
      if (initial && !ep.metadata.annotations?.[LEADER_ANNOTATION]) queue.add(keyOf(ep));
    },
    onDelete: (ep) => queue.add(keyOf(ep)),
  });

  const client = (ns: string) => ctx.rest.resource<Obj>(ENDPOINTS).in(ns);

  async function reconcile(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const [ns, name] = key.split('/');
    const svc = svcInf.store.get(key);
    if (!svc) {
      triggers.forget(ns, name);
      replaced.delete(key);
      created.delete(key);
      waiting.delete(key);
      // Deleted even when the cache does not show it yet (it may be our own creation in flight).
      const ep = epInf.store.get(key);
      if (!ep?.metadata.annotations?.[LEADER_ANNOTATION]) {
        await client(ns)
          .delete(name)
          .catch((err) => {
            if (!isNotFound(err)) throw err;
          });
      }
      return undefined;
    }
    if (svc.spec?.type === 'ExternalName') return undefined;
    const selector = svc.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return undefined;

    const pods = podInf.store
      .byNamespace(ns)
      .filter((p) => servicesSelecting([svc], p.metadata.labels).size > 0);
    const triggerTime = triggers.compute(svc, pods);
    const subsets = desiredSubsets(svc, pods);

    const current = epInf.store.get(key);
    if (current) created.delete(key);
    if (
      (current && replaced.get(key) === current.metadata.resourceVersion) ||
      (!current && created.has(key))
    ) {
      waiting.add(key);
      return { requeueAfterMs: STALE_FALLBACK_MS };
    }
    const svcLabels: Obj = svc.metadata.labels ?? {};
    const truncated = truncateSubsets(subsets);
    // Truncation may empty a subset of not-ready addresses; a subset needs at least one address.
    const out = truncated ? subsets.filter((s) => s.addresses || s.notReadyAddresses) : subsets;
    if (
      current &&
      isDeepStrictEqual(current.subsets ?? [], out) &&
      isDeepStrictEqual(withoutKey(current.metadata.labels, HEADLESS_LABEL), svcLabels) &&
      (current.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] === 'truncated') === truncated
    ) {
      return undefined;
    }
    const next: Obj = current
      ? structuredClone(current)
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns } };
    const annotations: Obj = { ...(next.metadata.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = formatTriggerTime(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    next.subsets = out;
    next.metadata.annotations = annotations;
    const labels: Obj = { ...svcLabels };
    if (!isServiceIPSet(svc)) labels[HEADLESS_LABEL] = '';
    next.metadata.labels = labels;

    try {
      if (!current) {
        await client(ns).create(next);
        created.add(key);
      } else {
        const updated = await client(ns).update(next);
        if (updated.metadata.resourceVersion !== current.metadata.resourceVersion) {
          replaced.set(key, current.metadata.resourceVersion);
        }
      }
    } catch (err) {
      // The cache has not seen an Endpoints someone created: look again once it has.
      if (!current && isAlreadyExists(err)) return { requeueAfterMs: STALE_RETRY_MS };
      // A terminating namespace refuses creations; nothing to do until the Service goes.
      if (!current && isForbidden(err)) return undefined;
      const reason = current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint';
      const what = current
        ? `Failed to update endpoint ${key}`
        : `Failed to create endpoint for service ${key}`;
      recorder.event(next, 'Warning', reason, `${what}: ${(err as Error)?.message ?? err}`);
      throw err;
    }
    return undefined;
  }

  return runWhenSynced(ctx, { name: 'endpoint', queue, workers: 5, reconcile });
}
