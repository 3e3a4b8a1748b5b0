// The order pods are evicted in under each kind of pressure, as upstream's eviction helpers rank them:
// memory: usage above requests first, then lower priority, then more usage above requests; disk (bytes or
// inodes): the same with ephemeral storage; PIDs: lower priority, then more processes. Pods without stats
// go first. Also the eviction message and which pods are never evicted (critical ones).
import { canonicalQuantity, parseQuantity, quantityToNumber } from '../../api/quantity.js';
import type { Obj } from '../refs.js';
import type { PodUsage } from './stats.js';
import { SIGNAL_RESOURCE, type Signal } from './thresholds.js';

export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

type Cmp = (a: Obj, b: Obj) => number;

function amount(v: unknown): number {
  const q = parseQuantity(v);
  return q ? quantityToNumber(q) : 0;
}

/** upstream's GetResourceRequestQuantity: the containers' sum or the largest init container, plus overhead. */
export function podRequest(pod: Obj, resource: string): number {
  const spec = pod.spec ?? {};
  let sum = 0;
  for (const c of spec.containers ?? []) sum += amount(c.resources?.requests?.[resource]);
  for (const c of spec.initContainers ?? []) sum = Math.max(sum, amount(c.resources?.requests?.[resource]));
  return sum + amount(spec.overhead?.[resource]);
}

/** Static, mirror and system-critical pods are never evicted (upstream's IsCriticalPod). */
export function isCriticalPod(pod: Obj): boolean {
  const a = pod.metadata?.annotations ?? {};
  if (a['kubernetes.io/config.mirror'] !== undefined) return true;
  const source = a['kubernetes.io/config.source'];
  if (source !== undefined && source !== 'api') return true;
  return (pod.spec?.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY;
}

/** true before false. */
function cmpBool(a: boolean, b: boolean): number {
  return a === b ? 0 : a ? -1 : 1;
}

const byPriority: Cmp = (a, b) => Math.sign((a.spec?.priority ?? 0) - (b.spec?.priority ?? 0));

type Usage = (u: PodUsage) => number | undefined;

/** Pods without stats first; then `first` decides, else null. */
function withStats(
  stats: Map<string, PodUsage>,
  fn: (a: PodUsage, b: PodUsage, pa: Obj, pb: Obj) => number,
): Cmp {
  return (pa, pb) => {
    const a = stats.get(pa.metadata.uid);
    const b = stats.get(pb.metadata.uid);
    if (!a || !b) return cmpBool(!a, !b);
    return fn(a, b, pa, pb);
  };
}

function exceedsRequests(stats: Map<string, PodUsage>, usage: Usage, resource: string): Cmp {
  return withStats(stats, (a, b, pa, pb) =>
    cmpBool((usage(a) ?? 0) > podRequest(pa, resource), (usage(b) ?? 0) > podRequest(pb, resource)),
  );
}

function aboveRequests(stats: Map<string, PodUsage>, usage: Usage, resource: string): Cmp {
  return withStats(stats, (a, b, pa, pb) =>
    Math.sign((usage(b) ?? 0) - podRequest(pb, resource) - ((usage(a) ?? 0) - podRequest(pa, resource))),
  );
}

function orderedBy(...cmps: Cmp[]): Cmp {
  return (a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };
}

const memoryUsage: Usage = (u) => u.memoryWorkingSetBytes;
const diskUsage: Usage = (u) => u.ephemeralBytes;
const inodeUsage: Usage = (u) => u.inodes;

/** The pods in the order the signal evicts them (a new array). */
export function rankPods(signal: Signal, pods: Obj[], usage: PodUsage[]): Obj[] {
  const stats = new Map(usage.map((u) => [u.uid, u]));
  let cmp: Cmp;
  switch (SIGNAL_RESOURCE[signal]) {
    case 'memory':
      cmp = orderedBy(
        exceedsRequests(stats, memoryUsage, 'memory'),
        byPriority,
        aboveRequests(stats, memoryUsage, 'memory'),
      );
      break;
    case 'pids':
      cmp = orderedBy(
        byPriority,
        withStats(stats, (a, b) => (b.processes ?? 0) - (a.processes ?? 0)),
      );
      break;
    case 'inodes':
      cmp = orderedBy(
        exceedsRequests(stats, inodeUsage, 'inodes'),
        byPriority,
        aboveRequests(stats, inodeUsage, 'inodes'),
      );
      break;
    default:
      cmp = orderedBy(
        exceedsRequests(stats, diskUsage, 'ephemeral-storage'),
        byPriority,
        aboveRequests(stats, diskUsage, 'ephemeral-storage'),
      );
  }
  return [...pods].sort(cmp);
}

/** A byte count as Quantity.String() prints a BinarySI quantity (100Mi, 51200Ki, 1000). */
export function binaryQuantity(n: number): string {
  return canonicalQuantity({ num: BigInt(Math.trunc(n)), exp10: 0, format: 'BinarySI' });
}

/** A count as Quantity.String() prints a DecimalSI quantity (4000 -> 4k). */
export function decimalQuantity(n: number): string {
  return canonicalQuantity(parseQuantity(String(Math.trunc(n)))!);
}

/**
 * upstream's evictionMessage: the starved resource, the threshold and what was available, and each container
 * using more than it requested.
 */
export function evictionMessage(
  signal: Signal,
  pod: Obj,
  usage: PodUsage | undefined,
  threshold: { amount: number; available: number } | undefined,
): string {
  const resource = SIGNAL_RESOURCE[signal];
  let message = `The node was low on resource: ${resource}. `;
  if (threshold) {
    const available =
      resource === 'memory' || resource === 'ephemeral-storage'
        ? binaryQuantity(threshold.available)
        : decimalQuantity(threshold.available);
    message += `Threshold quantity: ${binaryQuantity(threshold.amount)}, available: ${available}. `;
  }
  if (!usage || (resource !== 'memory' && resource !== 'ephemeral-storage')) return message;
  const specs: Obj[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of usage.containers) {
    const spec = specs.find((s) => s.name === c.name);
    if (!spec) continue;
    const used = resource === 'memory' ? c.memoryWorkingSetBytes : c.ephemeralBytes;
    if (used === undefined) continue;
    const raw = spec.resources?.requests?.[resource];
    const q = parseQuantity(raw);
    const request = q ? quantityToNumber(q) : 0;
    if (used > request)
      message += `Container ${c.name} was using ${binaryQuantity(used)}, request is ${q ? canonicalQuantity(q) : '0'}, has larger consumption of ${resource}. `;
  }
  return message;
}
