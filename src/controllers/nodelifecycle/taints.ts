// Taints the node controllers own, toleration matching, and taint changes written through the API.
import { isConflict, isNotFound, NODES, type RestClient } from '../../client/index.js';

type Obj = Record<string, any>;

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NOT_READY, effect: 'NoExecute' };
export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };

/** Node condition type -> status -> the NoSchedule taint key it implies (upstream's map). */
export const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
};

/** Index name and function for pods by spec.nodeName, shared by the node controllers. */
export const POD_NODE_INDEX = 'spec.nodeName';
export const podNodeIndexer = { [POD_NODE_INDEX]: (p: Obj) => (p.spec?.nodeName ? [p.spec.nodeName] : []) };

/** Same key and effect (what upstream's MatchTaint compares). */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function hasTaint(node: Obj, t: Taint): boolean {
  return (node.spec?.taints ?? []).some((x: Taint) => sameTaint(x, t));
}

/** Upstream's ToleratesTaint. */
export function tolerates(tol: Obj, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  const op = tol.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (tol.value ?? '') === (taint.value ?? '');
  return false;
}

export function condition(obj: Obj, type: string): Obj | undefined {
  return (obj.status?.conditions ?? []).find((c: Obj) => c.type === type);
}

/**
 * Adds `add` (stamped with timeAdded) and removes `remove` on the live node, retrying on conflicts as
 * upstream's SwapNodeControllerTaint does. Returns the updated node, or undefined when it is gone.
 */
export async function swapTaints(
  rest: RestClient,
  nodeName: string,
  add: Taint[],
  remove: Taint[],
  now: () => number,
): Promise<Obj | undefined> {
  const nodes = rest.resource<Obj>(NODES);
  for (let attempt = 0; ; attempt++) {
    let node: Obj;
    try {
      node = await nodes.get(nodeName);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const old: Taint[] = node.spec?.taints ?? [];
    let next = old.filter((t) => !remove.some((r) => sameTaint(r, t)));
    const stamp = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const t of add) {
      if (next.some((x) => sameTaint(x, t))) continue;
      next = [...next, { ...t, timeAdded: stamp }];
    }
    if (next.length === old.length && next.every((t, i) => t === old[i])) return node;
    node.spec = { ...node.spec, taints: next };
    if (next.length === 0) delete node.spec.taints;
    try {
      return await nodes.update(node);
    } catch (err) {
      if (!isConflict(err) || attempt >= 4) throw err;
    }
  }
}
