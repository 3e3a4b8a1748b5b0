// The order pods are evicted in under each kind of pressure, as upstream's eviction helpers rank them:
// memory: usage above requests first, then lower priority, then more usage above requests; disk (bytes or
// inodes): the same with ephemeral storage; PIDs: lower priority, then more processes. Pods without stats
// go first. Also the eviction message, which pods are never evicted (critical ones), and local storage
// limit violations (emptyDir sizeLimit, pod and container ephemeral-storage limits) with upstream's messages.
import {
  addQuantities,
  canonicalQuantity,
  compareQuantities,
  parseQuantity,
  type Quantity,
  quantityToNumber,
} from '../../api/quantity.js';
import type { Obj } from '../refs.js';
import type { PodUsage } from './stats.js';
import { SIGNAL_RESOURCE, type Signal } from './thresholds.js';

export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

interface RankKey {
  pod: Obj;
  hasStats: boolean;
  priority: number;
  /** Usage above the pod's request (negative when below). */
  above: number;
  /** Process count (PID pressure). */
  processes: number;
}

type Cmp = (a: RankKey, b: RankKey) => number;

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

/** Pods without stats first, then fn decides. */
const withStats =
  (fn: Cmp): Cmp =>
  (a, b) =>
    !a.hasStats || !b.hasStats ? cmpBool(!a.hasStats, !b.hasStats) : fn(a, b);
const exceedsRequests: Cmp = withStats((a, b) => cmpBool(a.above > 0, b.above > 0));
const byPriority: Cmp = (a, b) => Math.sign(a.priority - b.priority);
const aboveRequests: Cmp = withStats((a, b) => Math.sign(b.above - a.above));
const moreProcesses: Cmp = withStats((a, b) => b.processes - a.processes);

function orderedBy(...cmps: Cmp[]): Cmp {
  return (a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };
}

/** The pods in the order the signal evicts them (a new array). */
export function rankPods(signal: Signal, pods: Obj[], usage: PodUsage[]): Obj[] {
  const stats = new Map(usage.map((u) => [u.uid, u]));
  const resource = SIGNAL_RESOURCE[signal];
  const used = (u: PodUsage): number =>
    (resource === 'memory'
      ? u.memoryWorkingSetBytes
      : resource === 'inodes'
        ? u.inodes
        : resource === 'ephemeral-storage'
          ? u.ephemeralBytes
          : 0) ?? 0;
  // Requests and usage are worked out once per pod, not once per comparison.
  const keys: RankKey[] = pods.map((pod) => {
    const u = stats.get(pod.metadata?.uid);
    return {
      pod,
      hasStats: u !== undefined,
      priority: pod.spec?.priority ?? 0,
      above: u && resource !== 'pids' ? used(u) - podRequest(pod, resource) : 0,
      processes: u?.processes ?? 0,
    };
  });
  const cmp =
    resource === 'pids'
      ? orderedBy(byPriority, moreProcesses)
      : orderedBy(exceedsRequests, byPriority, aboveRequests);
  return keys.sort(cmp).map((k) => k.pod);
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

function ephemeralLimit(c: Obj): string | undefined {
  return c.resources?.limits?.['ephemeral-storage'];
}

/** Whether the pod has a disk emptyDir sizeLimit or an ephemeral-storage limit (local storage eviction). */
export function hasLocalStorageLimits(pod: Obj): boolean {
  const spec = pod.spec ?? {};
  return (
    (spec.volumes ?? []).some(
      (v: Obj) => v.emptyDir?.sizeLimit !== undefined && v.emptyDir.medium !== 'Memory',
    ) ||
    [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some(
      (c: Obj) => ephemeralLimit(c) !== undefined,
    )
  );
}

/**
 * The eviction message when the pod breaks a local storage limit (upstream's emptyDirLimitEviction, then
 * podEphemeralStorageLimitEviction, then containerEphemeralStorageLimitEviction), else undefined.
 */
export function localStorageViolation(pod: Obj, usage: PodUsage): string | undefined {
  const spec = pod.spec ?? {};
  for (const v of spec.volumes ?? []) {
    if (!v.emptyDir || v.emptyDir.medium === 'Memory' || v.emptyDir.sizeLimit === undefined) continue;
    const limit = parseQuantity(v.emptyDir.sizeLimit);
    const used = usage.volumes?.[v.name];
    if (limit && used !== undefined && quantityToNumber(limit) > 0 && used > quantityToNumber(limit))
      return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${canonicalQuantity(limit)}". `;
  }
  const containers: Obj[] = spec.containers ?? [];
  const podLimitQ = podLimitSum(pod);
  const podLimit = podLimitQ ? quantityToNumber(podLimitQ) : 0;
  if (podLimitQ && podLimit > 0) {
    const diskVolumes = new Set(
      (spec.volumes ?? [])
        .filter((v: Obj) => v.emptyDir && v.emptyDir.medium !== 'Memory')
        .map((v: Obj) => v.name),
    );
    let used = 0;
    for (const c of usage.containers) used += c.ephemeralBytes ?? 0;
    for (const [name, bytes] of Object.entries(usage.volumes ?? {})) if (diskVolumes.has(name)) used += bytes;
    if (used > podLimit)
      return `Pod ephemeral local storage usage exceeds the total limit of containers ${canonicalQuantity(podLimitQ)}. `;
  }
  for (const c of containers) {
    const raw = ephemeralLimit(c);
    const limit = raw !== undefined ? parseQuantity(raw) : undefined;
    const used = usage.containers.find((x) => x.name === c.name)?.ephemeralBytes;
    if (limit && used !== undefined && used > quantityToNumber(limit))
      return `Container ${c.name} exceeded its local ephemeral storage limit "${canonicalQuantity(limit)}". `;
  }
  return undefined;
}

/** The sum of the containers' ephemeral-storage limits (or the largest init container's), as a quantity. */
function podLimitSum(pod: Obj): Quantity | undefined {
  let sum: Quantity | undefined;
  for (const c of pod.spec?.containers ?? []) {
    const q = parseQuantity(ephemeralLimit(c));
    if (q) sum = sum ? addQuantities(sum, q) : q;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const q = parseQuantity(ephemeralLimit(c));
    if (q && (!sum || compareQuantities(q, sum) > 0)) sum = q;
  }
  return sum;
}
