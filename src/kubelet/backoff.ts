// Upstream's per-key exponential back-off (client-go flowcontrol.Backoff) as the kubelet uses it for
// crash loops and image pulls: 10 s doubling to 5 min; an entry not touched for twice the maximum
// (10 min) is forgotten, so a container that ran that long before failing starts again from 10 s.
import type { Clock } from '../client/index.js';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    readonly initialMs = BACKOFF_INITIAL_MS,
    readonly maxMs = BACKOFF_MAX_MS,
  ) {}

  private expired(entry: Entry, at: number): boolean {
    return at - entry.lastUpdate > 2 * this.maxMs;
  }

  /** The current delay for key (0 when none). */
  get(key: string): number {
    const e = this.entries.get(key);
    return e && !this.expired(e, this.clock.now()) ? e.backoffMs : 0;
  }

  /**
   * Whether key is still backing off from an event at eventTime (a container's finish), and how long is
   * left (ms).
   */
  inBackoffSince(key: string, eventTime: number): { inBackoff: boolean; remainingMs: number } {
    const e = this.entries.get(key);
    const now = this.clock.now();
    if (!e || this.expired(e, now)) return { inBackoff: false, remainingMs: 0 };
    const left = e.backoffMs - (now - eventTime);
    return left > 0 ? { inBackoff: true, remainingMs: left } : { inBackoff: false, remainingMs: 0 };
  }

  /** Whether key is backing off counted from its last recorded attempt (image pulls). */
  inBackoffSinceUpdate(key: string): { inBackoff: boolean; remainingMs: number } {
    const e = this.entries.get(key);
    if (!e) return { inBackoff: false, remainingMs: 0 };
    return this.inBackoffSince(key, e.lastUpdate);
  }

  /** Records an attempt at eventTime: the first (or first after expiry) sets the initial delay, later ones double it. */
  next(key: string, eventTime: number): number {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventTime)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: eventTime });
      return this.initialMs;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdate = eventTime;
    return e.backoffMs;
  }

  /** Drops every key with this prefix (a pod's containers when the pod goes away). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Drops entries untouched for twice the maximum (upstream's GC). */
  gc(): void {
    const now = this.clock.now();
    for (const [k, e] of this.entries) if (this.expired(e, now)) this.entries.delete(k);
  }

  size(): number {
    return this.entries.size;
  }
}

/** Formats a delay the way Go prints a time.Duration for these messages ("10s", "1m20s", "5m0s"). */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}
