// The namespace controller: a namespace being deleted has every namespaced object in it deleted; once
// nothing remains, the `kubernetes` finalizer leaves spec.finalizers (PUT .../finalize) and the server
// removes the namespace.
import { registry } from '../../api/registry.js';
import type { ResourceDef } from '../../api/types.js';
import { CRDS, enqueueObject, isNotFound, NAMESPACES, WorkQueue } from '../../client/index.js';
import type { ResourceRef } from '../../client/resource.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

const DEFAULT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** How soon to look again while objects are still going away (pods with grace periods, finalizers). */
const RECHECK_MS = 2_000;

/** Namespaced kinds that can be listed and deleted; kinds sharing another's storage are covered by it. */
export function deletableKinds(): ResourceDef[] {
  return registry().resources.filter((d) => {
    if (!d.namespaced || d.sharedStorage) return false;
    const verbs = d.verbs ?? DEFAULT_VERBS;
    return verbs.includes('list') && verbs.includes('delete');
  });
}

/** Namespaced custom resources, one entry per established CRD (read through the API, as upstream's discovery does). */
async function customKinds(ctx: ControllerContext): Promise<ResourceRef[]> {
  let crds: Obj[];
  try {
    crds = (await ctx.rest.resource<Obj>(CRDS).listAll()).items;
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const out: ResourceRef[] = [];
  for (const crd of crds) {
    if (crd.spec?.scope !== 'Namespaced') continue;
    const established = (crd.status?.conditions ?? []).some(
      (c: Obj) => c.type === 'Established' && c.status === 'True',
    );
    const version = (crd.spec.versions ?? []).find((v: Obj) => v.served)?.name;
    if (!established || !version) continue;
    out.push({ group: crd.spec.group, version, plural: crd.spec.names.plural, namespaced: true });
  }
  return out;
}

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'namespace', clock: ctx.clock });
  const informer = ctx.informers.informerFor<Obj>(NAMESPACES);
  informer.addEventHandler(enqueueObject(queue));
  const kinds = deletableKinds();

  /** Deletes what is left in the namespace (when `remove`); answers how many objects were there. */
  async function sweep(ns: string, remove: boolean): Promise<number> {
    let remaining = 0;
    const all: (ResourceRef & { verbs?: string[] })[] = [...kinds, ...(await customKinds(ctx))];
    for (const def of all) {
      const rc = ctx.rest.resource<Obj>(def).in(ns);
      const verbs = def.verbs ?? DEFAULT_VERBS;
      let items: Obj[];
      try {
        items = (await rc.listAll()).items;
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      if (items.length === 0) continue;
      remaining += items.length;
      if (!remove) continue;
      const live = items.filter((o) => !o.metadata.deletionTimestamp);
      if (live.length === 0) continue;
      if (verbs.includes('deletecollection')) {
        await rc.deleteCollection({ propagationPolicy: 'Background' });
        continue;
      }
      for (const o of live) {
        try {
          await rc.delete(o.metadata.name, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    return remaining;
  }

  return runWhenSynced(ctx, {
    name: 'namespace',
    queue,
    workers: 2,
    reconcile: async (key) => {
      const ns = informer.store.get(key);
      if (!ns?.metadata.deletionTimestamp) return;
      const name = ns.metadata.name as string;
      // Most objects go at once; a second look finds what waits on grace periods or finalizers.
      if ((await sweep(name, true)) > 0 && (await sweep(name, false)) > 0) {
        return { requeueAfterMs: RECHECK_MS };
      }
      const specFinalizers: string[] = ns.spec?.finalizers ?? [];
      if (!specFinalizers.includes('kubernetes')) return;
      const body = structuredClone(ns);
      body.spec = { ...body.spec, finalizers: specFinalizers.filter((f) => f !== 'kubernetes') };
      try {
        await ctx.rest.resource<Obj>(NAMESPACES).updateSubresource(name, 'finalize', body);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    },
  });
}
