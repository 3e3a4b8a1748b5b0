// NodeResourcesFit: the node must have room for the pod's requests (cpu, memory, ephemeral-storage,
// extended resources) and one more pod; scoring favours the least (default) or most allocated node
// over cpu and memory, computed with the non-zero request defaults.
import { MAX_NODE_SCORE, type NodeInfo, type Plugin, type PodInfo, Status } from '../types.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

export interface NodeResourcesFitArgs {
  scoringStrategy?: ScoringStrategy;
  /** Resources and weights the score averages over (default cpu and memory, weight 1). */
  resources?: { name: string; weight: number }[];
}

/** Does the pod fit? The allocation-free check run first on every node; reasons only when it fails. */
function fits(pi: PodInfo, node: NodeInfo): boolean {
  if (node.pods.size + 1 > (node.allocatable.pods ?? 0)) return false;
  const list = pi.requestList;
  for (let i = 0; i < list.length; i++) {
    const { name, amount } = list[i];
    if (amount > (node.allocatable[name] ?? 0) - (node.requested[name] ?? 0)) return false;
  }
  return true;
}

/** The reasons a pod does not fit, in upstream's order and wording. */
export function insufficientResources(pi: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  const allowedPods = node.allocatable.pods ?? 0;
  if (node.pods.size + 1 > allowedPods) reasons.push('Too many pods');
  const req = pi.requests;
  for (const name of ['cpu', 'memory', 'ephemeral-storage']) {
    const want = req[name] ?? 0;
    if (want > 0 && want > (node.allocatable[name] ?? 0) - (node.requested[name] ?? 0))
      reasons.push(`Insufficient ${name}`);
  }
  for (const [name, want] of Object.entries(req)) {
    if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name === 'pods') continue;
    if (want > 0 && want > (node.allocatable[name] ?? 0) - (node.requested[name] ?? 0))
      reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

function requestedFor(pi: PodInfo, node: NodeInfo, name: string): number {
  if (name === 'cpu') return node.nonZeroRequested.cpu + pi.nonZero.cpu;
  if (name === 'memory') return node.nonZeroRequested.memory + pi.nonZero.memory;
  return (node.requested[name] ?? 0) + (pi.requests[name] ?? 0);
}

export function allocationScore(
  pi: PodInfo,
  node: NodeInfo,
  strategy: ScoringStrategy,
  resources: { name: string; weight: number }[],
): number {
  let sum = 0;
  let weights = 0;
  for (const { name, weight } of resources) {
    const alloc = node.allocatable[name] ?? 0;
    if (alloc === 0) continue;
    const used = requestedFor(pi, node, name);
    let s: number;
    if (strategy === 'LeastAllocated')
      s = used > alloc ? 0 : Math.floor(((alloc - used) * MAX_NODE_SCORE) / alloc);
    else s = used > alloc ? 0 : Math.floor((used * MAX_NODE_SCORE) / alloc);
    sum += s * weight;
    weights += weight;
  }
  return weights === 0 ? 0 : Math.floor(sum / weights);
}

export function nodeResourcesFit(args: NodeResourcesFitArgs = {}): Plugin {
  const strategy = args.scoringStrategy ?? 'LeastAllocated';
  const resources = args.resources ?? [
    { name: 'cpu', weight: 1 },
    { name: 'memory', weight: 1 },
  ];
  return {
    name: NODE_RESOURCES_FIT,
    filter(_s, _pod, pi, node) {
      if (fits(pi, node)) return undefined;
      const reasons = insufficientResources(pi, node);
      return reasons.length ? Status.unschedulable(...reasons) : undefined;
    },
    score(_s, _pod, pi, node) {
      return allocationScore(pi, node, strategy, resources);
    },
  };
}
