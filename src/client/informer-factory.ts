// One informer per (resource, namespace, selectors), shared by every controller in the process, so N
// controllers watching pods cost one list and one watch.
import type { Clock } from './clock.js';
import { type BackoffOptions, type InformerOptions, restListerWatcher, SharedInformer } from './informer.js';
import type { Logger } from './log.js';
import type { ResourceRef } from './resource.js';
import type { RestClient } from './rest.js';
import type { IndexFunc } from './store.js';

type Obj = Record<string, any>;

export interface InformerFactoryOptions {
  /** Default resync period for informers made by this factory (0 = none). */
  resyncPeriodMs?: number;
  /** Restrict every informer to one namespace (default: all). */
  namespace?: string;
  pageSize?: number;
  minWatchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  log?: Logger;
}

export interface InformerSpec<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  resyncPeriodMs?: number;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<any>>();
  private started = false;

  constructor(
    readonly client: RestClient,
    private readonly opts: InformerFactoryOptions = {},
  ) {}

  /**
   * The shared informer for a resource and selection, created on first use. Indexers given here are added
   * to an existing informer. Informers requested after start() start at once.
   */
  informerFor<T extends Obj = Obj>(ref: ResourceRef, spec: InformerSpec<T> = {}): SharedInformer<T> {
    const namespace = ref.namespaced ? (spec.namespace ?? this.opts.namespace) : undefined;
    const key = this.keyOf(ref, spec);
    let inf = this.informers.get(key) as SharedInformer<T> | undefined;
    if (inf) {
      if (spec.indexers) inf.addIndexers(spec.indexers);
      return inf;
    }
    let rc = this.client.resource<T>(ref);
    if (namespace) rc = rc.in(namespace);
    const options: InformerOptions<T> = {
      name: `${ref.plural}${ref.group ? `.${ref.group}` : ''}${namespace ? ` ns=${namespace}` : ''}${
        spec.labelSelector ? ` l=${spec.labelSelector}` : ''
      }${spec.fieldSelector ? ` f=${spec.fieldSelector}` : ''}`,
      resyncPeriodMs: spec.resyncPeriodMs ?? this.opts.resyncPeriodMs,
      pageSize: this.opts.pageSize,
      minWatchTimeoutSeconds: this.opts.minWatchTimeoutSeconds,
      backoff: this.opts.backoff,
      indexers: spec.indexers,
      clock: this.opts.clock,
      log: this.opts.log,
    };
    inf = new SharedInformer<T>(
      restListerWatcher(rc, { labelSelector: spec.labelSelector, fieldSelector: spec.fieldSelector }),
      options,
    );
    this.informers.set(key, inf);
    if (this.started) inf.start();
    return inf;
  }

  private keyOf(ref: ResourceRef, spec: InformerSpec<any>): string {
    const namespace = ref.namespaced ? (spec.namespace ?? this.opts.namespace) : undefined;
    return [
      ref.group,
      ref.version,
      ref.plural,
      namespace ?? '',
      spec.labelSelector ?? '',
      spec.fieldSelector ?? '',
    ].join('|');
  }

  /** Stops and forgets an informer (a resource that is no longer served, e.g. a deleted CRD's). */
  async remove(ref: ResourceRef, spec: InformerSpec<any> = {}): Promise<void> {
    const key = this.keyOf(ref, spec);
    const inf = this.informers.get(key);
    this.informers.delete(key);
    await inf?.stop();
  }

  /** Starts every informer made so far (and any made later). */
  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Resolves true when every informer has synced, false if any stopped first. */
  async waitForSync(): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    return results.every(Boolean);
  }

  all(): SharedInformer<any>[] {
    return [...this.informers.values()];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
