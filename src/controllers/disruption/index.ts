// The disruption controller (upstream's pkg/controller/disruption): keeps each PodDisruptionBudget's status
// (expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed, disruptedPods, observedGeneration and
// the DisruptionAllowed condition) in step with its pods. Integer minAvailable counts the selected pods;
// percentages and maxUnavailable count the scale of the pods' controllers (ReplicationController,
// Deployment via its ReplicaSet, ReplicaSet, StatefulSet). Eviction entries in disruptedPods that the pod
// deletion never followed expire after two minutes.
import { isDeepStrictEqual } from 'node:util';
import { matchesLabelSelector } from '../../api/labels.js';
import { intOrPercentValue } from '../../api/workloads.js';
import {
  DEPLOYMENTS,
  isNotFound,
  PDBS,
  PODS,
  REPLICASETS,
  REPLICATION_CONTROLLERS,
  STATEFULSETS,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { condition } from '../nodelifecycle/taints.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

const WORKLOADS = {
  ReplicationController: REPLICATION_CONTROLLERS,
  ReplicaSet: REPLICASETS,
  Deployment: DEPLOYMENTS,
  StatefulSet: STATEFULSETS,
};
/** How long an eviction recorded in disruptedPods waits for the pod's deletion (upstream's DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;
const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** GetScaledValueFromIntOrPercent with rounding up. */
export function scaledUp(v: unknown, total: number): number {
  const p = intOrPercentValue(v);
  if (!p) throw new Error(`invalid value for IntOrString: ${JSON.stringify(v)}`);
  return p.percent ? Math.ceil((p.value * total) / 100) : p.value;
}

export function isPodReady(pod: Obj): boolean {
  return condition(pod, 'Ready')?.status === 'True';
}

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'disruption', clock: ctx.clock });
  const pdbs = ctx.informers.informerFor<Obj>(PDBS);
  const pods = ctx.informers.informerFor<Obj>(PODS);
  const workloads = Object.fromEntries(
    Object.entries(WORKLOADS).map(([k, ref]) => [k, ctx.informers.informerFor<Obj>(ref)]),
  ) as Record<keyof typeof WORKLOADS, ReturnType<typeof ctx.informers.informerFor<Obj>>>;
  const recorder = ctx.recorderFor('controllermanager');
  const key = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;

  pdbs.addEventHandler({ onAdd: (p) => queue.add(key(p)), onUpdate: (_o, p) => queue.add(key(p)) });
  const enqueueForPod = (pod: Obj) => {
    for (const p of pdbs.store.byNamespace(pod.metadata.namespace))
      if (matchesLabelSelector(p.spec?.selector, pod.metadata.labels ?? {})) queue.add(key(p));
  };
  pods.addEventHandler({
    onAdd: enqueueForPod,
    onUpdate: (old, cur) => {
      enqueueForPod(cur);
      if (JSON.stringify(old.metadata.labels) !== JSON.stringify(cur.metadata.labels)) enqueueForPod(old);
    },
    onDelete: enqueueForPod,
  });
  // A scale change shows in pods soon, but the expected count changes at once.
  const enqueueNamespace = (o: Obj) => {
    for (const p of pdbs.store.byNamespace(o.metadata.namespace)) queue.add(key(p));
  };
  for (const inf of Object.values(workloads))
    inf.addEventHandler({ onUpdate: (_o, cur) => enqueueNamespace(cur), onDelete: enqueueNamespace });

  /** The scale of the pod's controller, or undefined when no supported controller owns it. */
  const controllerScale = (pod: Obj, ref: Obj): { uid: string; scale: number } | undefined => {
    const ns = pod.metadata.namespace;
    const get = (kind: keyof typeof WORKLOADS, name: string, uid: string) => {
      const o = workloads[kind].store.get(`${ns}/${name}`);
      return o && o.metadata.uid === uid ? o : undefined;
    };
    if (ref.kind === 'ReplicationController' && (ref.apiVersion ?? 'v1') === 'v1') {
      const rc = get('ReplicationController', ref.name, ref.uid);
      if (rc) return { uid: rc.metadata.uid, scale: rc.spec?.replicas ?? 1 };
    }
    if (ref.kind === 'ReplicaSet' && String(ref.apiVersion).startsWith('apps/')) {
      const rs = get('ReplicaSet', ref.name, ref.uid);
      if (!rs) return undefined;
      const owner = (rs.metadata.ownerReferences ?? []).find((o: Obj) => o.controller);
      if (owner?.kind === 'Deployment') {
        const d = get('Deployment', owner.name, owner.uid);
        return d ? { uid: d.metadata.uid, scale: d.spec?.replicas ?? 1 } : undefined;
      }
      return { uid: rs.metadata.uid, scale: rs.spec?.replicas ?? 1 };
    }
    if (ref.kind === 'StatefulSet' && String(ref.apiVersion).startsWith('apps/')) {
      const ss = get('StatefulSet', ref.name, ref.uid);
      if (ss) return { uid: ss.metadata.uid, scale: ss.spec?.replicas ?? 1 };
    }
    return undefined;
  };

  const expectedScale = (pdb: Obj, selected: Obj[]): number => {
    const scales = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of selected) {
      const ref = (pod.metadata.ownerReferences ?? []).find((o: Obj) => o.controller);
      if (!ref) {
        unmanaged.push(pod.metadata.name);
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = controllerScale(pod, ref);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      scales.set(found.uid, found.scale);
    }
    if (unmanaged.length > 0)
      recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    let total = 0;
    for (const s of scales.values()) total += s;
    return total;
  };

  const counts = (pdb: Obj, selected: Obj[]): { expected: number; desired: number } => {
    const spec = pdb.spec ?? {};
    if (spec.maxUnavailable != null) {
      const expected = expectedScale(pdb, selected);
      return { expected, desired: Math.max(0, expected - scaledUp(spec.maxUnavailable, expected)) };
    }
    if (spec.minAvailable != null) {
      const p = intOrPercentValue(spec.minAvailable);
      if (p && !p.percent) return { expected: selected.length, desired: p.value };
      const expected = expectedScale(pdb, selected);
      return { expected, desired: scaledUp(spec.minAvailable, expected) };
    }
    return { expected: 0, desired: 0 };
  };

  /** meta.SetStatusCondition for DisruptionAllowed: the transition time moves only when status flips. */
  const withCondition = (old: Obj[] | undefined, c: Obj, now: number): Obj[] => {
    const prev = (old ?? []).find((x) => x.type === c.type);
    const next = {
      ...c,
      lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : ts(now),
    };
    return [...(old ?? []).filter((x) => x.type !== c.type), next];
  };

  const writeStatus = async (pdb: Obj, status: Obj) => {
    if (isDeepStrictEqual(status, pdb.status ?? {})) return;
    try {
      await ctx.rest
        .resource<Obj>(PDBS)
        .in(pdb.metadata.namespace)
        .updateStatus({ ...pdb, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  return runWhenSynced(ctx, {
    name: 'disruption',
    queue,
    workers: 2,
    reconcile: async (k) => {
      const pdb = pdbs.store.get(k);
      if (!pdb || pdb.metadata.deletionTimestamp) return;
      const now = ctx.clock.now();
      const selected = pods.store
        .byNamespace(pdb.metadata.namespace)
        .filter((p) => matchesLabelSelector(pdb.spec?.selector, p.metadata.labels ?? {}));
      const generation = pdb.metadata.generation ?? 1;
      let expected: number;
      let desired: number;
      try {
        ({ expected, desired } = counts(pdb, selected));
      } catch (err) {
        // failSafe: no disruptions, SyncFailed; observedGeneration stays where it was.
        const old = pdb.status ?? {};
        const og = old.observedGeneration ?? 0;
        await writeStatus(pdb, {
          ...old,
          currentHealthy: old.currentHealthy ?? 0,
          desiredHealthy: old.desiredHealthy ?? 0,
          expectedPods: old.expectedPods ?? 0,
          disruptionsAllowed: 0,
          conditions: withCondition(
            old.conditions,
            {
              type: 'DisruptionAllowed',
              status: 'False',
              reason: 'SyncFailed',
              message: (err as Error).message,
              observedGeneration: og,
            },
            now,
          ),
        });
        return;
      }
      // disruptedPods: keep entries whose pod still exists, is not yet deleting, and has not timed out.
      const recorded: Record<string, string> = pdb.status?.disruptedPods ?? {};
      const disrupted: Record<string, string> = {};
      let recheckAt: number | undefined;
      for (const pod of selected) {
        const at = recorded[pod.metadata.name];
        if (!at || pod.metadata.deletionTimestamp) continue;
        const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
        if (expires < now) {
          recorder.event(
            pod,
            'Warning',
            'NotDeleted',
            'Pod was expected by PDB ' + pdb.metadata.name + ' to be deleted but it was not',
          );
          continue;
        }
        disrupted[pod.metadata.name] = at;
        recheckAt = Math.min(recheckAt ?? expires, expires);
      }
      let healthy = 0;
      for (const pod of selected) {
        if (pod.metadata.deletionTimestamp) continue;
        if (disrupted[pod.metadata.name]) continue;
        if (isPodReady(pod)) healthy++;
      }
      const allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
      const status: Obj = {
        observedGeneration: generation,
        ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
        disruptionsAllowed: allowed,
        currentHealthy: healthy,
        desiredHealthy: desired,
        expectedPods: expected,
        conditions: withCondition(
          pdb.status?.conditions,
          {
            type: 'DisruptionAllowed',
            status: allowed > 0 ? 'True' : 'False',
            reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
            message: '',
            observedGeneration: generation,
          },
          now,
        ),
      };
      await writeStatus(pdb, status);
      if (recheckAt !== undefined) return { requeueAfterMs: Math.max(1, recheckAt - now + 1) };
    },
  });
}
