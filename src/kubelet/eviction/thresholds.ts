// Eviction thresholds as upstream's kubelet takes them: `--eviction-hard memory.available<100Mi,...`,
// `--eviction-soft` with `--eviction-soft-grace-period memory.available=1m30s,...`; a value is a quantity
// or a percentage of the signal's capacity. Setting --eviction-hard replaces the defaults (as upstream did
// before merging them), so `--eviction-hard=` turns hard eviction off.
import { parseQuantity, quantityToNumber } from '../../api/quantity.js';

export type Signal =
  | 'memory.available'
  | 'nodefs.available'
  | 'nodefs.inodesFree'
  | 'imagefs.available'
  | 'imagefs.inodesFree'
  | 'pid.available';

export const SIGNALS: readonly Signal[] = [
  'memory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'pid.available',
];

export type NodeCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

export const SIGNAL_CONDITION: Record<Signal, NodeCondition> = {
  'memory.available': 'MemoryPressure',
  'nodefs.available': 'DiskPressure',
  'nodefs.inodesFree': 'DiskPressure',
  'imagefs.available': 'DiskPressure',
  'imagefs.inodesFree': 'DiskPressure',
  'pid.available': 'PIDPressure',
};

/** The resource a signal starves (what pods are ranked by and the eviction message names). */
export const SIGNAL_RESOURCE: Record<Signal, 'memory' | 'ephemeral-storage' | 'inodes' | 'pids'> = {
  'memory.available': 'memory',
  'nodefs.available': 'ephemeral-storage',
  'nodefs.inodesFree': 'inodes',
  'imagefs.available': 'ephemeral-storage',
  'imagefs.inodesFree': 'inodes',
  'pid.available': 'pids',
};

export interface Threshold {
  signal: Signal;
  /** An absolute amount (bytes, inodes, pids) or a fraction (0..1) of the signal's capacity. */
  quantity?: number;
  percentage?: number;
  /** 0 for a hard threshold; a soft one must be met this long before it evicts. */
  gracePeriodMs: number;
}

/** upstream's DefaultEvictionHard on Linux. */
export const DEFAULT_EVICTION_HARD =
  'memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%';

/** The --eviction-pressure-transition-period default: conditions stay True this long after the last breach. */
export const DEFAULT_PRESSURE_TRANSITION_MS = 5 * 60_000;

export class ThresholdError extends Error {}

function isSignal(s: string): s is Signal {
  return (SIGNALS as readonly string[]).includes(s);
}

function splitStatements(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Parses `signal<value` statements (hard or soft), without grace periods. */
export function parseThresholdStatements(text: string): Threshold[] {
  const out: Threshold[] = [];
  const seen = new Set<string>();
  for (const stmt of splitStatements(text)) {
    const m = /^([A-Za-z.]+)\s*<\s*(\S+)$/.exec(stmt);
    if (!m)
      throw new ThresholdError(
        `invalid eviction threshold syntax ${JSON.stringify(stmt)}, expected <signal><<value>`,
      );
    const [, signal, value] = m;
    if (!isSignal(signal)) throw new ThresholdError(`unsupported eviction signal ${signal}`);
    if (seen.has(signal)) throw new ThresholdError(`found duplicate eviction threshold for signal ${signal}`);
    seen.add(signal);
    if (value.endsWith('%')) {
      const pct = Number(value.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100)
        throw new ThresholdError(
          `eviction percentage threshold ${signal} must be >= 0% and <= 100%: ${value}`,
        );
      // 0% means the threshold is off, as upstream.
      if (pct === 0) continue;
      out.push({ signal, percentage: pct / 100, gracePeriodMs: 0 });
      continue;
    }
    const q = parseQuantity(value);
    if (!q)
      throw new ThresholdError(`invalid eviction threshold quantity ${JSON.stringify(value)} for ${signal}`);
    const n = quantityToNumber(q);
    if (n < 0) throw new ThresholdError(`eviction threshold ${signal} cannot be negative: ${value}`);
    if (n === 0) continue;
    out.push({ signal, quantity: n, gracePeriodMs: 0 });
  }
  return out;
}

/** A Go duration such as 1m30s, 90s, 1h, 500ms, in milliseconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 0.001,
    µs: 0.001,
    ns: 1e-6,
  };
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/y;
  if (text === '0') return 0;
  let total = 0;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new ThresholdError(`invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * units[m[2]];
    i = re.lastIndex;
  }
  if (text.length === 0) throw new ThresholdError('invalid duration ""');
  return total;
}

export interface EvictionConfig {
  hard?: string;
  soft?: string;
  softGracePeriod?: string;
}

/** All thresholds from the three flags (hard default applies when `hard` is undefined). */
export function parseEvictionConfig(c: EvictionConfig): Threshold[] {
  const hard = parseThresholdStatements(c.hard ?? DEFAULT_EVICTION_HARD);
  const soft = parseThresholdStatements(c.soft ?? '');
  const grace = new Map<string, number>();
  for (const stmt of splitStatements(c.softGracePeriod ?? '')) {
    const m = /^([A-Za-z.]+)\s*=\s*(\S+)$/.exec(stmt);
    if (!m)
      throw new ThresholdError(
        `invalid eviction grace period syntax ${JSON.stringify(stmt)}, expected <signal>=<duration>`,
      );
    if (!isSignal(m[1])) throw new ThresholdError(`unsupported eviction signal ${m[1]}`);
    const ms = parseDuration(m[2]);
    if (ms < 0)
      throw new ThresholdError(`invalid eviction grace period specified: ${m[2]}, must be a positive value`);
    grace.set(m[1], ms);
  }
  for (const t of soft) {
    const ms = grace.get(t.signal);
    if (ms === undefined)
      throw new ThresholdError(`grace period must be specified for the soft eviction threshold ${t.signal}`);
    t.gracePeriodMs = ms;
  }
  return [...hard, ...soft];
}

/** The threshold as an amount against the signal's capacity (upstream's GetThresholdQuantity). */
export function thresholdAmount(t: Threshold, capacity: number): number {
  if (t.quantity !== undefined) return t.quantity;
  return Math.trunc(capacity * (t.percentage ?? 0));
}

/** What the hard memory.available and nodefs.available thresholds hold back from node allocatable. */
export function hardEvictionReserve(
  thresholds: Threshold[],
): (signal: 'memory.available' | 'nodefs.available', capacity: number) => number {
  return (signal, capacity) => {
    const t = thresholds.find((x) => x.signal === signal && x.gracePeriodMs === 0);
    return t ? thresholdAmount(t, capacity) : 0;
  };
}
