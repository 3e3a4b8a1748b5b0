// The CronJob controller: creates a Job `<cronjob>-<scheduled minutes since epoch>` for the most recent
// schedule time it has not run yet (one catch-up run at most, none past startingDeadlineSeconds), honours
// suspend and concurrencyPolicy (Allow, Forbid, Replace), keeps status.active/lastScheduleTime/
// lastSuccessfulTime and deletes finished Jobs beyond the history limits. Wakes itself for the next time.
import {
  CRONJOBS,
  enqueueObject,
  enqueueOwner,
  isAlreadyExists,
  isNotFound,
  JOBS,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { condition, jobFinished } from '../job/index.js';
import { runWhenSynced } from '../run.js';
import { mostRecentSchedule, parseSchedule } from './schedule.js';

type Obj = Record<string, any>;

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** RFC 3339 with whole seconds, as metav1.Time marshals. */
const rfc3339 = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

export function jobName(cj: Obj, scheduledMs: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;
}

export function jobFromCronJob(cj: Obj, scheduledMs: number): Obj {
  const t = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduledMs),
      namespace: cj.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}) },
      annotations: {
        ...(t.metadata?.annotations ?? {}),
        [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduledMs),
      },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cj.metadata.name,
          uid: cj.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: structuredClone(t.spec ?? {}),
  };
}

const jobRef = (j: Obj) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  name: j.metadata.name,
  namespace: j.metadata.namespace,
  uid: j.metadata.uid,
  resourceVersion: j.metadata.resourceVersion,
});

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'cronjob', clock: ctx.clock });
  const cjInf = ctx.informers.informerFor<Obj>(CRONJOBS);
  const jobInf = ctx.informers.informerFor<Obj>(JOBS);
  const recorder = ctx.recorderFor('cronjob-controller');
  cjInf.addEventHandler(enqueueObject(queue));
  jobInf.addEventHandler(enqueueOwner(queue, 'CronJob'));
  const jobs = (ns: string) => ctx.rest.resource<Obj>(JOBS).in(ns);
  /** Jobs already reported as UnexpectedJob. */
  const unexpected = new Set<string>();

  async function deleteJob(cj: Obj, j: Obj, reason: string): Promise<void> {
    try {
      await jobs(j.metadata.namespace).delete(j.metadata.name, { propagationPolicy: 'Background' });
      recorder.event(cj, 'Normal', reason, `Deleted job ${j.metadata.name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function cleanupHistory(cj: Obj, finished: Obj[]): Promise<void> {
    const started = (j: Obj) => Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp) || 0;
    for (const [failed, limit] of [
      [false, cj.spec?.successfulJobsHistoryLimit],
      [true, cj.spec?.failedJobsHistoryLimit],
    ] as const) {
      if (limit == null) continue;
      const list = finished
        .filter((j) => (condition(j, 'Failed')?.status === 'True') === failed)
        .sort((a, b) => started(a) - started(b));
      for (const j of list.slice(0, Math.max(0, list.length - limit)))
        await deleteJob(cj, j, 'SuccessfulDelete');
    }
  }

  async function reconcile(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const cached = cjInf.store.get(key);
    if (!cached) return;
    const cj = structuredClone(cached);
    const ns = cj.metadata.namespace as string;
    const nowMs = ctx.clock.now();
    const owned = jobInf.store
      .byNamespace(ns)
      .filter((j) =>
        (j.metadata.ownerReferences ?? []).some((r: Obj) => r.controller && r.uid === cj.metadata.uid),
      );
    const status: Obj = { ...(cj.status ?? {}) };

    // The active list as upstream keeps it: Jobs this controller created, dropped once they finish
    // (SawCompletedJob) or disappear (MissingJob). An unfinished Job it did not create (e.g. `kubectl
    // create job --from=cronjob/NAME`) is reported as UnexpectedJob and not tracked.
    const activeRefs: Obj[] = [...(cj.status?.active ?? [])];
    const isActive = (u: string) => activeRefs.some((r) => r.uid === u);
    const dropActive = (u: string) => {
      const i = activeRefs.findIndex((r) => r.uid === u);
      if (i >= 0) activeRefs.splice(i, 1);
    };
    for (const j of owned) {
      const finished = jobFinished(j);
      if (!finished && !isActive(j.metadata.uid)) {
        if (!j.metadata.deletionTimestamp && !unexpected.has(j.metadata.uid)) {
          // The cache may not show this controller's own status write yet: ask the API server.
          const fresh = await ctx.rest.resource<Obj>(CRONJOBS).in(ns).get(cj.metadata.name);
          if ((fresh.status?.active ?? []).some((r: Obj) => r.uid === j.metadata.uid)) {
            return { requeueAfterMs: 100 };
          }
          unexpected.add(j.metadata.uid); // once per Job, not on every sync
          recorder.event(
            cj,
            'Warning',
            'UnexpectedJob',
            `Saw a job that the controller did not create or forgot: ${j.metadata.name}`,
          );
        }
        continue;
      }
      if (finished && isActive(j.metadata.uid)) {
        const type = condition(j, 'Failed')?.status === 'True' ? 'Failed' : 'Complete';
        dropActive(j.metadata.uid);
        recorder.event(
          cj,
          'Normal',
          'SawCompletedJob',
          `Saw completed job: ${j.metadata.name}, status: ${type}`,
        );
      }
      if (condition(j, 'Complete')?.status !== 'True') continue;
      const done = Date.parse(j.status?.completionTime ?? '');
      const last = Date.parse(status.lastSuccessfulTime ?? '');
      if (Number.isFinite(done) && !(last >= done)) status.lastSuccessfulTime = j.status.completionTime;
    }
    const ownedUids = new Set(owned.map((j) => j.metadata.uid as string));
    for (const ref of [...activeRefs]) {
      if (ownedUids.has(ref.uid)) continue;
      // Not in the cache: ask the API server before declaring it gone (the watch may be behind).
      try {
        await jobs(ref.namespace ?? ns).get(ref.name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        dropActive(ref.uid);
      }
    }
    status.active = activeRefs;
    const active = activeRefs;

    let requeueAfterMs: number | undefined;
    if (!cj.metadata.deletionTimestamp && cj.spec?.suspend !== true) {
      let sched: ReturnType<typeof parseSchedule> | undefined;
      try {
        sched = parseSchedule(cj.spec?.schedule ?? '', cj.spec?.timeZone ?? undefined);
      } catch (err) {
        recorder.event(
          cj,
          'Warning',
          'UnparseableSchedule',
          `unparseable schedule: ${(err as Error).message}`,
        );
      }
      if (sched) {
        const deadline = cj.spec?.startingDeadlineSeconds;
        let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp);
        if (deadline != null) earliest = Math.max(earliest, nowMs - deadline * 1000);
        const { time, missed } = mostRecentSchedule(sched, earliest, nowMs);
        if (missed > 100)
          recorder.event(
            cj,
            'Warning',
            'TooManyMissedTimes',
            'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
          );
        const name = time !== undefined ? `${cj.metadata.name}-${Math.floor(time / 60_000)}` : undefined;
        // Already run: in the active list by name, or the last schedule time (upstream's two checks).
        const already =
          name !== undefined &&
          (active.some((r) => r.name === name) ||
            (time !== undefined && status.lastScheduleTime === rfc3339(time)));
        if (time !== undefined && !already) {
          const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
          if (policy === 'Forbid' && active.length > 0) {
            recorder.event(
              cj,
              'Normal',
              'JobAlreadyActive',
              'Not starting job because prior execution is running and concurrency policy is Forbid',
            );
          } else {
            if (policy === 'Replace') {
              for (const r of active)
                await deleteJob(
                  cj,
                  { metadata: { name: r.name, namespace: r.namespace ?? ns } },
                  'SuccessfulDelete',
                );
              status.active = [];
            }
            try {
              const created = await jobs(ns).create(jobFromCronJob(cj, time));
              recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
              status.active.push(jobRef(created));
            } catch (err) {
              if (!isAlreadyExists(err)) {
                recorder.event(
                  cj,
                  'Warning',
                  'FailedCreate',
                  `Error creating job: ${(err as Error).message}`,
                );
                throw err;
              }
              // Created earlier but the status write was lost: track it if it is ours.
              const existing = await jobs(ns).get(name as string);
              const ours = (existing.metadata.ownerReferences ?? []).some(
                (r: Obj) => r.controller && r.uid === cj.metadata.uid,
              );
              if (!ours) return undefined;
              if (!status.active.some((r: Obj) => r.uid === existing.metadata.uid))
                status.active.push(jobRef(existing));
            }
            status.lastScheduleTime = rfc3339(time);
          }
        }
        const next = sched.next(nowMs);
        if (next !== undefined) requeueAfterMs = Math.max(next - nowMs, 0) + 100;
      }
    }
    if (status.active.length === 0) delete status.active;
    await cleanupHistory(
      cj,
      owned.filter((j) => jobFinished(j) && !j.metadata.deletionTimestamp),
    );
    if (JSON.stringify(status) !== JSON.stringify({ ...(cj.status ?? {}) })) {
      try {
        await ctx.rest
          .resource<Obj>(CRONJOBS)
          .in(ns)
          .updateStatus({ ...cj, status });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  return runWhenSynced(ctx, { name: 'cronjob', queue, workers: 5, reconcile });
}
