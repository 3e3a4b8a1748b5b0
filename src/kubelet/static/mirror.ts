// Mirror pods (upstream's mirror_client.go and the static pod part of SyncPod / HandlePodCleanups): each
// static pod is shown in the API server as a copy with the `kubernetes.io/config.mirror: <hash>` annotation,
// owned by its Node. A mirror pod that is being deleted (kubectl delete) or carries another hash is deleted
// at once (grace 0, uid precondition) and made again; a mirror pod whose static pod is gone is deleted.
// The static pod's status is written to its mirror pod. The API server may be away: a failure is logged and
// tried again by the next sync, the static pod runs regardless.
import {
  isAlreadyExists,
  isNotFound,
  type Logger,
  type RestClient,
  type SharedInformer,
} from '../../client/index.js';
import { NODES, type Obj, PODS } from '../refs.js';
import { CONFIG_MIRROR_ANNOTATION, isMirrorPod, podFullName, staticPodHash } from './manifest.js';

/** The mirror pod to create for a static pod. */
export function mirrorPodFor(pod: Obj, node: { name: string; uid: string }): Obj {
  const meta = pod.metadata;
  const annotations = { ...(meta.annotations ?? {}), [CONFIG_MIRROR_ANNOTATION]: staticPodHash(pod) };
  const out: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      annotations,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true }],
    },
    spec: structuredClone(pod.spec),
  };
  if (meta.labels) out.metadata.labels = { ...meta.labels };
  return out;
}

/** Whether mirror is the live mirror of the static pod with this hash. */
export function mirrors(mirror: Obj | undefined, hash: string): boolean {
  return (
    !!mirror &&
    !mirror.metadata?.deletionTimestamp &&
    mirror.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] === hash
  );
}

export interface MirrorPodsOptions {
  rest: RestClient;
  nodeName: string;
  log: Logger;
  /** The pods of this node as the informer last saw them. */
  lookup(namespace: string, name: string): Obj | undefined;
}

export class MirrorPods {
  /** Mirror pods this kubelet created that the informer may not have delivered yet, by full name. */
  private readonly created = new Map<string, Obj>();
  creates = 0;
  deletes = 0;

  constructor(private readonly o: MirrorPodsOptions) {}

  /** Forgets created mirror pods once the informer reports them deleted. */
  watch(informer: SharedInformer<Obj>): void {
    informer.addEventHandler({
      onAdd: () => {},
      onUpdate: () => {},
      onDelete: (p) => {
        if (!isMirrorPod(p)) return;
        const mine = this.created.get(podFullName(p));
        if (mine && mine.metadata.uid === p.metadata?.uid) this.created.delete(podFullName(p));
      },
    });
  }

  /** The live mirror pod of a static pod, if there is one (status is written to it). */
  current(pod: Obj): Obj | undefined {
    const hash = staticPodHash(pod);
    const seen = this.o.lookup(pod.metadata.namespace, pod.metadata.name);
    if (mirrors(seen, hash)) return seen;
    // One we just made that the informer has not delivered yet (what it shows is older).
    const mine = this.created.get(podFullName(pod));
    if (mirrors(mine, hash) && seen?.metadata?.uid !== mine!.metadata.uid) return mine;
    return undefined;
  }

  /** Makes sure the static pod has its mirror pod: replaces an outdated or deleted one, creates a missing one. */
  async ensure(pod: Obj): Promise<void> {
    if (this.current(pod)) return;
    const seen = this.o.lookup(pod.metadata.namespace, pod.metadata.name);
    if (seen && !isMirrorPod(seen)) {
      this.o.log.warn('a pod with the static pod name exists and is not its mirror', {
        pod: podFullName(pod),
      });
      return;
    }
    if (seen) await this.remove(seen);
    const node = await this.node();
    if (!node) return; // the Node is gone or being deleted: no mirror pod, as upstream
    await this.create(pod, node);
  }

  private async create(pod: Obj, node: { name: string; uid: string }): Promise<void> {
    const client = this.o.rest.resource<Obj>(PODS).in(pod.metadata.namespace);
    try {
      const made = await client.create(mirrorPodFor(pod, node));
      this.creates++;
      this.created.set(podFullName(pod), made);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Someone (an earlier sync whose answer we lost) made it: fine when it mirrors this pod.
      const there = await client.get(pod.metadata.name);
      if (mirrors(there, staticPodHash(pod))) this.created.set(podFullName(pod), there);
      else if (isMirrorPod(there)) await this.remove(there);
      else
        this.o.log.warn('a pod with the static pod name exists and is not its mirror', {
          pod: podFullName(pod),
        });
    }
  }

  /** Deletes a mirror pod now (grace 0), only the one with this uid. */
  async remove(mirror: Obj): Promise<void> {
    try {
      await this.o.rest
        .resource<Obj>(PODS)
        .in(mirror.metadata.namespace)
        .delete(mirror.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid: mirror.metadata.uid } });
      this.deletes++;
    } catch (err) {
      if (!isNotFound(err) && !/Precondition failed/.test((err as Error).message)) throw err;
    }
    const mine = this.created.get(podFullName(mirror));
    if (mine && mine.metadata.uid === mirror.metadata.uid) this.created.delete(podFullName(mirror));
  }

  /** The static pod is gone: its mirror pod goes too (only the mirror of that very pod, by hash). */
  async removeFor(pod: Obj): Promise<void> {
    const hash = staticPodHash(pod);
    for (const m of [
      this.o.lookup(pod.metadata.namespace, pod.metadata.name),
      this.created.get(podFullName(pod)),
    ])
      if (m && m.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] === hash) await this.remove(m);
  }

  private async node(): Promise<{ name: string; uid: string } | undefined> {
    try {
      const node = await this.o.rest.resource<Obj>(NODES).get(this.o.nodeName);
      if (node.metadata?.deletionTimestamp) return undefined;
      return { name: this.o.nodeName, uid: node.metadata.uid };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
