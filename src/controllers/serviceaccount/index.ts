// The service account controller: every namespace that is not being deleted has a `default`
// ServiceAccount, recreated when someone deletes it. Reconciles per namespace (key = namespace name).
import { isAlreadyExists, isNotFound, NAMESPACES, SERVICE_ACCOUNTS, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

export const DEFAULT_SERVICE_ACCOUNT = 'default';

function terminating(ns: Obj): boolean {
  return Boolean(ns.metadata.deletionTimestamp) || ns.status?.phase === 'Terminating';
}

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'serviceaccount', clock: ctx.clock });
  const namespaces = ctx.informers.informerFor<Obj>(NAMESPACES);
  const accounts = ctx.informers.informerFor<Obj>(SERVICE_ACCOUNTS);
  const byName = (o: Obj) => queue.add(o.metadata.name);
  namespaces.addEventHandler({ onAdd: byName, onUpdate: (_old, cur) => byName(cur) });
  // Only the loss of a `default` account matters; its namespace is the key to look at again.
  accounts.addEventHandler({
    onDelete: (sa) => {
      if (sa.metadata?.name === DEFAULT_SERVICE_ACCOUNT && sa.metadata.namespace) {
        queue.add(sa.metadata.namespace);
      }
    },
  });

  return runWhenSynced(ctx, {
    name: 'serviceaccount',
    queue,
    workers: 2,
    reconcile: async (name) => {
      const ns = namespaces.store.get(name);
      if (!ns || terminating(ns)) return;
      if (accounts.store.get(`${name}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
      const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT } };
      try {
        await ctx.rest.resource<Obj>(SERVICE_ACCOUNTS).in(name).create(sa);
      } catch (err) {
        // Already there (the cache is behind) or the namespace is gone: nothing to do. A namespace that
        // began terminating answers 403; the retry finds it terminating in the cache and stops.
        if (isAlreadyExists(err) || isNotFound(err)) return;
        throw err;
      }
    },
  });
}
