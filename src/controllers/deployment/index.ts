// The Deployment controller: one ReplicaSet per pod template (named `<deployment>-<pod-template-hash>`),
// rolled with RollingUpdate (maxSurge/maxUnavailable) or Recreate, revision annotations, history cleanup
// and status with Available/Progressing conditions. Pods themselves are the ReplicaSet controller's job.

import { isEmptyLabelSelector, matchesLabelSelector } from '../../api/labels.js';
import { intOrPercentValue } from '../../api/workloads.js';
import {
  DEPLOYMENTS,
  enqueueObject,
  enqueueOwner,
  isNotFound,
  REPLICASETS,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';
import { podTemplateHash } from './hash.js';

type Obj = Record<string, any>;

export const HASH_LABEL = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
/** The Deployment's replicas, and replicas + maxSurge, when a ReplicaSet was last scaled for it. */
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** Deployment annotations that stay off its ReplicaSets (upstream's annotationsToSkip). */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

function controllerOf(o: Obj): Obj | undefined {
  return (o.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller === true);
}

function revisionOf(rs: Obj): number {
  return Number(rs.metadata?.annotations?.[REVISION] ?? 0) || 0;
}

/** An IntOrString against a total: percentages round up for surge, down for unavailability. */
export function scaledValue(v: unknown, total: number, roundUp: boolean): number {
  const p = intOrPercentValue(v);
  if (!p) return 0;
  if (!p.percent) return p.value;
  const exact = (p.value * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable resolved for `replicas`; both zero would stall, so unavailable becomes 1. */
export function surgeAndUnavailable(d: Obj, replicas: number): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const surge = scaledValue(ru.maxSurge ?? '25%', replicas, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? '25%', replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

/** maxSurge as an absolute number (0 for Recreate). */
export function maxSurge(d: Obj): number {
  if (d.spec?.strategy?.type === 'Recreate') return 0;
  return surgeAndUnavailable(d, d.spec?.replicas ?? 1).surge;
}

function desiredAnnotation(rs: Obj, name: string): number | undefined {
  const v = rs.metadata?.annotations?.[name];
  const n = Number(v);
  return v != null && Number.isInteger(n) ? n : undefined;
}

/**
 * Upstream's proportional split when a Deployment is resized with more than one active ReplicaSet: each
 * gets its share of the change (its size times the new max replicas over the max it was last scaled
 * for, from its max-replicas annotation), biggest first (newer first on ties when growing, older first
 * when shrinking), and whatever rounding leaves goes to the first one. Answers name -> new size.
 */
export function proportionalSizes(d: Obj, active: Obj[]): Map<string, number> {
  const replicas = d.spec?.replicas ?? 1;
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - sum(active, specReplicas);
  const newerFirst = (a: Obj, b: Obj) => -byAge(a, b);
  const sorted = [...active].sort(
    (a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? newerFirst(a, b) : byAge(a, b)),
  );
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of sorted) {
    let share = 0;
    if (toAdd !== 0 && specReplicas(rs) > 0 && added !== toAdd) {
      const before = desiredAnnotation(rs, MAX_REPLICAS) || (d.status?.replicas ?? 0);
      const fraction =
        replicas === 0
          ? -specReplicas(rs)
          : before > 0
            ? Math.round((specReplicas(rs) * allowed) / before) - specReplicas(rs)
            : 0;
      share = toAdd > 0 ? Math.min(fraction, toAdd - added) : Math.max(fraction, toAdd - added);
    }
    sizes.set(rs.metadata.name, specReplicas(rs) + share);
    added += share;
  }
  if (sorted.length > 0 && toAdd !== 0) {
    const first = sorted[0].metadata.name;
    sizes.set(first, Math.max(0, (sizes.get(first) as number) + toAdd - added));
  }
  return sizes;
}

const specReplicas = (rs: Obj): number => rs.spec?.replicas ?? 0;
const sum = (list: Obj[], f: (rs: Obj) => number): number => list.reduce((n, rs) => n + f(rs), 0);
const byAge = (a: Obj, b: Obj): number =>
  String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) ||
  String(a.metadata.name).localeCompare(String(b.metadata.name));

/** The Deployment's own annotations that its ReplicaSets carry (kubernetes.io/change-cause, ...). */
function copiedAnnotations(d: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!NOT_COPIED.has(k)) out[k] = v;
  return out;
}

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'deployment', clock: ctx.clock });
  const dInf = ctx.informers.informerFor<Obj>(DEPLOYMENTS);
  const rsInf = ctx.informers.informerFor<Obj>(REPLICASETS);
  const recorder = ctx.recorderFor('deployment-controller');
  dInf.addEventHandler(enqueueObject(queue));
  rsInf.addEventHandler(enqueueOwner(queue, 'Deployment'));

  const rsClient = (ns: string) => ctx.rest.resource<Obj>(REPLICASETS).in(ns);

  /** Sets a ReplicaSet's size and its desired/max-replicas annotations; an event when the size moves. */
  async function scale(d: Obj, rs: Obj, to: number): Promise<void> {
    const from = specReplicas(rs);
    const desired = String(d.spec.replicas ?? 1);
    const max = String((d.spec.replicas ?? 1) + maxSurge(d));
    const ann = rs.metadata.annotations ?? {};
    if (from === to && ann[DESIRED_REPLICAS] === desired && ann[MAX_REPLICAS] === max) return;
    const next = structuredClone(rs);
    next.spec.replicas = to;
    next.metadata.annotations = { ...ann, [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max };
    const saved = await rsClient(rs.metadata.namespace).update(next);
    // Later steps of this sync may scale the same ReplicaSet again: keep its new version.
    rs.spec.replicas = to;
    rs.metadata.annotations = saved.metadata.annotations;
    rs.metadata.resourceVersion = saved.metadata.resourceVersion;
    if (from === to) return;
    const dir = to > from ? 'up' : 'down';
    recorder.event(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${dir} replica set ${rs.metadata.name} from ${from} to ${to}`,
    );
  }

  /** ReplicaSets this Deployment controls, adopting matching orphans. */
  async function ownedReplicaSets(d: Obj): Promise<Obj[]> {
    const sel = d.spec?.selector;
    const out: Obj[] = [];
    for (const rs of rsInf.store.byNamespace(d.metadata.namespace)) {
      const ref = controllerOf(rs);
      if (ref) {
        if (ref.uid === d.metadata.uid) out.push(rs);
        continue;
      }
      if (
        isEmptyLabelSelector(sel) ||
        !matchesLabelSelector(sel, rs.metadata.labels) ||
        rs.metadata.deletionTimestamp
      )
        continue;
      const owner = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: d.metadata.name,
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      };
      try {
        out.push(
          await rsClient(d.metadata.namespace).patch(rs.metadata.name, {
            metadata: {
              ownerReferences: [...(rs.metadata.ownerReferences ?? []), owner],
              resourceVersion: rs.metadata.resourceVersion,
            },
          }),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out.map((rs) => structuredClone(rs));
  }

  async function createNewReplicaSet(d: Obj, hash: string, revision: number, replicas: number): Promise<Obj> {
    const template = structuredClone(d.spec.template);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [HASH_LABEL]: hash };
    const selector = structuredClone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const rs: Obj = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: {
          ...copiedAnnotations(d),
          [REVISION]: String(revision),
          [DESIRED_REPLICAS]: String(d.spec.replicas ?? 1),
          [MAX_REPLICAS]: String((d.spec.replicas ?? 1) + maxSurge(d)),
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name,
            uid: d.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { replicas, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    const created = await rsClient(d.metadata.namespace).create(rs);
    recorder.event(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`,
    );
    return structuredClone(created);
  }

  async function rollingUpdate(d: Obj, newRS: Obj, old: Obj[]): Promise<void> {
    const replicas = d.spec.replicas ?? 1;
    const { surge, unavailable } = surgeAndUnavailable(d, replicas);
    const all = [newRS, ...old];
    // Scale up the new ReplicaSet within maxSurge.
    if (specReplicas(newRS) < replicas) {
      const room = replicas + surge - sum(all, specReplicas);
      const up = Math.min(room, replicas - specReplicas(newRS));
      if (up > 0) await scale(d, newRS, specReplicas(newRS) + up);
    } else if (specReplicas(newRS) > replicas) {
      await scale(d, newRS, replicas);
    }
    // Scale down old ones while at least replicas - maxUnavailable stay available.
    const minAvailable = replicas - unavailable;
    const newUnavailable = Math.max(0, specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0));
    let cleanup = sum(all, specReplicas) - minAvailable - newUnavailable;
    const oldestFirst = [...old].sort(byAge);
    // First, replicas that are not available anyway (they cost no availability).
    for (const rs of oldestFirst) {
      if (cleanup <= 0) break;
      const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
      const cut = Math.min(Math.max(0, unhealthy), cleanup);
      if (cut > 0) {
        await scale(d, rs, specReplicas(rs) - cut);
        cleanup -= cut;
      }
    }
    let canDown =
      sum(all, (rs) => Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs))) - minAvailable;
    for (const rs of oldestFirst) {
      if (canDown <= 0) break;
      const cut = Math.min(specReplicas(rs), canDown);
      if (cut > 0) {
        await scale(d, rs, specReplicas(rs) - cut);
        canDown -= cut;
      }
    }
  }

  async function recreate(d: Obj, newRS: Obj, old: Obj[]): Promise<void> {
    for (const rs of old) if (specReplicas(rs) > 0) await scale(d, rs, 0);
    // The new pods start only when every old pod is gone.
    if (old.some((rs) => (rs.status?.replicas ?? 0) > 0)) return;
    await scale(d, newRS, d.spec.replicas ?? 1);
  }

  /** Upstream's scale(): one active (or else the newest) ReplicaSet takes it all; else proportional. */
  async function resize(d: Obj, newRS: Obj | undefined, old: Obj[]): Promise<void> {
    const replicas = d.spec.replicas ?? 1;
    const activeSets = [...(newRS ? [newRS] : []), ...old].filter((rs) => specReplicas(rs) > 0);
    if (activeSets.length <= 1) {
      const newestOld = [...old].sort(byAge).at(-1);
      const target = activeSets[0] ?? newRS ?? newestOld;
      if (target) await scale(d, target, replicas);
      return;
    }
    const saturated =
      newRS !== undefined &&
      specReplicas(newRS) === replicas &&
      desiredAnnotation(newRS, DESIRED_REPLICAS) === replicas &&
      (newRS.status?.availableReplicas ?? 0) === replicas;
    if (saturated) {
      for (const rs of old) if (specReplicas(rs) > 0) await scale(d, rs, 0);
      return;
    }
    if (d.spec.strategy?.type === 'Recreate') return;
    const sizes = proportionalSizes(d, activeSets);
    for (const rs of activeSets) await scale(d, rs, sizes.get(rs.metadata.name) as number);
  }

  /** Progressing=Unknown DeploymentPaused / DeploymentResumed, unless the deadline already passed. */
  async function checkPausedConditions(d: Obj): Promise<boolean> {
    if (typeof d.spec.progressDeadlineSeconds !== 'number') return false;
    const prev: Obj[] = d.status?.conditions ?? [];
    const cur = prev.find((c) => c.type === 'Progressing');
    if (cur?.reason === 'ProgressDeadlineExceeded') return false;
    const pausedCond = cur?.reason === 'DeploymentPaused';
    let next: Obj | undefined;
    if (d.spec.paused && !pausedCond) {
      next = condition(prev, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused');
    } else if (!d.spec.paused && pausedCond) {
      next = condition(prev, 'Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed');
    }
    if (!next) return false;
    const updated = structuredClone(d);
    updated.status = { ...(d.status ?? {}) };
    updated.status.conditions = [...prev.filter((c) => c.type !== 'Progressing'), next];
    try {
      await ctx.rest.resource<Obj>(DEPLOYMENTS).in(d.metadata.namespace).updateStatus(updated);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return true;
  }

  async function cleanupHistory(d: Obj, old: Obj[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = old
      .filter(
        (rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp,
      )
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await rsClient(d.metadata.namespace).delete(rs.metadata.name, {
          preconditions: { uid: rs.metadata.uid },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  function condition(
    prev: Obj[],
    type: string,
    status: string,
    reason: string,
    message: string,
    touch = false,
  ): Obj {
    const nowIso = new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const old = prev.find((c) => c.type === type);
    const same = old?.status === status;
    return {
      type,
      status,
      lastUpdateTime: !touch && same && old?.reason === reason ? old.lastUpdateTime : nowIso,
      lastTransitionTime: same ? old.lastTransitionTime : nowIso,
      reason,
      message,
    };
  }

  /**
   * Progressing: True while the rollout moves (lastUpdateTime marks the last progress), False with
   * ProgressDeadlineExceeded once nothing moved for progressDeadlineSeconds; answers when to look again.
   */
  function progressing(
    d: Obj,
    name: string,
    complete: boolean,
    counts: Obj,
  ): { cond: Obj; recheckMs?: number } {
    const prev: Obj[] = d.status?.conditions ?? [];
    const old = prev.find((c) => c.type === 'Progressing');
    if (complete) {
      const msg = `ReplicaSet "${name}" has successfully progressed.`;
      return { cond: condition(prev, 'Progressing', 'True', 'NewReplicaSetAvailable', msg) };
    }
    const st = d.status ?? {};
    const moved =
      st.observedGeneration !== d.metadata.generation ||
      Object.entries(counts).some(([k, v]) => (st[k] ?? 0) !== v) ||
      !old ||
      old.reason === 'NewReplicaSetAvailable';
    const msg = `ReplicaSet "${name}" is progressing.`;
    if (moved) return { cond: condition(prev, 'Progressing', 'True', 'ReplicaSetUpdated', msg, true) };
    if (old.reason === 'ProgressDeadlineExceeded') return { cond: old };
    const deadline = d.spec.progressDeadlineSeconds;
    const since = Date.parse(old.lastUpdateTime ?? '');
    if (typeof deadline !== 'number' || !Number.isFinite(since)) return { cond: old };
    const left = since + deadline * 1000 - ctx.clock.now();
    if (left > 0) return { cond: old, recheckMs: left + 1000 };
    const timedOut = `ReplicaSet "${name}" has timed out progressing.`;
    return { cond: condition(prev, 'Progressing', 'False', 'ProgressDeadlineExceeded', timedOut) };
  }

  async function syncStatus(
    d: Obj,
    newRS: Obj | undefined,
    all: Obj[],
    keepProgressing = false,
  ): Promise<number | undefined> {
    const replicas = d.spec.replicas ?? 1;
    const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
    const total = sum(all, (rs) => rs.status?.replicas ?? 0);
    const updated = newRS?.status?.replicas ?? 0;
    const { unavailable } =
      d.spec.strategy?.type === 'Recreate' ? { unavailable: 0 } : surgeAndUnavailable(d, replicas);
    const prev: Obj[] = d.status?.conditions ?? [];
    const isAvailable = available >= replicas - unavailable;
    const complete = updated === replicas && available === replicas && total === replicas;
    const name = newRS?.metadata.name ?? d.metadata.name;
    const ready = sum(all, (rs) => rs.status?.readyReplicas ?? 0);
    const counts = {
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
    };
    const kept = prev.find((c) => c.type === 'Progressing');
    const prog: { cond?: Obj; recheckMs?: number } = keepProgressing
      ? { cond: kept }
      : progressing(d, name, complete, counts);
    const conditions = [
      isAvailable
        ? condition(
            prev,
            'Available',
            'True',
            'MinimumReplicasAvailable',
            'Deployment has minimum availability.',
          )
        : condition(
            prev,
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
      ...(prog.cond ? [prog.cond] : []),
    ];
    // A ReplicaSet that cannot create or delete pods: the Deployment says so too (newest first).
    const rsFailure = [...(newRS ? [newRS] : []), ...all.filter((rs) => rs !== newRS)]
      .map((rs) => (rs.status?.conditions ?? []).find((c: Obj) => c.type === 'ReplicaFailure'))
      .find((c) => c?.status === 'True');
    if (rsFailure) {
      const was = prev.find((c) => c.type === 'ReplicaFailure');
      conditions.push({
        type: 'ReplicaFailure',
        status: 'True',
        lastUpdateTime: rsFailure.lastTransitionTime,
        lastTransitionTime: was?.status === 'True' ? was.lastTransitionTime : rsFailure.lastTransitionTime,
        reason: rsFailure.reason,
        message: rsFailure.message,
      });
    }
    const status: Obj = {
      observedGeneration: d.metadata.generation,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      unavailableReplicas: Math.max(0, replicas - available),
      conditions,
    };
    if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
    for (const k of [
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ]) {
      if (status[k] === 0) delete status[k];
    }
    if (JSON.stringify(status) === JSON.stringify(d.status ?? {})) return prog.recheckMs;
    const next = structuredClone(d);
    next.status = status;
    try {
      await ctx.rest.resource<Obj>(DEPLOYMENTS).in(d.metadata.namespace).updateStatus(next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return prog.recheckMs;
  }

  return runWhenSynced(ctx, {
    name: 'deployment',
    queue,
    workers: 5,
    reconcile: async (key) => {
      const d = dInf.store.get(key);
      if (!d || d.metadata.deletionTimestamp) return;
      if (await checkPausedConditions(d)) return; // the status write comes back through the informer
      const all = await ownedReplicaSets(d);
      const hash = podTemplateHash(d.spec.template, d.status?.collisionCount);
      let newRS = all.find(
        (rs) => rs.metadata.labels?.[HASH_LABEL] === hash && !rs.metadata.deletionTimestamp,
      );
      const old = all.filter((rs) => rs !== newRS);
      const maxOldRevision = Math.max(0, ...old.map(revisionOf));
      const replicas = d.spec.replicas ?? 1;
      // A scaling event: some active ReplicaSet was last sized for another spec.replicas.
      const scalingEvent = all.some((rs) => {
        const desired = desiredAnnotation(rs, DESIRED_REPLICAS);
        return specReplicas(rs) > 0 && desired !== undefined && desired !== replicas;
      });
      if (d.spec.paused || scalingEvent) {
        // Upstream's sync(): sizes follow spec.replicas (proportionally mid-rollout); a new template
        // waits for resume (or for the next sync after the resize).
        await resize(d, newRS, old);
        if (d.spec.paused) await cleanupHistory(d, old);
        await syncStatus(d, newRS, all, true);
        return;
      }
      if (!newRS) {
        // Recreate starts the new ReplicaSet at 0; RollingUpdate within the surge budget.
        let initial = 0;
        if (d.spec.strategy?.type !== 'Recreate') {
          const { surge } = surgeAndUnavailable(d, replicas);
          initial = Math.max(0, Math.min(replicas, replicas + surge - sum(old, specReplicas)));
        }
        newRS = await createNewReplicaSet(d, hash, maxOldRevision + 1, initial);
        all.push(newRS);
      } else {
        // The newest ReplicaSet carries the Deployment's annotations and minReadySeconds; rolled back to
        // an older template, it becomes the newest revision.
        const ann: Obj = newRS.metadata.annotations ?? {};
        const want: Obj = { ...ann, ...copiedAnnotations(d) };
        if (revisionOf(newRS) <= maxOldRevision) want[REVISION] = String(maxOldRevision + 1);
        const minReady = d.spec.minReadySeconds ?? 0;
        const annChanged = Object.keys(want).some((k) => want[k] !== ann[k]);
        if (annChanged || (newRS.spec.minReadySeconds ?? 0) !== minReady) {
          const next = structuredClone(newRS);
          next.metadata.annotations = want;
          next.spec.minReadySeconds = minReady;
          const saved = await rsClient(d.metadata.namespace).update(next);
          Object.assign(newRS, structuredClone(saved));
        }
      }
      const revision = String(revisionOf(newRS));
      if (d.metadata.annotations?.[REVISION] !== revision) {
        await ctx.rest
          .resource<Obj>(DEPLOYMENTS)
          .in(d.metadata.namespace)
          .patch(d.metadata.name, {
            // The version makes a sync from a stale cache conflict instead of writing twice.
            metadata: { annotations: { [REVISION]: revision }, resourceVersion: d.metadata.resourceVersion },
          });
        return; // the update comes back through the informer
      }
      if (d.spec.strategy?.type === 'Recreate') await recreate(d, newRS, old);
      else await rollingUpdate(d, newRS, old);
      await cleanupHistory(d, old);
      const recheckMs = await syncStatus(d, newRS, all);
      return recheckMs === undefined ? undefined : { requeueAfterMs: recheckMs };
    },
  });
}
