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

export class PodWorkers {
  readonly queue: WorkQueue<string>;
  /** The latest object per uid; removed when the API server deletes the pod. */
  private readonly pods = new Map<string, Obj>();
  /** The last object of pods the API server no longer has, until their runtime state is cleaned up. */
  private readonly gone = new Map<string, Obj>();
  private running: RunningController | undefined;
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
      onAdd: (p) => this.update(p),
      onUpdate: (_, p) => this.update(p),
      onDelete: (p) => {
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
        const out = await this.syncer.sync(uid, pod, pod ?? this.gone.get(uid));
        if (out.finished) {
          this.gone.delete(uid);
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
