// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does: try to take
// or renew the lease every retryPeriod; a lease held by someone else is only taken once it has not
// changed for leaseDuration (measured on our own clock, so clock skew between nodes does not matter);
// a leader that cannot renew within renewDeadline steps down. Timings default to upstream's 15/10/2 s.
import { isAlreadyExists, isConflict, isNotFound } from './apierror.js';
import { type Clock, realClock, sleep } from './clock.js';
import { consoleLogger, type Logger } from './log.js';
import { LEASES } from './refs.js';
import type { RestClient } from './rest.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec: LeaseSpec;
}

/** What the elector needs from the API; update must fail with a Conflict on a stale resourceVersion. */
export interface LeaseClient {
  /** undefined when the lease does not exist. */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<Lease | undefined>;
  create(lease: Lease, signal?: AbortSignal): Promise<Lease>;
  update(lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

export function restLeaseClient(rest: RestClient): LeaseClient {
  const leases = rest.resource<Lease>(LEASES);
  return {
    get: (ns, name, signal) =>
      leases
        .in(ns)
        .get(name, { signal })
        .catch((err) => {
          if (isNotFound(err)) return undefined;
          throw err;
        }),
    create: (lease, signal) =>
      leases
        .in(lease.metadata.namespace)
        .create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease }, { signal }),
    update: (lease, signal) => leases.in(lease.metadata.namespace).update(lease, { signal }),
  };
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface LeaderElectorOptions {
  lease: { namespace: string; name: string };
  identity: string;
  client: LeaseClient;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** On stop(), hand the lease back (holder '') so a standby takes over at once (default true). */
  releaseOnCancel?: boolean;
  /** Called when this elector becomes leader; the signal aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once when leadership ends (lost or stopped); not called if it never led. */
  onStoppedLeading(): void;
  /** Called whenever the observed holder changes (including to this identity). */
  onNewLeader?(identity: string): void;
  clock?: Clock;
  /** Random source for retry jitter (default Math.random); tests pass () => 0. */
  random?: () => number;
  log?: Logger;
}

/** client-go's JitterFactor for the acquire/renew retry. */
const JITTER = 1.2;

export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectorOptions, 'onNewLeader'>> &
    Pick<LeaderElectorOptions, 'onNewLeader'>;
  private observed?: LeaseSpec;
  private observedRv?: string;
  private observedTime = 0;
  private leading = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private reportedLeader?: string;

  constructor(opts: LeaderElectorOptions) {
    this.o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
      clock: realClock,
      random: Math.random,
      log: consoleLogger,
      ...opts,
    };
    const { leaseDurationMs: d, renewDeadlineMs: r, retryPeriodMs: p } = this.o;
    if (!(d > r)) throw new RangeError('leaseDuration must be greater than renewDeadline');
    if (!(r > JITTER * p)) throw new RangeError('renewDeadline must be greater than retryPeriod*1.2');
    if (!opts.identity) throw new RangeError('leader election needs an identity');
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed in the lease ('' or undefined when none). */
  getLeader(): string | undefined {
    return this.observed?.holderIdentity;
  }

  /**
   * Campaigns until leader, leads until the lease is lost or stop() is called, then returns. Call again
   * to campaign anew after losing.
   */
  run(): Promise<void> {
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops campaigning or leading (releasing the lease if configured) and waits for run() to return. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort(new Error('leader election stopped'));
    await this.running;
  }

  private async loop(): Promise<void> {
    const { clock, retryPeriodMs, renewDeadlineMs } = this.o;
    // Campaign.
    while (!this.stopped) {
      if (await this.attempt(undefined)) break;
      if (!(await this.wait(this.jittered(retryPeriodMs)))) return;
    }
    if (this.stopped) return;
    this.leading = true;
    const leadership = new AbortController();
    this.o.log.info('leader election: became leader', {
      lease: this.o.lease.name,
      identity: this.o.identity,
    });
    Promise.resolve()
      .then(() => this.o.onStartedLeading(leadership.signal))
      .catch((err) => this.o.log.error('leader election: onStartedLeading failed', { error: err }));
    // Renew every retryPeriod; a renewal that does not succeed within renewDeadline ends leadership.
    let lost = false;
    while (!this.stopped) {
      if (!(await this.wait(retryPeriodMs))) break;
      const deadline = clock.now() + renewDeadlineMs;
      let renewed = false;
      while (!this.stopped && !renewed) {
        renewed = await this.attempt(deadline);
        if (renewed || this.stopped) break;
        if (clock.now() >= deadline) break;
        if (!(await this.wait(Math.min(retryPeriodMs, deadline - clock.now())))) break;
      }
      if (!renewed && !this.stopped) {
        lost = true;
        break;
      }
    }
    this.leading = false;
    leadership.abort(new Error('leadership lost'));
    if (lost)
      this.o.log.warn('leader election: lost the lease', {
        lease: this.o.lease.name,
        identity: this.o.identity,
      });
    else if (this.o.releaseOnCancel) await this.bounded(this.release(), this.o.renewDeadlineMs, undefined);
    this.o.onStoppedLeading();
  }

  private jittered(ms: number): number {
    return ms * (1 + JITTER * this.o.random());
  }

  /** Sleeps on the clock; false when stopped meanwhile. */
  private async wait(ms: number): Promise<boolean> {
    try {
      await sleep(this.o.clock, ms, this.abort.signal);
      return !this.stopped;
    } catch {
      return false;
    }
  }

  /** One try to acquire or renew, bounded by `deadline` (a hung call counts as a failure). */
  private async attempt(deadline: number | undefined): Promise<boolean> {
    const call = this.tryAcquireOrRenew().catch((err) => {
      if (!this.stopped)
        this.o.log.warn('leader election: lease call failed', { lease: this.o.lease.name, error: err });
      return false;
    });
    if (deadline === undefined) return call;
    return this.bounded(call, deadline - this.o.clock.now(), false);
  }

  /** `p`, or `fallback` if it has not settled within `ms` on the clock. */
  private async bounded<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
    if (ms <= 0) return fallback;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const timeout = new Promise<T>((resolve) => {
      timer = this.o.clock.setTimeout(() => resolve(fallback), ms);
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      this.o.clock.clearTimeout(timer);
    }
  }

  private observe(lease: Lease): void {
    if (this.observedRv !== lease.metadata.resourceVersion || !sameSpec(this.observed, lease.spec)) {
      this.observed = { ...lease.spec };
      this.observedRv = lease.metadata.resourceVersion;
      this.observedTime = this.o.clock.now();
    }
    const holder = lease.spec.holderIdentity ?? '';
    if (holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      if (holder) this.o.onNewLeader?.(holder);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, lease: ref, identity, clock } = this.o;
    const signal = this.abort.signal;
    const now = clock.now();
    const durationSeconds = Math.round(this.o.leaseDurationMs / 1000);
    const current = await client.get(ref.namespace, ref.name, signal);
    if (!current) {
      const spec: LeaseSpec = {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      };
      try {
        const created = await client.create(
          { metadata: { name: ref.name, namespace: ref.namespace }, spec },
          signal,
        );
        this.observe(created);
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    this.observe(current);
    const holder = current.spec.holderIdentity ?? '';
    const heldMs = (current.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== '' && holder !== identity && this.observedTime + heldMs > now) return false;
    const spec: LeaseSpec = {
      ...current.spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
    };
    if (holder !== identity) {
      spec.acquireTime = microTime(now);
      spec.leaseTransitions = (current.spec.leaseTransitions ?? 0) + 1;
    }
    try {
      const updated = await client.update({ ...current, spec }, signal);
      this.observe(updated);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Gives the lease up so a standby need not wait for it to expire. */
  private async release(): Promise<void> {
    const { client, lease: ref, identity, clock } = this.o;
    try {
      const current = await client.get(ref.namespace, ref.name);
      if (!current || current.spec.holderIdentity !== identity) return;
      const now = microTime(clock.now());
      await client.update({
        ...current,
        spec: {
          ...current.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: now,
          acquireTime: now,
        },
      });
    } catch (err) {
      this.o.log.warn('leader election: could not release the lease', { lease: ref.name, error: err });
    }
  }
}

function sameSpec(a: LeaseSpec | undefined, b: LeaseSpec): boolean {
  if (!a) return false;
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.acquireTime === b.acquireTime &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.leaseTransitions === b.leaseTransitions
  );
}
