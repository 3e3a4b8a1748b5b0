// The EndpointSlice mirroring controller: for a Service without a selector whose Endpoints were written by
// hand, EndpointSlices mirroring those Endpoints (managed-by endpointslicemirroring-controller.k8s.io,
// owned by the Endpoints). Endpoints labelled `endpointslice.kubernetes.io/skip-mirror: "true"` (the
// `kubernetes` Service's) and leader-election ones are not mirrored; mirrored slices go when the Service
// gains a selector, the Service goes, or the Endpoints go.
import {
  ENDPOINT_SLICES,
  ENDPOINTS,
  isAlreadyExists,
  isForbidden,
  isNotFound,
  SERVICES,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../endpointslice/reconciler.js';
import { SliceTracker } from '../endpointslice/tracker.js';
import { runWhenSynced } from '../run.js';
import { MAX_ENDPOINTS_PER_SUBSET, MIRRORING_CONTROLLER_NAME, planMirror } from './mirror.js';

type Obj = Record<string, any>;

const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';
const STALE_RETRY_MS = 100;
/** A stale cache is normally caught up by the echo of our own write; this is only the fallback. */
const STALE_FALLBACK_MS = 1000;
const SLICE_CHANGE_DELAY_MS = 1000;

const ownerKeyOf = (slice: Obj): string | undefined => {
  const n = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return n ? `${slice.metadata.namespace}/${n}` : undefined;
};
const mirrored = (s: Obj) => s.metadata?.labels?.[MANAGED_BY_LABEL] === MIRRORING_CONTROLLER_NAME;

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'endpointslicemirroring', clock: ctx.clock });
  const svcInf = ctx.informers.informerFor<Obj>(SERVICES);
  const epInf = ctx.informers.informerFor<Obj>(ENDPOINTS);
  const sliceInf = ctx.informers.informerFor<Obj>(ENDPOINT_SLICES);
  const recorder = ctx.recorderFor('endpoint-slice-mirroring-controller');
  const tracker = new SliceTracker(ownerKeyOf);

  const keyOf = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;
  const byKey = {
    onAdd: (o: Obj) => queue.add(keyOf(o)),
    onUpdate: (_o: Obj, o: Obj) => queue.add(keyOf(o)),
    onDelete: (o: Obj) => queue.add(keyOf(o)),
  };
  svcInf.addEventHandler(byKey);
  epInf.addEventHandler(byKey);
  const queueOwner = (s: Obj) => {
    const k = ownerKeyOf(s);
    if (k) queue.addAfter(k, SLICE_CHANGE_DELAY_MS);
  };
  // Endpoints whose sync waits for the cache to show our last writes: any event of their slices wakes them.
  const waiting = new Set<string>();
  const wakeWaiting = (s: Obj) => {
    const k = ownerKeyOf(s);
    if (k && waiting.delete(k)) queue.add(k);
  };
  sliceInf.addEventHandler({
    onAdd: wakeWaiting,
    onUpdate: (_o, s) => wakeWaiting(s),
    onDelete: wakeWaiting,
  });
  sliceInf.addEventHandler({
    onAdd: (s) => {
      if (mirrored(s) && tracker.shouldSync(s)) queueOwner(s);
    },
    onUpdate: (o, s) => {
      if (ownerKeyOf(o) !== ownerKeyOf(s)) {
        queueOwner(o);
        queueOwner(s);
      } else if (mirrored(o) !== mirrored(s) || (mirrored(s) && tracker.shouldSync(s))) queueOwner(s);
    },
    onDelete: (s) => {
      if (mirrored(s) && tracker.handleDeletion(s)) queueOwner(s);
    },
  });

  const client = (ns: string) => ctx.rest.resource<Obj>(ENDPOINT_SLICES).in(ns);

  async function deleteAll(slices: Obj[]): Promise<void> {
    for (const s of slices) {
      await client(s.metadata.namespace)
        .delete(s.metadata.name)
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      tracker.deleted(s);
    }
  }

  async function reconcile(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const [ns, name] = key.split('/');
    const slices = sliceInf.store
      .byNamespace(ns)
      .filter(
        (s) =>
          mirrored(s) && s.metadata.labels?.[SERVICE_NAME_LABEL] === name && !s.metadata.deletionTimestamp,
      );
    const endpoints = epInf.store.get(key);
    const svc = svcInf.store.get(key);
    const selector = svc?.spec?.selector;
    const mirror =
      endpoints &&
      svc &&
      !(selector && Object.keys(selector).length > 0) &&
      endpoints.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true' &&
      !endpoints.metadata.annotations?.[LEADER_ANNOTATION];
    if (!mirror) {
      await deleteAll(slices);
      if (!endpoints || !svc) tracker.forget(key);
      return undefined;
    }
    if (tracker.stale(key, slices)) {
      waiting.add(key);
      return { requeueAfterMs: STALE_FALLBACK_MS };
    }
    const plan = planMirror(endpoints, slices, MAX_ENDPOINTS_PER_SUBSET);
    if (plan.invalid > 0) {
      recorder.event(
        endpoints,
        'Warning',
        'InvalidIPAddress',
        `Skipped ${plan.invalid} invalid IP addresses when mirroring to EndpointSlices`,
      );
    }
    if (plan.skipped > 0) {
      recorder.event(
        endpoints,
        'Warning',
        'TooManyAddressesToMirror',
        `A max of ${MAX_ENDPOINTS_PER_SUBSET} addresses can be mirrored to EndpointSlices per Endpoints subset. ${plan.skipped} addresses were skipped`,
      );
    }
    try {
      if (!endpoints.metadata.deletionTimestamp) {
        for (const s of plan.create) {
          try {
            tracker.written(await client(ns).create(s));
          } catch (err) {
            if (isForbidden(err)) return undefined; // terminating namespace
            throw err;
          }
        }
      }
      for (const s of plan.update) tracker.written(await client(ns).update(s));
      await deleteAll(plan.delete);
    } catch (err) {
      if (isAlreadyExists(err) || isNotFound(err)) return { requeueAfterMs: STALE_RETRY_MS };
      throw err;
    }
    return undefined;
  }

  return runWhenSynced(ctx, { name: 'endpointslicemirroring', queue, workers: 5, reconcile });
}
