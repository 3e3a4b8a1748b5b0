// Quantities as numbers for the fit arithmetic: pod requests computed as upstream
// (max(sum of app containers, max of init containers) + overhead), node allocatable, host ports.
import { parseQuantity, quantityToNumber } from '../api/quantity.js';
import type { HostPort, Node, Pod, PodInfo, Resources } from './types.js';

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** One quantity as a number: millicores for cpu, base units otherwise (0 when missing or malformed). */
export function amount(resource: string, value: unknown): number {
  const q = parseQuantity(value);
  if (!q) return 0;
  // Exact integer arithmetic, rounding up like upstream's MilliValue/Value ("0.6" cpu is 600, not 601).
  const exp = q.exp10 + (resource === 'cpu' ? 3 : 0);
  if (exp >= 0) return quantityToNumber({ ...q, exp10: exp });
  const div = 10n ** BigInt(-exp);
  const whole = q.num / div;
  return Number(q.num % div > 0n ? whole + 1n : whole);
}

export function toResources(list: Record<string, unknown> | undefined): Resources {
  const out: Resources = {};
  if (!list) return out;
  for (const [k, v] of Object.entries(list)) out[k] = amount(k, v);
  return out;
}

function addInto(into: Resources, r: Resources): void {
  for (const [k, v] of Object.entries(r)) into[k] = (into[k] ?? 0) + v;
}

function maxInto(into: Resources, r: Resources): void {
  for (const [k, v] of Object.entries(r)) if (v > (into[k] ?? 0)) into[k] = v;
}

/**
 * Effective pod requests. Sidecars (init containers with restartPolicy Always) run beside the app
 * containers, so they add to the app sum and to every later init container, as upstream counts them.
 */
export function podRequests(pod: Pod): Resources {
  const spec = pod.spec ?? {};
  const apps: Resources = {};
  for (const c of spec.containers ?? []) addInto(apps, toResources(c.resources?.requests));
  const initMax: Resources = {};
  const sidecars: Resources = {};
  for (const c of spec.initContainers ?? []) {
    const r = toResources(c.resources?.requests);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r);
      maxInto(initMax, sidecars);
    } else {
      const withSidecars = { ...sidecars };
      addInto(withSidecars, r);
      maxInto(initMax, withSidecars);
    }
  }
  addInto(apps, sidecars);
  maxInto(apps, initMax);
  addInto(apps, toResources(spec.overhead));
  return apps;
}

export function hostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if (p.hostPort > 0)
        out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
  return out;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function newPodInfo(pod: Pod): PodInfo {
  const requests = podRequests(pod);
  return {
    pod,
    key: podKey(pod),
    requests,
    requestList: Object.entries(requests)
      .filter(([name, amount]) => amount > 0 && name !== 'pods')
      .map(([name, amount]) => ({ name, amount })),
    nonZero: {
      cpu: requests.cpu || DEFAULT_MILLI_CPU_REQUEST,
      memory: requests.memory || DEFAULT_MEMORY_REQUEST,
    },
    ports: hostPorts(pod),
  };
}

export function nodeAllocatable(node: Node): Resources {
  return toResources(node.status?.allocatable ?? node.status?.capacity);
}
