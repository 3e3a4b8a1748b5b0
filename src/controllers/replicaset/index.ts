// The ReplicaSet controller: keeps spec.replicas active pods matching the selector, each with a controller
// ownerReference to the ReplicaSet. Adopts matching orphans, releases pods that stop matching, creates in
// slow-start batches, deletes the least valuable pods first, and waits on expectations so that it never
// acts twice on one change its cache has not seen yet.
import { isEmptyLabelSelector, matchesLabelSelector } from '../../api/labels.js';
import { enqueueObject, enqueueOwner, isNotFound, PODS, REPLICASETS, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';
import { Expectations } from './expectations.js';
import { activePod, isPodReady, lessValuableFirst, podAvailable } from './pods.js';

type Obj = Record<string, any>;

/** Upstream's cap on creations or deletions per sync. */
const BURST_REPLICAS = 500;

function controllerOf(o: Obj): Obj | undefined {
  return (o.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller === true);
}

export function podFromTemplate(rs: Obj): Obj {
  const t = rs.spec?.template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}) },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata.name,
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: structuredClone(t.spec ?? {}),
  };
}

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'replicaset', clock: ctx.clock });
  const rsInf = ctx.informers.informerFor<Obj>(REPLICASETS);
  const podInf = ctx.informers.informerFor<Obj>(PODS);
  const expectations = new Expectations(ctx.clock);
  const recorder = ctx.recorderFor('replicaset-controller');

  rsInf.addEventHandler(enqueueObject(queue));
  rsInf.addEventHandler({
    onDelete: (rs) => expectations.forget(`${rs.metadata.namespace}/${rs.metadata.name}`),
  });
  const ownerKey = (p: Obj) => {
    const ref = controllerOf(p);
    return ref?.kind === 'ReplicaSet' ? `${p.metadata.namespace}/${ref.name}` : undefined;
  };
  podInf.addEventHandler({
    onAdd: (p) => {
      const k = ownerKey(p);
      if (k) expectations.observedCreate(k);
    },
    onDelete: (p) => {
      const k = ownerKey(p);
      if (k) expectations.observedDelete(k);
    },
  });
  podInf.addEventHandler(enqueueOwner(queue, 'ReplicaSet'));
  // Orphans (and pods whose labels change) may match some ReplicaSet: let those in the namespace look.
  const wakeMatching = (p: Obj) => {
    if (controllerOf(p)) return;
    for (const rs of rsInf.store.byNamespace(p.metadata.namespace)) {
      if (matchesLabelSelector(rs.spec?.selector, p.metadata.labels)) {
        queue.add(`${rs.metadata.namespace}/${rs.metadata.name}`);
      }
    }
  };
  podInf.addEventHandler({ onAdd: wakeMatching, onUpdate: (_o, p) => wakeMatching(p) });

  const pods = (ns: string) => ctx.rest.resource<Obj>(PODS).in(ns);

  /** Adopts matching orphans and releases owned pods that no longer match; answers the owned pods. */
  async function claim(rs: Obj): Promise<Obj[]> {
    const sel = rs.spec?.selector;
    const ns = rs.metadata.namespace as string;
    const owned: Obj[] = [];
    for (const p of podInf.store.byNamespace(ns)) {
      const ref = controllerOf(p);
      const matches = !isEmptyLabelSelector(sel) && matchesLabelSelector(sel, p.metadata.labels);
      if (ref) {
        if (ref.uid !== rs.metadata.uid) continue;
        if (matches) {
          owned.push(p);
          continue;
        }
        if (p.metadata.deletionTimestamp) continue;
        const refs = p.metadata.ownerReferences.filter((r: Obj) => r.uid !== rs.metadata.uid);
        await pods(ns)
          .patch(p.metadata.name, {
            metadata: { ownerReferences: refs.length ? refs : null },
          })
          .catch((err) => {
            if (!isNotFound(err)) throw err;
          });
        continue;
      }
      if (!matches || p.metadata.deletionTimestamp || rs.metadata.deletionTimestamp) continue;
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      const mine = podFromTemplate(rs).metadata.ownerReferences[0];
      try {
        const adopted = await pods(ns).patch(p.metadata.name, {
          metadata: {
            ownerReferences: [...(p.metadata.ownerReferences ?? []), mine],
            resourceVersion: p.metadata.resourceVersion,
          },
        });
        owned.push(adopted);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return owned;
  }

  async function createPods(rs: Obj, key: string, count: number): Promise<void> {
    expectations.expect(key, count, 0);
    const ns = rs.metadata.namespace as string;
    const template = podFromTemplate(rs);
    // Slow start: 1, 2, 4, ... so a failing template costs one error, not hundreds.
    let remaining = count;
    let batch = 1;
    while (remaining > 0) {
      const n = Math.min(batch, remaining);
      const results = await Promise.allSettled(
        Array.from({ length: n }, () => pods(ns).create(structuredClone(template))),
      );
      remaining -= n;
      const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      for (const r of results) {
        if (r.status === 'fulfilled') {
          recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
        }
      }
      if (failed.length > 0) {
        // Neither the failed creations nor the skipped ones will be observed.
        expectations.lower(key, failed.length + remaining, 0);
        const err = failed[0].reason;
        recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${err?.message ?? err}`);
        throw err;
      }
      batch *= 2;
    }
  }

  async function deletePods(rs: Obj, key: string, victims: Obj[]): Promise<void> {
    expectations.expect(key, 0, victims.length);
    const ns = rs.metadata.namespace as string;
    const results = await Promise.allSettled(
      victims.map((p) => pods(ns).delete(p.metadata.name, { preconditions: { uid: p.metadata.uid } })),
    );
    let firstErr: unknown;
    results.forEach((r, i) => {
      const name = victims[i].metadata.name;
      if (r.status === 'fulfilled') {
        recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      } else {
        // Not found: already gone, and its deletion may never be observed by this cache.
        expectations.lower(key, 0, 1);
        if (!isNotFound(r.reason)) firstErr ??= r.reason;
      }
    });
    if (firstErr) throw firstErr;
  }

  /**
   * Status from the owned pods. A failed create or delete sets ReplicaFailure=True (FailedCreate or
   * FailedDelete, with the error's message) until a sync manages the replicas without error.
   */
  async function updateStatus(rs: Obj, owned: Obj[], manageErr?: unknown): Promise<number | undefined> {
    const nowMs = ctx.clock.now();
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const active = owned.filter(activePod);
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const status: Obj = {
      ...(rs.status ?? {}),
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) =>
        Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
      ).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => podAvailable(p, minReady, nowMs)).length,
      observedGeneration: rs.metadata.generation,
    };
    const cur = rs.status ?? {};
    const failure = (cur.conditions ?? []).find((c: Obj) => c.type === 'ReplicaFailure');
    let conditionsChanged = false;
    if (manageErr && !failure) {
      const diff = active.length - (rs.spec?.replicas ?? 1);
      const cond: Obj = {
        type: 'ReplicaFailure',
        status: 'True',
        lastTransitionTime: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        reason: diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : undefined,
        message: (manageErr as Error)?.message ?? String(manageErr),
      };
      if (!cond.reason) delete cond.reason;
      status.conditions = [...(cur.conditions ?? []), cond];
      conditionsChanged = true;
    } else if (!manageErr && failure) {
      status.conditions = (cur.conditions ?? []).filter((c: Obj) => c.type !== 'ReplicaFailure');
      if (status.conditions.length === 0) delete status.conditions;
      conditionsChanged = true;
    }
    const changed =
      conditionsChanged ||
      ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'].some(
        (f) => (cur[f] ?? 0) !== (status[f] ?? 0),
      );
    if (changed) {
      const next = structuredClone(rs);
      next.status = status;
      try {
        await ctx.rest.resource<Obj>(REPLICASETS).in(rs.metadata.namespace).updateStatus(next);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // Ready but not yet available: look again when minReadySeconds have passed.
    if (minReady > 0 && status.readyReplicas > status.availableReplicas) return minReady * 1000;
    return undefined;
  }

  return runWhenSynced(ctx, {
    name: 'replicaset',
    queue,
    workers: 5,
    reconcile: async (key) => {
      const rs = rsInf.store.get(key);
      if (!rs) {
        expectations.forget(key);
        return;
      }
      const satisfied = expectations.satisfied(key);
      const owned = await claim(rs);
      const active = owned.filter(activePod);
      let manageErr: unknown;
      if (satisfied && !rs.metadata.deletionTimestamp) {
        const want = rs.spec?.replicas ?? 1;
        const diff = active.length - want;
        try {
          if (diff < 0) {
            await createPods(rs, key, Math.min(-diff, BURST_REPLICAS));
          } else if (diff > 0) {
            const victims = [...active].sort(lessValuableFirst).slice(0, Math.min(diff, BURST_REPLICAS));
            await deletePods(rs, key, victims);
          }
        } catch (err) {
          manageErr = err;
        }
      }
      const after = await updateStatus(rs, owned, manageErr);
      if (manageErr) throw manageErr; // retried with backoff
      return after ? { requeueAfterMs: after } : undefined;
    },
  });
}
