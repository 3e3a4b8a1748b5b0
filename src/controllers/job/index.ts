// The Job controller: runs pods from the template until `completions` succeed (NonIndexed or Indexed), at
// most `parallelism` at once, failing the Job past backoffLimit or activeDeadlineSeconds. Every pod carries
// the `batch.kubernetes.io/job-tracking` finalizer; a finished pod is first recorded in
// status.uncountedTerminatedPods, then loses the finalizer, then moves into status.succeeded/failed, so a
// deleted pod is never lost nor counted twice (upstream's two-phase tracking).
import { enqueueObject, enqueueOwner, isNotFound, JOBS, PODS, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { Expectations } from '../replicaset/expectations.js';
import { isPodReady, lessValuableFirst } from '../replicaset/pods.js';
import { runWhenSynced } from '../run.js';
import { type BackoffRecord, finishedTimeMs, nextBackoffRecord, remainingBackoffMs } from './backoff.js';
import { matchPodFailurePolicy } from './failurepolicy.js';
import { formatIndexes, parseIndexes } from './indexes.js';

type Obj = Record<string, any>;

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
const COMPLETION_INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';
export const INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
const NO_FAILURES: BackoffRecord = { failuresAfterLastSuccess: 0 };
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

const hasBackoffLimitPerIndex = (job: Obj) =>
  job.spec?.completionMode === 'Indexed' && job.spec?.backoffLimitPerIndex != null;

/** podReplacementPolicy Failed (the default with a podFailurePolicy): a terminating pod holds its place. */
const onlyReplaceFailed = (job: Obj) =>
  job.spec?.podReplacementPolicy === 'Failed' || job.spec?.podFailurePolicy != null;

/**
 * Failed, or (unless only Failed pods are replaced) being deleted before it finished. An unscheduled pod
 * being deleted never reaches Failed without a kubelet: upstream's pod GC marks it Failed with a
 * DisruptionTarget condition, and this controller takes it as such (see failureView).
 */
function podFailed(p: Obj, job: Obj): boolean {
  const phase = p.status?.phase;
  if (phase === 'Failed') return true;
  if (phase === 'Succeeded' || !p.metadata?.deletionTimestamp) return false;
  return !onlyReplaceFailed(job) || !p.spec?.nodeName;
}

/** The pod as the failure policy sees it: an unscheduled pod being deleted carries DisruptionTarget. */
function failureView(p: Obj, job: Obj): Obj {
  if (p.status?.phase === 'Failed' || !p.metadata?.deletionTimestamp || p.spec?.nodeName) return p;
  if (!onlyReplaceFailed(job)) return p;
  const conditions = [...(p.status?.conditions ?? [])];
  if (!conditions.some((c: Obj) => c.type === 'DisruptionTarget')) {
    conditions.push({
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'DeletionByPodGC',
      message: 'PodGC: node no longer exists',
    });
  }
  return { ...p, status: { ...(p.status ?? {}), phase: 'Failed', conditions } };
}

/** The job-index-failure-count annotation (0 when absent or malformed). */
function failureCount(p: Obj): number {
  const n = Number(p.metadata?.annotations?.[INDEX_FAILURE_COUNT_ANNOTATION]);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

export function podIndex(p: Obj): number | undefined {
  const v = p.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION];
  const n = Number(v);
  return v != null && Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function podForJob(job: Obj, index?: number, failures?: number): Obj {
  const t = job.spec?.template ?? {};
  const name = job.metadata.name as string;
  const spec = structuredClone(t.spec ?? {});
  const labels: Obj = { ...(t.metadata?.labels ?? {}) };
  const annotations: Obj = { ...(t.metadata?.annotations ?? {}) };
  if (index !== undefined) {
    labels[COMPLETION_INDEX_LABEL] = String(index);
    annotations[COMPLETION_INDEX_ANNOTATION] = String(index);
    if (failures !== undefined) annotations[INDEX_FAILURE_COUNT_ANNOTATION] = String(failures);
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
  /** Consecutive pod failures per Job key, for the delay before a replacement (upstream's backoff store). */
  const backoffs = new Map<string, BackoffRecord>();

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

  /** Removes only this controller's finalizer (a strategic-merge delete, so no version is needed). */
  async function dropFinalizer(p: Obj): Promise<void> {
    await pods(p.metadata.namespace)
      .patch(
        p.metadata.name,
        { metadata: { '$deleteFromPrimitiveList/finalizers': [TRACKING_FINALIZER] } },
        { type: 'strategic' },
      )
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
  }

  /**
   * Deletes pods. Pods removed because the Job does not want them (suspend, too many, duplicate indexes)
   * first lose the tracking finalizer, so they never count as failures (upstream's deleteJobPods); when
   * the Job fails its pods keep it until they are counted (deleteActivePods).
   */
  async function deletePods(
    job: Obj,
    key: string,
    victims: Obj[],
    release = true,
  ): Promise<{ deleted: number; deletedReady: number }> {
    const counts = { deleted: 0, deletedReady: 0 };
    if (victims.length === 0) return counts;
    expectations.expect(key, 0, victims.length);
    const results = await Promise.allSettled(
      victims.map(async (p) => {
        if (release && hasFinalizer(p)) await dropFinalizer(p);
        await pods(p.metadata.namespace).delete(p.metadata.name, { preconditions: { uid: p.metadata.uid } });
      }),
    );
    let firstErr: unknown;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        counts.deleted++;
        if (isPodReady(victims[i])) counts.deletedReady++;
        recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${victims[i].metadata.name}`);
      } else {
        expectations.lower(key, 0, 1);
        if (!isNotFound(r.reason)) firstErr ??= r.reason;
      }
    });
    if (firstErr) throw firstErr;
    return counts;
  }

  async function createPods(
    job: Obj,
    key: string,
    indexes: (number | undefined)[],
    failures: (number | undefined)[] = [],
  ): Promise<number> {
    if (indexes.length === 0) return 0;
    expectations.expect(key, indexes.length, 0);
    // Slow start, as upstream: batches of 1, 2, 4, ...; a batch with a failure ends the sync, and the
    // creations never tried are not expected.
    let created = 0;
    let next = 0;
    for (let batch = 1; next < indexes.length; batch *= 2) {
      const slice = indexes.slice(next, next + batch);
      const results = await Promise.allSettled(
        slice.map((i, j) => pods(job.metadata.namespace).create(podForJob(job, i, failures[next + j]))),
      );
      next += slice.length;
      let firstErr: unknown;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          created++;
          recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
        } else {
          expectations.lower(key, 1, 0);
          firstErr ??= r.reason;
          const msg = (r.reason as Error)?.message ?? String(r.reason);
          recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${msg}`);
        }
      }
      if (firstErr) {
        expectations.lower(key, indexes.length - next, 0);
        throw firstErr;
      }
    }
    return created;
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
      backoffs.delete(key);
      await releaseOrphans(key);
      return;
    }
    const job = structuredClone(cached);
    const ns = job.metadata.namespace as string;
    const uid = job.metadata.uid as string;
    const owned = podInf.store.byNamespace(ns).filter((p) => controllerOf(p)?.uid === uid);
    if (jobFinished(job)) {
      // Finished: nothing to count or create; no pod stays held by the finalizer.
      backoffs.delete(key);
      for (const p of owned) if (hasFinalizer(p)) await dropFinalizer(p);
      return;
    }
    const nowMs = ctx.clock.now();
    const now = new Date(nowMs).toISOString();
    const indexed = job.spec?.completionMode === 'Indexed';
    const perIndex = hasBackoffLimitPerIndex(job);
    const policy = job.spec?.podFailurePolicy ?? undefined;
    const match = (p: Obj) => matchPodFailurePolicy(policy, failureView(p, job), perIndex);
    job.status ??= {};
    const status: Obj = job.status;
    const uncounted: Obj = status.uncountedTerminatedPods ?? {};
    const unSucc = new Set<string>(uncounted.succeeded ?? []);
    const unFail = new Set<string>(uncounted.failed ?? []);
    const ignored = new Set<string>();

    // Phase 1: record newly finished pods by uid. Failures an Ignore rule matches are not counted, but
    // still lose the finalizer and still count for the pod-failure backoff.
    const newSucceeded: Obj[] = [];
    const newFailed: Obj[] = [];
    for (const p of owned) {
      if (!hasFinalizer(p) || unSucc.has(p.metadata.uid) || unFail.has(p.metadata.uid)) continue;
      if (p.status?.phase === 'Succeeded') {
        unSucc.add(p.metadata.uid);
        newSucceeded.push(p);
      } else if (podFailed(p, job)) {
        newFailed.push(p);
        if (match(p).countFailed) unFail.add(p.metadata.uid);
        else ignored.add(p.metadata.uid);
      }
    }
    if (newSucceeded.length + newFailed.length > 0) {
      backoffs.set(key, nextBackoffRecord(backoffs.get(key) ?? NO_FAILURES, newSucceeded, newFailed));
    }
    const writeStatus = async () => {
      status.uncountedTerminatedPods = { succeeded: [...unSucc], failed: [...unFail] };
      if (unSucc.size === 0 && unFail.size === 0) status.uncountedTerminatedPods = {};
      const res = await jobs(ns).updateStatus({ ...job, status });
      job.metadata = res.metadata;
    };
    if (newSucceeded.length + newFailed.length - ignored.size > 0) await writeStatus();

    // Phase 2: drop the finalizer from recorded pods; phase 3: fold them into the counts.
    const byUid = new Map(owned.map((p) => [p.metadata.uid as string, p]));
    /** Pods counted (or ignored) by this sync or an earlier one: their finalizer is going away. */
    const handled = new Set<string>([...unSucc, ...unFail, ...ignored]);
    for (const set of [unSucc, unFail, ignored]) {
      for (const u of set) {
        const p = byUid.get(u);
        if (p && hasFinalizer(p)) await dropFinalizer(p);
      }
    }
    const completions: number | undefined = job.spec?.completions ?? undefined;
    const completed = new Set<number>(parseIndexes(status.completedIndexes ?? ''));
    for (const u of unSucc) {
      const idx = byUid.get(u) ? podIndex(byUid.get(u) as Obj) : undefined;
      if (indexed && idx !== undefined) {
        if (idx < (completions ?? 0) && !completed.has(idx)) completed.add(idx);
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

    // backoffLimitPerIndex: an index fails when a FailIndex rule matches or its counted failures reach
    // the limit; failed pods are read from the cache whether or not they still hold the finalizer.
    const failedIdx = new Set<number>(parseIndexes(status.failedIndexes ?? ''));
    const indexFailures = new Map<number, Obj[]>();
    if (perIndex) {
      const limit: number = job.spec.backoffLimitPerIndex;
      for (const p of owned) {
        const i = podIndex(p);
        if (i === undefined || i >= (completions ?? 0) || completed.has(i) || !podFailed(p, job)) continue;
        indexFailures.set(i, [...(indexFailures.get(i) ?? []), p]);
        const m = match(p);
        if (m.action === 'FailIndex' || (m.countFailed && failureCount(p) >= limit)) failedIdx.add(i);
      }
      status.failedIndexes = formatIndexes([...failedIdx]);
    }

    const active = owned.filter(activePod);
    const terminating = owned.filter((p) => p.metadata.deletionTimestamp && !terminal(p)).length;
    // What this sync leaves active (upstream adds what it created and subtracts what it deleted).
    let activeCount = active.length;
    /** The event for a Job this sync finishes: recorded once its status is written (as upstream). */
    let finished: ['Normal' | 'Warning', string, string] | undefined;
    let readyCount = active.filter(isPodReady).length;
    const removed = (r: { deleted: number; deletedReady: number }) => {
      activeCount -= r.deleted;
      readyCount -= r.deletedReady;
    };
    const succeeded = status.succeeded ?? 0;
    const failed = status.failed ?? 0;
    let requeueAfterMs: number | undefined;

    {
      const suspended = job.spec?.suspend === true;
      const parallelism: number = job.spec?.parallelism ?? 1;
      const startMs = Date.parse(status.startTime ?? '');
      const deadline = job.spec?.activeDeadlineSeconds;
      let failure: [string, string] | undefined;
      const target = condition(job, 'FailureTarget');
      const failJob = policy
        ? owned
            .filter((p) => podFailed(p, job))
            .map((p) => match(p).failJobMessage)
            .find(Boolean)
        : undefined;
      if (target?.status === 'True') failure = [target.reason, target.message];
      else if (failJob) failure = ['PodFailurePolicy', failJob];
      else if (failed > (job.spec?.backoffLimit ?? 6)) {
        failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
      } else if (!suspended && deadline != null && Number.isFinite(startMs)) {
        const left = startMs + deadline * 1000 - nowMs;
        if (left <= 0) failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
        else requeueAfterMs = left;
      }
      if (!failure && perIndex) {
        const max = job.spec.maxFailedIndexes;
        if (max != null && failedIdx.size > max) {
          failure = [
            'MaxFailedIndexesExceeded',
            'Job has exceeded the specified maximal number of failed indexes',
          ];
        } else if (failedIdx.size > 0 && failedIdx.size + completed.size >= (completions ?? 0)) {
          failure = ['FailedIndexes', 'Job has failed indexes'];
        }
      }
      const done = completions == null ? succeeded > 0 && active.length === 0 : succeeded >= completions;
      if (failure) {
        removed(await deletePods(job, key, active, false));
        // Every pod that has not succeeded counts as failed: record them with the interim FailureTarget,
        // release them, then fold them in and declare Failed (upstream's order).
        setCondition(status, 'FailureTarget', 'True', failure[0], failure[1], now);
        const rest = owned.filter(
          (p) => hasFinalizer(p) && p.status?.phase !== 'Succeeded' && !handled.has(p.metadata.uid),
        );
        for (const p of rest) unFail.add(p.metadata.uid);
        await writeStatus();
        for (const p of rest) await dropFinalizer(p);
        status.failed = (status.failed ?? 0) + unFail.size;
        unFail.clear();
        setCondition(status, 'Failed', 'True', failure[0], failure[1], now);
        finished = ['Warning', failure[0], failure[1]];
        requeueAfterMs = undefined;
      } else if (done) {
        removed(await deletePods(job, key, active)); // only left when completions are reached with extra pods
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
        finished = ['Normal', 'Completed', 'Job completed'];
      } else if (suspended) {
        removed(await deletePods(job, key, active));
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
        if (expectations.satisfied(key)) {
          const r = await scale(job, key, {
            active,
            terminating: onlyReplaceFailed(job)
              ? owned.filter((p) => p.metadata.deletionTimestamp && !terminal(p))
              : [],
            completions,
            parallelism,
            succeeded,
            completed,
            failedIdx,
            indexFailures,
            nowMs,
          });
          activeCount += r.created;
          removed(r);
          if (r.wait !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? r.wait, r.wait);
        }
      }
    }

    status.active = activeCount;
    status.ready = readyCount;
    status.terminating = terminating;
    await writeStatusIfChanged(cached, job, writeStatus);
    if (finished) recorder.event(job, ...finished);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  interface ScaleInput {
    active: Obj[];
    /** Terminating pods that still hold their place (podReplacementPolicy Failed). */
    terminating: Obj[];
    completions: number | undefined;
    parallelism: number;
    succeeded: number;
    completed: Set<number>;
    failedIdx: Set<number>;
    indexFailures: Map<number, Obj[]>;
    nowMs: number;
  }

  interface ScaleResult {
    created: number;
    deleted: number;
    deletedReady: number;
    /** How long a pod-failure backoff still holds creations back. */
    wait?: number;
  }

  /** Creates or deletes pods towards the wanted count (deletion first, never both in one sync). */
  async function scale(job: Obj, key: string, s: ScaleInput): Promise<ScaleResult> {
    const none: ScaleResult = { created: 0, deleted: 0, deletedReady: 0 };
    const { active, completions, parallelism, succeeded, completed, failedIdx, nowMs } = s;
    const perIndex = hasBackoffLimitPerIndex(job);
    if (job.spec?.completionMode === 'Indexed') {
      const n = completions ?? 0;
      const running = new Map<number, Obj[]>();
      const done = (i: number) => completed.has(i) || failedIdx.has(i);
      for (const p of active) {
        const i = podIndex(p);
        if (i === undefined || i >= n || done(i)) continue;
        running.set(i, [...(running.get(i) ?? []), p]);
      }
      // Out-of-range, already completed or failed, or duplicate indexes go.
      const extra = active.filter((p) => {
        const i = podIndex(p);
        return i === undefined || i >= n || done(i) || (running.get(i) as Obj[])[0] !== p;
      });
      if (extra.length > 0) return { ...none, ...(await deletePods(job, key, extra)) };
      const held = new Set<number>(s.terminating.map(podIndex).filter((i): i is number => i !== undefined));
      const want = Math.max(
        0,
        Math.min(parallelism, n - completed.size - failedIdx.size) - running.size - s.terminating.length,
      );
      let missing: number[] = [];
      for (let i = 0; i < n && missing.length < Math.min(want, BURST); i++) {
        if (!done(i) && !running.has(i) && !held.has(i)) missing.push(i);
      }
      if (perIndex) {
        // Each index waits out its own backoff; when none is ready, look again for the nearest one.
        const waits = missing.map((i) => {
          const failures = s.indexFailures.get(i) ?? [];
          const last = failures.length ? Math.max(...failures.map(finishedTimeMs)) : undefined;
          return remainingBackoffMs(failures.length, last, nowMs);
        });
        const ready = missing.filter((_, j) => waits[j] === 0);
        if (ready.length === 0 && missing.length > 0) return { ...none, wait: Math.min(...waits) };
        missing = ready;
      } else if (missing.length > 0) {
        const wait = globalBackoff(key, nowMs);
        if (wait > 0) return { ...none, wait };
      }
      const counts = missing.map((i) =>
        perIndex ? nextFailureCount(s.indexFailures.get(i) ?? [], job) : undefined,
      );
      return { ...none, created: await createPods(job, key, missing, counts) };
    }
    const want =
      completions == null
        ? succeeded > 0
          ? active.length
          : parallelism
        : Math.min(parallelism, Math.max(0, completions - succeeded));
    const diff = active.length + s.terminating.length - want;
    if (diff < 0) {
      const wait = globalBackoff(key, nowMs);
      if (wait > 0) return { ...none, wait };
      const n = Math.min(-diff, BURST);
      return { ...none, created: await createPods(job, key, new Array(n).fill(undefined)) };
    }
    if (active.length > want) {
      const victims = [...active].sort(lessValuableFirst).slice(0, active.length - want);
      return { ...none, ...(await deletePods(job, key, victims)) };
    }
    return none;
  }

  function globalBackoff(key: string, nowMs: number): number {
    const r = backoffs.get(key);
    return r ? remainingBackoffMs(r.failuresAfterLastSuccess, r.lastFailureMs, nowMs) : 0;
  }

  /** The failure-count annotation for an index's next pod: one more than its last counted failure. */
  function nextFailureCount(failures: Obj[], job: Obj): number {
    let n = 0;
    for (const p of failures) {
      const counted = matchPodFailurePolicy(
        job.spec?.podFailurePolicy,
        failureView(p, job),
        true,
      ).countFailed;
      n = Math.max(n, failureCount(p) + (counted ? 1 : 0));
    }
    return n;
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
