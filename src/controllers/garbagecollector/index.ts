// The garbage collector: follows metadata.ownerReferences across the workload kinds.
// - Background: an object whose every owner is gone (not found, or a different uid) is deleted.
// - Foreground: an owner being deleted with the `foregroundDeletion` finalizer gets its dependents deleted;
//   once no dependent with blockOwnerDeletion remains, the finalizer is removed and the server finishes.
// - Orphan: an owner being deleted with the `orphan` finalizer has its ownerReferences removed from every
//   dependent, then the finalizer is removed.
// The graph is the informer caches indexed by owner uid; one queue carries `plural.group|ns/name` items.
import { registry } from '../../api/registry.js';
import {
  CRDS,
  isNotFound,
  type ResourceRef,
  type SharedInformer,
  splitKey,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';
const BY_OWNER = 'ownerUid';

/** The kinds whose owner references matter, as group/version/plural. */
const WATCHED: [string, string, string][] = [
  ['', 'v1', 'pods'],
  ['', 'v1', 'configmaps'],
  ['', 'v1', 'secrets'],
  ['', 'v1', 'services'],
  ['', 'v1', 'endpoints'],
  ['', 'v1', 'persistentvolumeclaims'],
  ['apps', 'v1', 'replicasets'],
  ['apps', 'v1', 'deployments'],
  ['apps', 'v1', 'statefulsets'],
  ['apps', 'v1', 'daemonsets'],
  ['apps', 'v1', 'controllerrevisions'],
  ['batch', 'v1', 'jobs'],
  ['batch', 'v1', 'cronjobs'],
  ['discovery.k8s.io', 'v1', 'endpointslices'],
];

/** The CRDs, read through the API: their custom resources are watched like the built-in kinds. */

/** The version of an established CRD to watch its custom resources through (undefined: not served). */
function customResourceRef(crd: Obj): ResourceRef | undefined {
  const established = (crd.status?.conditions ?? []).some(
    (c: Obj) => c.type === 'Established' && c.status === 'True',
  );
  const versions: Obj[] = crd.spec?.versions ?? [];
  const version = (versions.find((v) => v.served && v.storage) ?? versions.find((v) => v.served))?.name;
  if (!established || !version) return undefined;
  return {
    group: crd.spec.group,
    version,
    plural: crd.spec.names.plural,
    namespaced: crd.spec.scope === 'Namespaced',
    kind: crd.spec.names.kind,
  };
}

interface Watched {
  def: ResourceRef;
  id: string;
  informer: SharedInformer<Obj>;
}

function ownerUids(o: Obj): string[] {
  return (o.metadata?.ownerReferences ?? []).map((r: Obj) => r.uid as string);
}

function finalizers(o: Obj): string[] {
  return o.metadata?.finalizers ?? [];
}

export function start(ctx: ControllerContext): StartedController {
  const reg = registry();
  const queue = new WorkQueue<string>({ name: 'garbagecollector', clock: ctx.clock });
  const watched = new Map<string, Watched>();
  // uid -> queue item of every cached object, to find owners by uid.
  const byUid = new Map<string, string>();

  // Custom resource kinds by `group/Kind`, for owner references to them (any version of the group).
  const customKinds = new Map<string, ResourceRef>();

  function watch(def: ResourceRef): void {
    const { group, plural } = def;
    const id = `${plural}.${group}`;
    if (watched.has(id)) return;
    const informer = ctx.informers.informerFor<Obj>(def, { indexers: { [BY_OWNER]: ownerUids } });
    const w: Watched = { def, id, informer };
    watched.set(id, w);
    const item = (o: Obj) =>
      `${id}|${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    const touched = (o: Obj, gone: boolean) => {
      const self = item(o);
      if (gone) byUid.delete(o.metadata.uid);
      else byUid.set(o.metadata.uid, self);
      const m = o.metadata;
      if (m.ownerReferences?.length || (m.deletionTimestamp && !gone)) queue.add(self);
      // Owners waiting on this dependent look again; dependents of a vanished owner look again.
      for (const uid of ownerUids(o)) {
        const owner = byUid.get(uid);
        if (owner) queue.add(owner);
      }
      if (gone || m.deletionTimestamp) for (const d of dependentsOf(m.uid)) queue.add(d.item);
    };
    informer.addEventHandler({
      onAdd: (o) => touched(o, false),
      onUpdate: (_old, o) => touched(o, false),
      onDelete: (o) => touched(o, true),
    });
  }

  for (const [group, version, plural] of WATCHED) {
    const def = reg.lookup(group, version, plural);
    if (def) watch(def);
  }
  // A new established CRD adds its kind (an informer requested after the start starts at once); a deleted
  // one takes it away (the server deleted its custom resources first).
  const crdInformer = ctx.informers.informerFor<Obj>(CRDS);
  const crdSeen = (crd: Obj) => {
    const ref = customResourceRef(crd);
    if (!ref) return;
    customKinds.set(`${ref.group}/${ref.kind}`, ref);
    watch(ref);
  };
  const crdGone = (crd: Obj) => {
    const id = `${crd.spec?.names?.plural}.${crd.spec?.group}`;
    const w = watched.get(id);
    if (!w || WATCHED.some(([g, , p]) => `${p}.${g}` === id)) return;
    watched.delete(id);
    customKinds.delete(`${crd.spec.group}/${crd.spec.names.kind}`);
    void ctx.informers.remove(w.def, { indexers: {} });
  };
  crdInformer.addEventHandler({ onAdd: crdSeen, onUpdate: (_old, crd) => crdSeen(crd), onDelete: crdGone });

  function lookupKind(apiVersion: string, kind: string): ResourceRef | undefined {
    const known = reg.lookupKind(apiVersion, kind);
    if (known) return known;
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    return customKinds.get(`${group}/${kind}`);
  }

  function dependentsOf(uid: string): { w: Watched; obj: Obj; item: string }[] {
    const out: { w: Watched; obj: Obj; item: string }[] = [];
    for (const w of watched.values()) {
      for (const obj of w.informer.store.byIndex(BY_OWNER, uid)) {
        const m = obj.metadata;
        out.push({ w, obj, item: `${w.id}|${m.namespace ? `${m.namespace}/` : ''}${m.name}` });
      }
    }
    return out;
  }

  const client = (def: ResourceRef, ns?: string) => {
    const rc = ctx.rest.resource<Obj>(def);
    return ns && def.namespaced ? rc.in(ns) : rc;
  };

  /**
   * The owner as the server has it now, or undefined if it is gone (or was replaced: other uid). A kind
   * this server does not know counts as present: never delete on a reference we cannot resolve.
   */
  async function liveOwner(ref: Obj, namespace: string | undefined): Promise<Obj | undefined> {
    const def = lookupKind(ref.apiVersion, ref.kind);
    if (!def) return { metadata: { uid: ref.uid } };
    const w = watched.get(`${def.plural}.${def.group}`);
    const ns = def.namespaced ? namespace : undefined;
    const cached = w?.informer.store.getByName(ns, ref.name);
    if (cached && cached.metadata.uid === ref.uid) return cached;
    // A miss in the cache may only be lag: ask the server before deleting anything.
    try {
      const live = await client(def, ns).get(ref.name);
      return live.metadata?.uid === ref.uid ? live : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async function removeFinalizer(w: Watched, obj: Obj, name: string): Promise<void> {
    const rest = finalizers(obj).filter((f) => f !== name);
    try {
      await client(w.def, obj.metadata.namespace).patch(obj.metadata.name, {
        metadata: { finalizers: rest.length ? rest : null, resourceVersion: obj.metadata.resourceVersion },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function orphanDependents(w: Watched, owner: Obj): Promise<void> {
    const uid = owner.metadata.uid;
    for (const d of dependentsOf(uid)) {
      const refs = (d.obj.metadata.ownerReferences ?? []).filter((r: Obj) => r.uid !== uid);
      try {
        await client(d.w.def, d.obj.metadata.namespace).patch(d.obj.metadata.name, {
          metadata: { ownerReferences: refs.length ? refs : null },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    await removeFinalizer(w, owner, ORPHAN);
  }

  async function deleteDependents(w: Watched, owner: Obj): Promise<void> {
    const uid = owner.metadata.uid;
    let blocking = 0;
    for (const d of dependentsOf(uid)) {
      const ref = (d.obj.metadata.ownerReferences ?? []).find((r: Obj) => r.uid === uid);
      const blocks = ref?.blockOwnerDeletion === true;
      if (blocks) blocking++;
      if (d.obj.metadata.deletionTimestamp) continue;
      try {
        await client(d.w.def, d.obj.metadata.namespace).delete(d.obj.metadata.name, {
          propagationPolicy: blocks ? 'Foreground' : 'Background',
          preconditions: { uid: d.obj.metadata.uid },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // Dependents that block the owner's deletion must be gone before the finalizer goes.
    if (blocking === 0) await removeFinalizer(w, owner, FOREGROUND);
  }

  /** Deletes an object whose owners are all gone; drops references to owners that are gone otherwise. */
  async function checkOwners(w: Watched, obj: Obj): Promise<void> {
    const m = obj.metadata;
    const refs: Obj[] = m.ownerReferences ?? [];
    if (refs.length === 0) return;
    let solid = 0;
    const dangling: string[] = [];
    const waiting: string[] = [];
    for (const ref of refs) {
      const owner = await liveOwner(ref, m.namespace);
      if (!owner) dangling.push(ref.uid);
      else if (owner.metadata.deletionTimestamp && finalizers(owner).includes(FOREGROUND))
        waiting.push(ref.uid);
      else solid++;
    }
    const rc = client(w.def, m.namespace);
    try {
      if (solid > 0) {
        if (dangling.length + waiting.length === 0) return;
        const gone = new Set([...dangling, ...waiting]);
        await rc.patch(m.name, {
          metadata: {
            ownerReferences: refs.filter((r) => !gone.has(r.uid)),
            resourceVersion: m.resourceVersion,
          },
        });
        return;
      }
      if (m.deletionTimestamp) return;
      await rc.delete(m.name, {
        propagationPolicy: waiting.length > 0 ? 'Foreground' : 'Background',
        preconditions: { uid: m.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  return runWhenSynced(ctx, {
    name: 'garbagecollector',
    queue,
    workers: 4,
    reconcile: async (item) => {
      const bar = item.indexOf('|');
      const w = watched.get(item.slice(0, bar));
      if (!w) return;
      const { namespace, name } = splitKey(item.slice(bar + 1));
      const obj = w.informer.store.getByName(namespace, name);
      if (!obj) return;
      const m = obj.metadata;
      if (m.deletionTimestamp) {
        const f = finalizers(obj);
        if (f.includes(ORPHAN)) return orphanDependents(w, obj);
        if (f.includes(FOREGROUND)) return deleteDependents(w, obj);
      }
      await checkOwners(w, obj);
    },
  });
}
