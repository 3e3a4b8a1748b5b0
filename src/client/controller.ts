// The reconcile loop runner (controller-runtime's shape on a client-go work queue): workers take keys,
// call reconcile(key), and the runner owns retries: a thrown error re-queues the key with per-item
// backoff, a TerminalError drops it, success forgets its failures and honours requeueAfterMs.
import type { EventHandler } from './informer.js';
import { consoleLogger, type Logger } from './log.js';
import { objectKey } from './store.js';
import type { WorkQueue } from './workqueue.js';

type Obj = Record<string, any>;

/** A failure retrying cannot fix (bad spec, unsupported input): logged once, not re-queued. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ReconcileResult {
  /** Reconcile this key again after this long, even if nothing changes (e.g. a deadline). */
  requeueAfterMs?: number;
}

/** Level-based: read the current state from informer caches; never trust the event that queued the key. */
// biome-ignore lint/suspicious/noConfusingVoidType: lets `async function reconcile() {}` (Promise<void>) qualify.
export type Reconciler<K> = (key: K, signal: AbortSignal) => Promise<ReconcileResult | undefined | void>;

export interface ControllerOptions<K> {
  name: string;
  queue: WorkQueue<K>;
  reconcile: Reconciler<K>;
  /** Concurrent workers (default 1). The queue keeps one key on one worker at a time. */
  workers?: number;
  /** Stop retrying a key after this many failures in a row (default: retry forever with backoff). */
  maxRetries?: number;
  log?: Logger;
}

export interface ControllerStats {
  reconciles: number;
  successes: number;
  /** Errors that were retried with backoff. */
  errors: number;
  /** TerminalErrors and keys that ran out of retries. */
  dropped: number;
  /** Successful reconciles that asked for requeueAfterMs. */
  requeues: number;
  /** Reconciles running now. */
  active: number;
}

export interface RunningController {
  readonly name: string;
  readonly stats: ControllerStats;
  /** Stops taking keys, aborts the signal given to running reconciles and waits for them to return. */
  stop(): Promise<void>;
  /** Resolves when every worker has exited. */
  readonly done: Promise<void>;
}

export function runController<K>(opts: ControllerOptions<K>): RunningController {
  const { name, queue, reconcile } = opts;
  const log = opts.log ?? consoleLogger;
  const stats: ControllerStats = {
    reconciles: 0,
    successes: 0,
    errors: 0,
    dropped: 0,
    requeues: 0,
    active: 0,
  };
  const abort = new AbortController();
  let stopping = false;

  const handle = async (key: K): Promise<void> => {
    stats.reconciles++;
    stats.active++;
    try {
      const result = await reconcile(key, abort.signal);
      stats.successes++;
      queue.forget(key);
      if (result && result.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) {
        stats.requeues++;
        queue.addAfter(key, result.requeueAfterMs);
      }
    } catch (err) {
      if (stopping && abort.signal.aborted) return;
      if (err instanceof TerminalError) {
        stats.dropped++;
        queue.forget(key);
        log.error('reconcile failed permanently', { controller: name, key: String(key), error: err });
        return;
      }
      if (opts.maxRetries !== undefined && queue.numRequeues(key) >= opts.maxRetries) {
        stats.dropped++;
        queue.forget(key);
        log.error('reconcile failed, giving up', {
          controller: name,
          key: String(key),
          retries: opts.maxRetries,
          error: err,
        });
        return;
      }
      stats.errors++;
      queue.addRateLimited(key);
      log.warn('reconcile failed, will retry', { controller: name, key: String(key), error: err });
    } finally {
      stats.active--;
      queue.done(key);
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (stopping) {
        queue.done(key);
        return;
      }
      await handle(key);
    }
  };

  const workers = Math.max(1, opts.workers ?? 1);
  const done = Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
  return {
    name,
    stats,
    done,
    async stop() {
      stopping = true;
      abort.abort(new Error(`controller ${name} stopped`));
      queue.shutDown();
      await done;
    },
  };
}

/** Handlers that queue the object's own `namespace/name` key on every change (the common case). */
export function enqueueObject(
  queue: WorkQueue<string>,
  key: (o: Obj) => string = objectKey,
): EventHandler<Obj> {
  return {
    onAdd: (o) => queue.add(key(o)),
    onUpdate: (_old, cur) => queue.add(key(cur)),
    onDelete: (o) => queue.add(key(o)),
  };
}

/** The `namespace/name` of the object's controlling owner if it is of `kind` (e.g. a Pod's ReplicaSet). */
export function controllerOwnerKey(obj: Obj, kind: string): string | undefined {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller === true);
  if (!ref || ref.kind !== kind) return undefined;
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${ref.name}` : ref.name;
}

/** Handlers that queue the controlling owner of kind `kind` (for informers on owned objects). */
export function enqueueOwner(queue: WorkQueue<string>, kind: string): EventHandler<Obj> {
  const add = (o: Obj) => {
    const k = controllerOwnerKey(o, kind);
    if (k) queue.add(k);
  };
  return {
    onAdd: add,
    onUpdate: (old, cur) => {
      add(cur);
      // The owner changed (adoption/release): both owners must look again.
      if (controllerOwnerKey(old, kind) !== controllerOwnerKey(cur, kind)) add(old);
    },
    onDelete: add,
  };
}
