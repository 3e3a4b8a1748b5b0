// One worker per pod, serialized (upstream's pod workers): every change to a pod, from the API server or
// from the runtime, queues the pod's uid; a work queue never hands one uid to two workers at once, and a
// change arriving during a sync runs the pod once more afterwards. Syncs are level-based: they read the
// latest pod object and the runtime, never the event that woke them.

import type { Clock } from '../client/index.js';
import {
  type Logger,
  type RunningController,
  runController,
  type SharedInformer,
  WorkQueue,
} from '../client/index.js';
import type { PodSyncer } from './pod-sync.js';
import type { Obj } from './refs.js';
import { isMirrorPod, isStaticPod, podFullName } from './static/manifest.js';

/** How soon a static pod is looked at again while its predecessor of the same name is still stopping. */
export const STATIC_SUCCESSOR_WAIT_MS = 500;

export class PodWorkers {
  readonly queue: WorkQueue<string>;
  /** The latest object per uid; removed when the API server deletes the pod. */
  private readonly pods = new Map<string, Obj>();
  /** The last object of pods the API server no longer has, until their runtime state is cleaned up. */
  private readonly gone = new Map<string, Obj>();
  /** Static pods (from manifest files) by full name: their mirror pods wake them. */
  private readonly staticByName = new Map<string, string>();
  private running: RunningController | undefined;
  /** A mirror pod no static pod of this node claims (set once the static pods are known). */
  onOrphanMirror: ((mirror: Obj) => void) | undefined;
  syncs = 0;

  constructor(
    private readonly syncer: PodSyncer,
    clock: Clock,
    private readonly log: Logger,
    private readonly workers = 64,
  ) {
    this.queue = new WorkQueue<string>({ name: 'kubelet-pods', clock });
  }

  /** Feeds the worker map from the node's pod informer. */
  watch(informer: SharedInformer<Obj>): void {
    informer.addEventHandler({
      onAdd: (p) => (isMirrorPod(p) ? this.mirrorChanged(p) : this.update(p)),
      onUpdate: (_, p) => (isMirrorPod(p) ? this.mirrorChanged(p) : this.update(p)),
      onDelete: (p) => {
        if (isMirrorPod(p)) return this.mirrorChanged(p, true);
        const uid = p.metadata?.uid;
        if (!uid) return;
        this.pods.delete(uid);
        this.gone.set(uid, p);
        this.queue.add(uid);
      },
    });
  }

  private update(p: Obj): void {
    const uid = p.metadata?.uid;
    if (!uid) return;
    this.pods.set(uid, p);
    this.queue.add(uid);
  }

  /** A mirror pod changed or went away: its static pod syncs (and makes it again); an orphan is reported. */
  private mirrorChanged(mirror: Obj, deleted = false): void {
    const uid = this.staticByName.get(podFullName(mirror));
    if (uid) this.queue.add(uid);
    else if (!deleted) this.onOrphanMirror?.(mirror);
  }

  /** The complete set of static pods (the file source): new ones start, changed ones restart, gone ones stop. */
  setStaticPods(pods: Obj[]): void {
    const next = new Map(pods.map((p) => [p.metadata.uid as string, p]));
    for (const uid of this.staticByName.values()) {
      if (next.has(uid)) continue;
      const p = this.pods.get(uid);
      this.pods.delete(uid);
      if (p) this.gone.set(uid, p);
      this.queue.add(uid);
    }
    this.staticByName.clear();
    for (const [uid, p] of next) {
      this.staticByName.set(podFullName(p), uid);
      if (this.pods.get(uid) !== p) {
        this.pods.set(uid, p);
        this.queue.add(uid);
      }
    }
  }

  /** The static pod of this full name (what its mirror pod stands for). */
  staticPod(fullName: string): Obj | undefined {
    const uid = this.staticByName.get(fullName);
    return uid ? this.pods.get(uid) : undefined;
  }

  /** Another pod of the same name (an older version of a static pod) that is still being stopped. */
  private predecessorStopping(pod: Obj): boolean {
    const name = podFullName(pod);
    for (const [uid, p] of this.gone) if (uid !== pod.metadata.uid && podFullName(p) === name) return true;
    return false;
  }

  /** A pod's uid the runtime knows about (a relist change, or a leftover found at start). */
  enqueue(uid: string): void {
    this.queue.add(uid);
  }

  get(uid: string): Obj | undefined {
    return this.pods.get(uid);
  }

  all(): Obj[] {
    return [...this.pods.values()];
  }

  start(): void {
    this.running = runController({
      name: 'kubelet-pods',
      queue: this.queue,
      workers: this.workers,
      log: this.log,
      reconcile: async (uid) => {
        this.syncs++;
        const pod = this.pods.get(uid);
        // A changed manifest: the new pod starts once the old one (same name, maybe same ports) is gone.
        if (pod && isStaticPod(pod) && this.predecessorStopping(pod))
          return { requeueAfterMs: STATIC_SUCCESSOR_WAIT_MS };
        const out = await this.syncer.sync(uid, pod, pod ?? this.gone.get(uid));
        if (out.finished) {
          const was = this.gone.get(uid);
          this.gone.delete(uid);
          // The new version of a static pod waits for this one: it may start now.
          const successor = was && isStaticPod(was) ? this.staticByName.get(podFullName(was)) : undefined;
          if (successor && successor !== uid) this.queue.add(successor);
          return;
        }
        return out.requeueAfterMs !== undefined ? { requeueAfterMs: out.requeueAfterMs } : undefined;
      },
    });
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.running?.stop();
  }
}
