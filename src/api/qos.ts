import { list } from './guards.js';
// Pod QoS class, computed as upstream's ComputePodQOS (pkg/apis/core/helper/qos): only cpu and memory count.
import { addQuantities, compareQuantities, parseQuantity, type Quantity } from './quantity.js';
import type { Obj } from './types.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const computeResources = new Set(['cpu', 'memory']);
const zero = parseQuantity('0')!;

function accumulate(
  into: Map<string, Quantity>,
  list: Record<string, unknown> | undefined,
  found?: Set<string>,
): void {
  for (const [name, raw] of Object.entries(list ?? {})) {
    if (!computeResources.has(name)) continue;
    const q = parseQuantity(raw);
    if (!q || compareQuantities(q, zero) <= 0) continue;
    found?.add(name);
    const prev = into.get(name);
    into.set(name, prev ? addQuantities(prev, q) : q);
  }
}

export function computePodQOS(pod: Obj): QOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const spec = pod?.spec ?? {};
  // Pod-level resources (PodLevelResources, alpha in 1.32+) decide alone when set.
  if (spec.resources?.requests || spec.resources?.limits) {
    const found = new Set<string>();
    accumulate(requests, spec.resources.requests);
    accumulate(limits, spec.resources.limits, found);
    if (!(found.has('cpu') && found.has('memory'))) guaranteed = false;
  } else {
    for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
      const found = new Set<string>();
      accumulate(requests, c?.resources?.requests);
      accumulate(limits, c?.resources?.limits, found);
      if (!(found.has('cpu') && found.has('memory'))) guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantities(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
