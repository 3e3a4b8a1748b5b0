// The proxier: keeps the Services and EndpointSlices it is told about, and programs the table. Changes
// mark their Service dirty and schedule a sync after a short coalescing window; a sync recomputes only
// the dirty Services' objects (rules.ts, pure) and applies one `nft -f -` transaction holding only what
// changed. The first sync (and any sync after a failed one) rewrites the whole table. Chains no longer
// used are flushed at once and deleted by a sync at least a second later (see diffScript).
import { type Clock, consoleLogger, type Logger, realClock, type TimerHandle } from '../client/index.js';
import { endpointsByPort, serviceKey, servicePortsOf, sliceServiceKey } from './model.js';
import type { NftRunner } from './nft.js';
import {
  diffScript,
  fullSyncScript,
  type RulesConfig,
  type ServiceChange,
  type ServiceRules,
  serviceRules,
} from './rules.js';

type Obj = Record<string, any>;

export interface ProxierOptions {
  config: RulesConfig;
  nodeName: string;
  nft: NftRunner;
  /** Changes arriving within this window go into one transaction (default 10 ms). */
  minSyncIntervalMs?: number;
  /** Wait before retrying a failed sync (doubles up to 30 s; default 500 ms). */
  retryMs?: number;
  /** How long an unused chain stays (flushed) before it is deleted (default 1000 ms, as upstream). */
  staleChainDelayMs?: number;
  clock?: Clock;
  log?: Logger;
}

export interface SyncResult {
  full: boolean;
  /** Services whose objects were recomputed. */
  services: number;
  /** Bytes of nft script applied (0: nothing to do). */
  bytes: number;
  /** Time to compute the script and to apply it. */
  computeMs: number;
  applyMs: number;
  /** When the oldest change this sync applied was observed (clock ms); undefined for none. */
  oldestChangeAt?: number;
}

export class Proxier {
  private readonly services = new Map<string, Obj>();
  private readonly slices = new Map<string, Map<string, Obj>>();
  private readonly applied = new Map<string, ServiceRules>();
  private readonly dirty = new Set<string>();
  /** Flushed chains waiting to be deleted -> when they became unused. */
  private readonly stale = new Map<string, number>();
  private needFull = true;
  private synced = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private oldestChangeAt: number | undefined;
  private failures = 0;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly listeners = new Set<(r: SyncResult) => void>();
  /** Every sync that applied something, and every failure: for tests, benches and logs. */
  readonly stats = { syncs: 0, fullSyncs: 0, failures: 0 };

  constructor(private readonly opts: ProxierOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? consoleLogger;
  }

  get config(): RulesConfig {
    return this.opts.config;
  }

  /** Tells about each applied sync. Returns an unsubscribe function. */
  onSync(fn: (r: SyncResult) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  upsertService(svc: Obj): void {
    const key = serviceKey(svc);
    this.services.set(key, svc);
    this.markDirty(key);
  }

  deleteService(svc: Obj): void {
    const key = serviceKey(svc);
    this.services.delete(key);
    this.markDirty(key);
  }

  upsertSlice(slice: Obj): void {
    const key = sliceServiceKey(slice);
    if (!key) return;
    let m = this.slices.get(key);
    if (!m) {
      m = new Map();
      this.slices.set(key, m);
    }
    m.set(slice.metadata?.name ?? '', slice);
    this.markDirty(key);
  }

  deleteSlice(slice: Obj): void {
    const key = sliceServiceKey(slice);
    if (!key) return;
    const m = this.slices.get(key);
    m?.delete(slice.metadata?.name ?? '');
    if (m?.size === 0) this.slices.delete(key);
    this.markDirty(key);
  }

  /** Both informers have delivered their first list: the first (full) sync may run. */
  setSynced(): void {
    this.synced = true;
    this.schedule(0);
  }

  /** The Services with objects in the table now. */
  appliedServices(): string[] {
    return [...this.applied.keys()];
  }

  private markDirty(key: string): void {
    this.dirty.add(key);
    this.oldestChangeAt ??= this.clock.now();
    this.schedule(this.opts.minSyncIntervalMs ?? 10);
  }

  private schedule(delayMs: number): void {
    if (!this.synced || this.stopped) return;
    const at = this.clock.now() + delayMs;
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      void this.syncNow();
    }, delayMs);
  }

  /** Runs a sync now (or waits for the running one and runs another). Resolves when it is done. */
  async syncNow(): Promise<void> {
    while (this.running) await this.running;
    if (this.stopped || !this.synced) return;
    this.running = this.sync().finally(() => {
      this.running = undefined;
    });
    await this.running;
  }

  private rulesFor(key: string): ServiceRules | undefined {
    const svc = this.services.get(key);
    if (!svc) return undefined;
    const ports = servicePortsOf(svc);
    if (ports.length === 0) return undefined;
    const eps = endpointsByPort(this.slices.get(key)?.values() ?? [], this.opts.nodeName);
    return serviceRules(ports, eps, this.opts.config);
  }

  private async sync(): Promise<void> {
    const started = this.clock.now();
    const t0 = performance.now();
    const full = this.needFull;
    const keys = full ? [...new Set([...this.services.keys(), ...this.applied.keys()])] : [...this.dirty];
    const oldestChangeAt = this.oldestChangeAt;
    this.dirty.clear();
    this.oldestChangeAt = undefined;
    const next = new Map<string, ServiceRules | undefined>();
    for (const key of keys) next.set(key, this.rulesFor(key));
    let script: string;
    let stale: string[] = [];
    let revived: string[] = [];
    let deleting: string[] = [];
    if (full) {
      script = fullSyncScript(
        this.opts.config,
        [...next.values()].filter((r): r is ServiceRules => !!r),
      );
    } else {
      const delay = this.opts.staleChainDelayMs ?? 1000;
      deleting = [...this.stale].filter(([, since]) => since + delay <= started).map(([c]) => c);
      const changes: ServiceChange[] = keys.map((k) => ({ old: this.applied.get(k), new: next.get(k) }));
      const d = diffScript(this.opts.config, changes, deleting);
      ({ script, staleChains: stale, revivedChains: revived } = d);
    }
    const computeMs = performance.now() - t0;
    if (script) {
      const t1 = performance.now();
      try {
        await this.opts.nft(script);
      } catch (err) {
        this.failures++;
        this.stats.failures++;
        // What the table holds is unknown now: rewrite all of it next time.
        this.needFull = true;
        for (const k of keys) this.dirty.add(k);
        this.oldestChangeAt = oldestChangeAt;
        const wait = Math.min(30_000, (this.opts.retryMs ?? 500) * 2 ** (this.failures - 1));
        this.log.error('kube-proxy: applying nftables rules failed; retrying', { error: err, retryMs: wait });
        this.schedule(wait);
        return;
      }
      const applyMs = performance.now() - t1;
      this.failures = 0;
      this.stats.syncs++;
      if (full) this.stats.fullSyncs++;
      this.emit({ full, services: keys.length, bytes: script.length, computeMs, applyMs, oldestChangeAt });
    }
    if (full) {
      this.applied.clear();
      this.stale.clear();
      this.needFull = false;
    }
    for (const [k, r] of next) {
      if (r) this.applied.set(k, r);
      else this.applied.delete(k);
    }
    for (const c of deleting) this.stale.delete(c);
    for (const c of revived) this.stale.delete(c);
    for (const c of stale) this.stale.set(c, started);
    if (this.stale.size > 0) {
      const delay = this.opts.staleChainDelayMs ?? 1000;
      const first = Math.min(...this.stale.values());
      this.schedule(Math.max(0, first + delay - this.clock.now()));
    }
    if (this.dirty.size > 0) this.schedule(this.opts.minSyncIntervalMs ?? 10);
  }

  private emit(r: SyncResult): void {
    for (const fn of this.listeners) {
      try {
        fn(r);
      } catch {
        // a listener's failure is not the proxy's
      }
    }
  }

  /** Stops syncing; with `removeTable`, deletes the table (clean shutdown). */
  async stop(opts: { removeTable?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
    if (opts.removeTable) {
      const t = `ip ${this.opts.config.table}`;
      // Adding first makes the delete succeed whether or not the table exists.
      await this.opts.nft(`add table ${t}\ndelete table ${t}\n`);
    }
  }
}
