// The TTL-after-finished controller: deletes a finished Job (Complete or Failed condition) once
// spec.ttlSecondsAfterFinished have passed since that condition's lastTransitionTime, with Background
// propagation so the garbage collector removes its pods. Wakes itself when the TTL runs out.
import { enqueueObject, isNotFound, JOBS, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { condition } from '../job/index.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

/** When the Job finished (ms), or undefined while it runs. */
export function finishedAt(job: Obj): number | undefined {
  for (const t of ['Complete', 'Failed']) {
    const c = condition(job, t);
    if (c?.status === 'True') {
      const ms = Date.parse(c.lastTransitionTime ?? job.status?.completionTime ?? '');
      if (Number.isFinite(ms)) return ms;
    }
  }
  return undefined;
}

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'ttlafterfinished', clock: ctx.clock });
  const jobInf = ctx.informers.informerFor<Obj>(JOBS);
  jobInf.addEventHandler(enqueueObject(queue));

  return runWhenSynced(ctx, {
    name: 'ttlafterfinished',
    queue,
    workers: 2,
    reconcile: async (key) => {
      const job = jobInf.store.get(key);
      const ttl = job?.spec?.ttlSecondsAfterFinished;
      if (!job || ttl == null || job.metadata.deletionTimestamp) return;
      const done = finishedAt(job);
      if (done === undefined) return;
      const left = done + ttl * 1000 - ctx.clock.now();
      if (left > 0) return { requeueAfterMs: left };
      try {
        await ctx.rest
          .resource<Obj>(JOBS)
          .in(job.metadata.namespace)
          .delete(job.metadata.name, {
            propagationPolicy: 'Background',
            preconditions: { uid: job.metadata.uid },
          });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  });
}
