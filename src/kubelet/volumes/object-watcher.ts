// ConfigMaps and Secrets the node's pods use, kept current by a watch each (upstream's "Watch" change
// detection strategy, the kubelet default: pkg/kubelet/util/manager/watch_based_manager.go). Each object a
// pod references (volumes, projected sources, env, envFrom) gets an informer on its namespace with
// `metadata.name=<name>`, shared by every pod that references it (a reference count) and stopped when the
// last of them goes. Reads come from that cache, so the API server is not polled; a change is reported at
// once so the volumes holding the object are rewritten within moments. An immutable object's watch stops
// once it is cached. An object not registered (or whose cache has not filled in time) is read with one GET.
import type { Clock, Logger, ResourceRef, RestClient } from '../../client/index.js';
import { isNotFound, restListerWatcher, SharedInformer } from '../../client/index.js';
import { CONFIGMAPS, type Obj, SECRETS } from '../refs.js';

export type ObjectKind = 'configmap' | 'secret';

/** `kind/namespace/name` */
export type ObjectKey = string;

const RESOURCES: Record<ObjectKind, ResourceRef> = { configmap: CONFIGMAPS, secret: SECRETS };

/** How long a read waits for a new watch to list its object before asking the API server directly. */
export const CACHE_SYNC_WAIT_MS = 5_000;

export function objectKey(kind: ObjectKind, namespace: string, name: string): ObjectKey {
  return `${kind}/${namespace}/${name}`;
}

/** Every ConfigMap and Secret a pod names (upstream's VisitPodConfigmapNames / VisitPodSecretNames). */
export function podObjectRefs(pod: Obj): Set<ObjectKey> {
  const ns: string = pod.metadata?.namespace ?? '';
  const out = new Set<ObjectKey>();
  const add = (kind: ObjectKind, name: unknown) => {
    if (typeof name === 'string' && name) out.add(objectKey(kind, ns, name));
  };
  const spec = pod.spec ?? {};
  for (const v of (spec.volumes ?? []) as Obj[]) {
    add('configmap', v?.configMap?.name);
    add('secret', v?.secret?.secretName);
    for (const s of (v?.projected?.sources ?? []) as Obj[]) {
      add('configmap', s?.configMap?.name);
      add('secret', s?.secret?.name);
    }
  }
  const containers = [
    ...((spec.initContainers ?? []) as Obj[]),
    ...((spec.containers ?? []) as Obj[]),
    ...((spec.ephemeralContainers ?? []) as Obj[]),
  ];
  for (const c of containers) {
    for (const e of (c?.envFrom ?? []) as Obj[]) {
      add('configmap', e?.configMapRef?.name);
      add('secret', e?.secretRef?.name);
    }
    for (const e of (c?.env ?? []) as Obj[]) {
      add('configmap', e?.valueFrom?.configMapKeyRef?.name);
      add('secret', e?.valueFrom?.secretKeyRef?.name);
    }
  }
  for (const s of (spec.imagePullSecrets ?? []) as Obj[]) add('secret', s?.name);
  return out;
}

/** Makes the single-object informer of one reference (tests can count or replace them). */
export type InformerMaker = (ref: ResourceRef, namespace: string, name: string) => SharedInformer<Obj>;

export interface ObjectWatcherOptions {
  rest: RestClient;
  clock: Clock;
  log: Logger;
  /** An object some pods use changed (added, updated or deleted): uids are the pods that use it. */
  onChange?(key: ObjectKey, uids: string[]): void;
  makeInformer?: InformerMaker;
  syncWaitMs?: number;
}

interface Entry {
  informer: SharedInformer<Obj>;
  pods: Set<string>;
  /** The object is immutable: cached, no longer watched. */
  frozen?: boolean;
}

export class ObjectWatcher {
  private readonly entries = new Map<ObjectKey, Entry>();
  private readonly podKeys = new Map<string, Set<ObjectKey>>();
  private stopped = false;
  /** Reads answered by a GET (nothing registered, or the watch had not listed yet). */
  gets = 0;

  constructor(private readonly o: ObjectWatcherOptions) {}

  private makeInformer(kind: ObjectKind, namespace: string, name: string): SharedInformer<Obj> {
    const ref = RESOURCES[kind];
    if (this.o.makeInformer) return this.o.makeInformer(ref, namespace, name);
    const rc = this.o.rest.resource<Obj>(ref).in(namespace);
    return new SharedInformer<Obj>(restListerWatcher(rc, { fieldSelector: `metadata.name=${name}` }), {
      name: `${ref.plural} ns=${namespace} name=${name}`,
      clock: this.o.clock,
      log: this.o.log,
    });
  }

  /** Records what the pod references now: new references start watches, dropped ones release theirs. */
  registerPod(pod: Obj): void {
    const uid: string | undefined = pod.metadata?.uid;
    if (!uid || this.stopped) return;
    const next = podObjectRefs(pod);
    const prev = this.podKeys.get(uid) ?? new Set<ObjectKey>();
    for (const key of prev) if (!next.has(key)) this.release(key, uid);
    for (const key of next) {
      if (prev.has(key)) continue;
      let entry = this.entries.get(key);
      if (!entry) {
        const [kind, namespace, name] = key.split('/') as [ObjectKind, string, string];
        const informer = this.makeInformer(kind, namespace, name);
        const fresh: Entry = { informer, pods: new Set() };
        entry = fresh;
        const changed = () => this.changed(key);
        // An immutable object never changes again: its watch stops, its cache stays (as upstream).
        const freeze = (o: Obj) => {
          if (o?.immutable !== true || fresh.frozen) return;
          fresh.frozen = true;
          // After the informer finished delivering this list (it marks itself synced first).
          queueMicrotask(() => void informer.stop());
        };
        informer.addEventHandler({
          onAdd: (o, initial) => {
            freeze(o);
            if (!initial) changed();
          },
          onUpdate: (_old, o) => {
            freeze(o);
            changed();
          },
          onDelete: changed,
        });
        this.entries.set(key, entry);
        informer.start();
      }
      entry.pods.add(uid);
    }
    if (next.size > 0) this.podKeys.set(uid, next);
    else this.podKeys.delete(uid);
  }

  /** The pod is gone: its references are released (a watch nobody needs is stopped). */
  unregisterPod(uid: string): void {
    for (const key of this.podKeys.get(uid) ?? []) this.release(key, uid);
    this.podKeys.delete(uid);
  }

  private release(key: ObjectKey, uid: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.pods.delete(uid);
    if (entry.pods.size > 0) return;
    this.entries.delete(key);
    void entry.informer.stop();
  }

  private changed(key: ObjectKey): void {
    const entry = this.entries.get(key);
    if (entry && entry.pods.size > 0) this.o.onChange?.(key, [...entry.pods]);
  }

  /** Objects being watched now (one watch each). */
  watched(): ObjectKey[] {
    return [...this.entries].filter(([, e]) => !e.frozen).map(([k]) => k);
  }

  /** Immutable objects kept from their last watch. */
  frozen(): ObjectKey[] {
    return [...this.entries].filter(([, e]) => e.frozen).map(([k]) => k);
  }

  /** The object, or undefined when it does not exist. */
  async get(kind: ObjectKind, namespace: string, name: string): Promise<Obj | undefined> {
    const entry = this.entries.get(objectKey(kind, namespace, name));
    if (entry && (entry.frozen || (await this.synced(entry.informer))))
      return entry.informer.store.getByName(namespace, name);
    this.gets++;
    try {
      return await this.o.rest.resource<Obj>(RESOURCES[kind]).in(namespace).get(name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async synced(informer: SharedInformer<Obj>): Promise<boolean> {
    if (informer.hasSynced()) return true;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const timeout = new Promise<boolean>((r) => {
      timer = this.o.clock.setTimeout(() => r(false), this.o.syncWaitMs ?? CACHE_SYNC_WAIT_MS);
    });
    try {
      return await Promise.race([informer.waitForSync(), timeout]);
    } finally {
      this.o.clock.clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.entries.values()];
    this.entries.clear();
    this.podKeys.clear();
    await Promise.all(all.map((e) => e.informer.stop()));
  }
}
