// The EndpointSlice controller: EndpointSlices for every Service with a selector (at most 100 endpoints
// each, ready/serving/terminating conditions, node, zone and targetRef per pod), owned by the Service so
// that the garbage collector removes them with it. The plan comes from reconciler.ts; this file wires the
// informers, the work queue and the writes. Event-driven: pod, Service and slice changes queue the
// Services concerned.
import {
  ENDPOINT_SLICES,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isNotFound,
  NODES,
  PODS,
  SERVICES,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { LAST_CHANGE_TRIGGER_TIME, queueServicesOnChange, servicesSelecting } from '../endpoints/pods.js';
import { formatTriggerTime, TriggerTimeTracker } from '../endpoints/triggertime.js';
import { runWhenSynced } from '../run.js';
import {
  CONTROLLER_NAME,
  MANAGED_BY_LABEL,
  MAX_ENDPOINTS_PER_SLICE,
  planSlices,
  SERVICE_NAME_LABEL,
} from './reconciler.js';
import { SliceTracker } from './tracker.js';

type Obj = Record<string, any>;

const STALE_RETRY_MS = 100;
/** A stale cache is normally caught up by the echo of our own write; this is only the fallback. */
const STALE_FALLBACK_MS = 1000;
/** Upstream's endpointSliceChangeMinSyncDelay: slice changes made by others are looked at after 1 s. */
const SLICE_CHANGE_DELAY_MS = 1000;

export interface EndpointSliceControllerOptions {
  maxEndpointsPerSlice?: number;
  /** Delay before a pod change is processed, so that bursts coalesce (upstream default 0). */
  batchMs?: number;
}

export function serviceKeyOfSlice(slice: Obj): string | undefined {
  const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${slice.metadata.namespace}/${svc}` : undefined;
}

const managedByUs = (s: Obj) => s.metadata?.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME;

export function start(ctx: ControllerContext, opts: EndpointSliceControllerOptions = {}): StartedController {
  const batchMs = opts.batchMs ?? 0;
  const maxPerSlice = opts.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const queue = new WorkQueue<string>({ name: 'endpointslice', clock: ctx.clock });
  const svcInf = ctx.informers.informerFor<Obj>(SERVICES);
  const podInf = ctx.informers.informerFor<Obj>(PODS);
  const nodeInf = ctx.informers.informerFor<Obj>(NODES);
  const sliceInf = ctx.informers.informerFor<Obj>(ENDPOINT_SLICES);
  const recorder = ctx.recorderFor('endpoint-slice-controller');
  const triggers = new TriggerTimeTracker();
  const tracker = new SliceTracker(serviceKeyOfSlice);

  const queuePod = queueServicesOnChange(svcInf, podInf, queue, batchMs);
  // A pod is left out while its Node is unknown; the Node's arrival brings it in.
  nodeInf.addEventHandler({
    onAdd: (n, initial) => {
      if (initial) return;
      for (const p of podInf.store.list()) if (p.spec?.nodeName === n.metadata.name) queuePod(p);
    },
  });
  // Services whose sync waits for the cache to show our last writes: any event of their slices wakes them.
  const waiting = new Set<string>();
  const wakeWaiting = (s: Obj) => {
    const k = serviceKeyOfSlice(s);
    if (k && waiting.delete(k)) queue.add(k);
  };
  sliceInf.addEventHandler({
    onAdd: wakeWaiting,
    onUpdate: (_o, s) => wakeWaiting(s),
    onDelete: wakeWaiting,
  });
  const queueSliceOwner = (s: Obj) => {
    const k = serviceKeyOfSlice(s);
    if (k) queue.addAfter(k, Math.max(SLICE_CHANGE_DELAY_MS, batchMs));
  };
  sliceInf.addEventHandler({
    onAdd: (s) => {
      if (managedByUs(s) && tracker.shouldSync(s)) queueSliceOwner(s);
    },
    onUpdate: (o, s) => {
      if (serviceKeyOfSlice(o) !== serviceKeyOfSlice(s)) {
        queueSliceOwner(o);
        queueSliceOwner(s);
      } else if (managedByUs(o) !== managedByUs(s) || (managedByUs(s) && tracker.shouldSync(s))) {
        queueSliceOwner(s);
      }
    },
    onDelete: (s) => {
      if (managedByUs(s) && tracker.handleDeletion(s)) queueSliceOwner(s);
    },
  });

  const client = (ns: string) => ctx.rest.resource<Obj>(ENDPOINT_SLICES).in(ns);

  async function reconcile(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const [ns, name] = key.split('/');
    const svc = svcInf.store.get(key);
    if (!svc) {
      // The garbage collector deletes the slices through their ownerReference.
      triggers.forget(ns, name);
      tracker.forget(key);
      waiting.delete(key);
      return undefined;
    }
    if (svc.spec?.type === 'ExternalName') return undefined;
    const selector = svc.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return undefined;

    const pods = podInf.store
      .byNamespace(ns)
      .filter((p) => servicesSelecting([svc], p.metadata.labels).size > 0);
    const existing = sliceInf.store
      .byNamespace(ns)
      .filter(
        (s) =>
          s.metadata.labels?.[SERVICE_NAME_LABEL] === name && managedByUs(s) && !s.metadata.deletionTimestamp,
      );
    if (tracker.stale(key, existing)) {
      waiting.add(key);
      return { requeueAfterMs: STALE_FALLBACK_MS };
    }
    const triggerTime = triggers.compute(svc, pods);
    const plan = planSlices({
      service: svc,
      pods,
      existing,
      node: (n) => nodeInf.store.get(n),
      maxPerSlice: maxPerSlice,
    });
    const stamp = (s: Obj) => {
      const a: Obj = { ...(s.metadata.annotations ?? {}) };
      if (triggerTime !== undefined) a[LAST_CHANGE_TRIGGER_TIME] = formatTriggerTime(triggerTime);
      else delete a[LAST_CHANGE_TRIGGER_TIME];
      s.metadata.annotations = a;
    };
    try {
      // No new slices for a Service being deleted: the garbage collector is removing them.
      if (!svc.metadata.deletionTimestamp) {
        for (const s of plan.create) {
          stamp(s);
          try {
            tracker.written(await client(ns).create(s));
          } catch (err) {
            if (isForbidden(err)) return undefined; // terminating namespace
            throw err;
          }
        }
      }
      for (const s of plan.update) {
        stamp(s);
        tracker.written(await client(ns).update(s));
      }
      for (const s of plan.delete) {
        await client(ns)
          .delete(s.metadata.name)
          .catch((err) => {
            if (!isNotFound(err)) throw err;
          });
        tracker.deleted(s);
      }
    } catch (err) {
      if (isAlreadyExists(err) || isNotFound(err)) return { requeueAfterMs: STALE_RETRY_MS };
      if (isConflict(err)) throw err; // retried shortly by the runner, no event
      recorder.event(
        svc,
        'Warning',
        'FailedToUpdateEndpointSlices',
        `Error updating Endpoint Slices for Service ${key}: ${(err as Error)?.message ?? err}`,
      );
      throw err;
    }
    if (plan.podsWithoutNode.length > 0) {
      throw new Error(`skipping Pod ${plan.podsWithoutNode[0]} for Service ${key}: Node not found`);
    }
    return undefined;
  }

  return runWhenSynced(ctx, { name: 'endpointslice', queue, workers: 5, reconcile });
}
