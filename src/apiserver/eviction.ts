// pods/NAME/eviction: delete a pod unless that would break a PodDisruptionBudget, as upstream's
// eviction REST does (429 with the budget's numbers when no disruption is allowed).

import { matchesLabelSelector } from '../api/labels.js';
import type { Obj } from '../api/types.js';
import { isK8tsError, K8tsError } from '../errors.js';
import { type ApiContext, deleteObject, parseDeleteOptions, type Target } from './handlers.js';
import { timestamp } from './metadata.js';

export async function evictPod(
  ctx: ApiContext,
  t: Target,
  body: unknown,
  query: URLSearchParams,
): Promise<void> {
  const b = (body ?? {}) as Obj;
  if (b.metadata?.name && b.metadata.name !== t.name) {
    throw new K8tsError('BadRequest', `name in URL does not match name in Eviction object`);
  }
  const pod = await ctx.store.get(t.def, t.namespace, t.name!);
  const opts = parseDeleteOptions(b.deleteOptions, query);
  const phase = pod.status?.phase;
  // Terminal or already-terminating pods can always go.
  if (phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp) {
    await takeDisruption(ctx, pod, opts.dryRun);
  }
  await deleteObject(ctx, t, opts);
}

async function takeDisruption(ctx: ApiContext, pod: Obj, dryRun: boolean): Promise<void> {
  const pdbs = ctx.pdbs;
  if (!pdbs) return;
  const { items } = await ctx.store.list(pdbs, pod.metadata.namespace, undefined);
  const matching = items.filter((p) => matchesLabelSelector(p.spec?.selector, pod.metadata.labels));
  if (matching.length === 0) return;
  if (matching.length > 1) {
    throw new K8tsError(
      'Internal',
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  }
  const pdb = structuredClone(matching[0]);
  const allowed = pdb.status?.disruptionsAllowed ?? 0;
  const observed = pdb.status?.observedGeneration ?? 0;
  if (observed < (pdb.metadata.generation ?? 1) || allowed <= 0) {
    const cause =
      observed < (pdb.metadata.generation ?? 1)
        ? `The disruption budget ${pdb.metadata.name} is still being processed by the server.`
        : `The disruption budget ${pdb.metadata.name} needs ${pdb.status?.desiredHealthy ?? 0} healthy pods and has ${pdb.status?.currentHealthy ?? 0} currently`;
    throw new K8tsError(
      'TooManyRequests',
      "Cannot evict pod as it would violate the pod's disruption budget.",
      {
        causes: [{ reason: 'DisruptionBudget', message: cause }],
        retryAfterSeconds: 10,
      },
    );
  }
  if (dryRun) return;
  pdb.status.disruptionsAllowed = allowed - 1;
  pdb.status.disruptedPods = { ...pdb.status.disruptedPods, [pod.metadata.name]: timestamp(ctx.now()) };
  try {
    await ctx.store.update(pdbs, pdb, pdb.metadata.resourceVersion);
  } catch (err) {
    if (isK8tsError(err, 'Conflict')) {
      throw new K8tsError('TooManyRequests', 'the disruption budget changed while evicting; please retry', {
        retryAfterSeconds: 1,
      });
    }
    throw err;
  }
}
