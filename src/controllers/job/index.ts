// The Job controller: runs pods from the template until `completions` succeed (NonIndexed or Indexed), at
// most `parallelism` at once, failing the Job past backoffLimit or activeDeadlineSeconds. Every pod carries
// the `batch.kubernetes.io/job-tracking` finalizer; a finished pod is first recorded in
// status.uncountedTerminatedPods, then loses the finalizer, then moves into status.succeeded/failed, so a
// deleted pod is never lost nor counted twice (upstream's two-phase tracking).
import { enqueueObject, enqueueOwner, isNotFound, type ResourceRef, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { Expectations } from '../replicaset/expectations.js';
import { PODS } from '../replicaset/index.js';
import { isPodReady, lessValuableFirst } from '../replicaset/pods.js';
import { runWhenSynced } from '../run.js';
import { formatIndexes, parseIndexes } from './indexes.js';

type Obj = Record<string, any>;

export const JOBS: ResourceRef = {
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  namespaced: true,
  kind: 'Job',
};
export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
const COMPLETION_INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';
const BURST = 500;

function controllerOf(o: Obj): Obj | undefined {
  return (o.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller === true);
}

const terminal = (p: Obj) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const hasFinalizer = (p: Obj) => (p.metadata?.finalizers ?? []).includes(TRACKING_FINALIZER);
/** Running or pending and not being deleted. */
const activePod = (p: Obj) => !terminal(p) && !p.metadata?.deletionTimestamp;

export function condition(job: Obj, type: string): Obj | undefined {
  return (job.status?.conditions ?? []).find((c: Obj) => c.type === type);
}

export function jobFinished(job: Obj): boolean {
  return ['Complete', 'Failed'].some((t) => condition(job, t)?.status === 'True');
}

export function podIndex(p: Obj): number | undefined {
  const v = p.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION];
  const n = Number(v);
  return v != null && Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function podForJob(job: Obj, index?: number): Obj {
  const t = job.spec?.template ?? {};
  const name = job.metadata.name as string;
  const spec = structuredClone(t.spec ?? {});
  const labels: Obj = { ...(t.metadata?.labels ?? {}) };
  const annotations: Obj = { ...(t.metadata?.annotations ?? {}) };
  if (index !== undefined) {
    labels[COMPLETION_INDEX_LABEL] = String(index);
    annotations[COMPLETION_INDEX_ANNOTATION] = String(index);
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', value: String(index) }];
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [TRACKING_FINALIZER],
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name,
          uid: job.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}

function setCondition(status: Obj, type: string, st: string, reason: string, message: string, now: string) {
  status.conditions ??= [];
  const conds: Obj[] = status.conditions;
  const cur = conds.find((c) => c.type === type);
  if (cur) {
    if (cur.status !== st) cur.lastTransitionTime = now;
    Object.assign(cur, { status: st, reason, message, lastProbeTime: now });
  } else {
    conds.push({ type, status: st, reason, message, lastProbeTime: now, lastTransitionTime: now });
  }
}

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'job', clock: ctx.clock });
  const jobInf = ctx.informers.informerFor<Obj>(JOBS);
  const podInf = ctx.informers.informerFor<Obj>(PODS);
  const expectations = new Expectations(ctx.clock);
  const recorder = ctx.recorderFor('job-controller');
  const seenTerminating = new Set<string>();

  jobInf.addEventHandler(enqueueObject(queue));
  const ownerKey = (p: Obj) => {
    const ref = controllerOf(p);
    return ref?.kind === 'Job' ? `${p.metadata.namespace}/${ref.name}` : undefined;
  };
  podInf.addEventHandler({
    onAdd: (p) => {
      const k = ownerKey(p);
      if (k) expectations.observedCreate(k);
    },
    onUpdate: (o, p) => {
      // A pod that starts terminating counts as the deletion this controller asked for (once per uid).
      const k = ownerKey(p);
      if (k && !o.metadata.deletionTimestamp && p.metadata.deletionTimestamp) {
        seenTerminating.add(p.metadata.uid);
        expectations.observedDelete(k);
      }
    },
    onDelete: (p) => {
      const k = ownerKey(p);
      if (k && !seenTerminating.has(p.metadata.uid)) expectations.observedDelete(k);
      seenTerminating.delete(p.metadata.uid);
    },
  });
  podInf.addEventHandler(enqueueOwner(queue, 'Job'));

  const pods = (ns: string) => ctx.rest.resource<Obj>(PODS).in(ns);
  const jobs = (ns: string) => ctx.rest.resource<Obj>(JOBS).in(ns);

  async function dropFinalizer(p: Obj): Promise<void> {
    const finalizers = (p.metadata.finalizers ?? []).filter((f: string) => f !== TRACKING_FINALIZER);
    await pods(p.metadata.namespace)
      .patch(p.metadata.name, { metadata: { finalizers, resourceVersion: p.metadata.resourceVersion } })
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
  }

  async function deletePods(job: Obj, key: string, victims: Obj[]): Promise<void> {
    if (victims.length === 0) return;
    expectations.expect(key, 0, victims.length);
    const results = await Promise.allSettled(
      victims.map((p) =>
        pods(p.metadata.namespace).delete(p.metadata.name, { preconditions: { uid: p.metadata.uid } }),
      ),
    );
    let firstErr: unknown;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${victims[i].metadata.name}`);
      } else {
        expectations.lower(key, 0, 1);
        if (!isNotFound(r.reason)) firstErr ??= r.reason;
      }
    });
    if (firstErr) throw firstErr;
  }

  async function createPods(job: Obj, key: string, indexes: (number | undefined)[]): Promise<void> {
    if (indexes.length === 0) return;
    expectations.expect(key, indexes.length, 0);
    const results = await Promise.allSettled(
      indexes.map((i) => pods(job.metadata.namespace).create(podForJob(job, i))),
    );
    let firstErr: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      } else {
        expectations.lower(key, 1, 0);
        firstErr ??= r.reason;
      }
    }
    if (firstErr) {
      const msg = (firstErr as Error)?.message ?? String(firstErr);
      recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${msg}`);
      throw firstErr;
    }
  }

  /** The Job is gone: its pods must not be held by the tracking finalizer. */
  async function releaseOrphans(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    for (const p of podInf.store.byNamespace(ns)) {
      const ref = controllerOf(p);
      if (ref?.kind === 'Job' && ref.name === name && hasFinalizer(p)) await dropFinalizer(p);
    }
  }

  async function reconcile(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const cached = jobInf.store.get(key);
    if (!cached) {
      expectations.forget(key);
      await releaseOrphans(key);
      return;
    }
    const job = structuredClone(cached);
    const ns = job.metadata.namespace as string;
    const uid = job.metadata.uid as string;
    const owned = podInf.store.byNamespace(ns).filter((p) => controllerOf(p)?.uid === uid);
    const nowMs = ctx.clock.now();
    const now = new Date(nowMs).toISOString();
    const indexed = job.spec?.completionMode === 'Indexed';
    job.status ??= {};
    const status: Obj = job.status;
    const uncounted: Obj = status.uncountedTerminatedPods ?? {};
    const unSucc = new Set<string>(uncounted.succeeded ?? []);
    const unFail = new Set<string>(uncounted.failed ?? []);

    // Phase 1: record newly finished pods (and pods deleted before finishing, as failures) by uid.
    let recorded = false;
    for (const p of owned) {
      if (!hasFinalizer(p) || unSucc.has(p.metadata.uid) || unFail.has(p.metadata.uid)) continue;
      if (p.status?.phase === 'Succeeded') unSucc.add(p.metadata.uid);
      else if (p.status?.phase === 'Failed' || p.metadata.deletionTimestamp) unFail.add(p.metadata.uid);
      else continue;
      recorded = true;
    }
    const writeStatus = async () => {
      status.uncountedTerminatedPods = { succeeded: [...unSucc], failed: [...unFail] };
      if (unSucc.size === 0 && unFail.size === 0) status.uncountedTerminatedPods = {};
      const res = await jobs(ns).updateStatus({ ...job, status });
      job.metadata = res.metadata;
    };
    if (recorded) await writeStatus();

    // Phase 2: drop the finalizer from recorded pods; phase 3: fold them into the counts.
    const byUid = new Map(owned.map((p) => [p.metadata.uid as string, p]));
    for (const set of [unSucc, unFail]) {
      for (const u of set) {
        const p = byUid.get(u);
        if (p && hasFinalizer(p)) await dropFinalizer(p);
      }
    }
    const completed = new Set<number>(parseIndexes(status.completedIndexes ?? ''));
    for (const u of unSucc) {
      const idx = byUid.get(u) ? podIndex(byUid.get(u) as Obj) : undefined;
      if (indexed && idx !== undefined) {
        if (idx < (job.spec.completions ?? 0) && !completed.has(idx)) completed.add(idx);
        else {
          unSucc.delete(u); // a second success for one index is not a completion
          continue;
        }
      }
      status.succeeded = (status.succeeded ?? 0) + 1;
      unSucc.delete(u);
    }
    for (const u of unFail) {
      status.failed = (status.failed ?? 0) + 1;
      unFail.delete(u);
    }
    if (indexed && completed.size > 0) status.completedIndexes = formatIndexes([...completed]);

    const active = owned.filter(activePod);
    const succeeded = status.succeeded ?? 0;
    const failed = status.failed ?? 0;
    let requeueAfterMs: number | undefined;

    if (!jobFinished(job)) {
      const suspended = job.spec?.suspend === true;
      const completions: number | undefined = job.spec?.completions ?? undefined;
      const parallelism: number = job.spec?.parallelism ?? 1;
      const startMs = Date.parse(status.startTime ?? '');
      const deadline = job.spec?.activeDeadlineSeconds;
      let failure: [string, string] | undefined;
      if (failed > (job.spec?.backoffLimit ?? 6)) {
        failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
      } else if (!suspended && deadline != null && Number.isFinite(startMs)) {
        const left = startMs + deadline * 1000 - nowMs;
        if (left <= 0) failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
        else requeueAfterMs = left;
      }
      const done = completions == null ? succeeded > 0 && active.length === 0 : succeeded >= completions;
      if (failure) {
        await deletePods(job, key, active);
        setCondition(status, 'FailureTarget', 'True', failure[0], failure[1], now);
        setCondition(status, 'Failed', 'True', failure[0], failure[1], now);
        recorder.event(job, 'Warning', failure[0], failure[1]);
        requeueAfterMs = undefined;
      } else if (done) {
        await deletePods(job, key, active); // only left when completions are reached with extra pods
        setCondition(
          status,
          'SuccessCriteriaMet',
          'True',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          now,
        );
        setCondition(
          status,
          'Complete',
          'True',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          now,
        );
        status.completionTime = now;
        recorder.event(job, 'Normal', 'Completed', 'Job completed');
      } else if (suspended) {
        await deletePods(job, key, active);
        if (condition(job, 'Suspended')?.status !== 'True') {
          setCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
          recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
        }
      } else {
        if (condition(job, 'Suspended')?.status === 'True') {
          setCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
          status.startTime = now; // the deadline counts from the resume
          recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
        }
        status.startTime ??= now;
        if (deadline != null && requeueAfterMs === undefined) requeueAfterMs = deadline * 1000;
        if (expectations.satisfied(key))
          await scale(job, key, active, completions, parallelism, succeeded, completed);
      }
    } else {
      for (const p of owned) if (hasFinalizer(p) && !unSucc.has(p.metadata.uid)) await dropFinalizer(p);
    }

    status.active = active.length;
    status.ready = active.filter(isPodReady).length;
    await writeStatusIfChanged(cached, job, writeStatus);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  async function scale(
    job: Obj,
    key: string,
    active: Obj[],
    completions: number | undefined,
    parallelism: number,
    succeeded: number,
    completed: Set<number>,
  ): Promise<void> {
    if (job.spec?.completionMode === 'Indexed') {
      const n = completions ?? 0;
      const running = new Map<number, Obj[]>();
      for (const p of active) {
        const i = podIndex(p);
        if (i === undefined || i >= n || completed.has(i)) continue;
        running.set(i, [...(running.get(i) ?? []), p]);
      }
      // Out-of-range, already completed or duplicate indexes go.
      const extra = active.filter((p) => {
        const i = podIndex(p);
        return i === undefined || i >= n || completed.has(i) || (running.get(i) as Obj[])[0] !== p;
      });
      const want = Math.max(0, parallelism - running.size);
      const missing: number[] = [];
      for (let i = 0; i < n && missing.length < Math.min(want, BURST); i++) {
        if (!completed.has(i) && !running.has(i)) missing.push(i);
      }
      await deletePods(job, key, extra);
      await createPods(job, key, missing);
      return;
    }
    const want =
      completions == null
        ? succeeded > 0
          ? 0
          : parallelism
        : Math.min(parallelism, Math.max(0, completions - succeeded));
    const diff = active.length - want;
    if (diff < 0) await createPods(job, key, new Array(Math.min(-diff, BURST)).fill(undefined));
    else if (diff > 0) await deletePods(job, key, [...active].sort(lessValuableFirst).slice(0, diff));
  }

  async function writeStatusIfChanged(before: Obj, job: Obj, write: () => Promise<void>): Promise<void> {
    const a = JSON.stringify(before.status ?? {});
    const s = job.status;
    if (
      s.uncountedTerminatedPods &&
      !s.uncountedTerminatedPods.succeeded?.length &&
      !s.uncountedTerminatedPods.failed?.length
    ) {
      s.uncountedTerminatedPods = {};
    }
    if (JSON.stringify(s) === a) return;
    try {
      await write();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  return runWhenSynced(ctx, { name: 'job', queue, workers: 5, reconcile });
}
