// NodeResourcesBalancedAllocation: prefer nodes where cpu and memory would be used in similar
// fractions: score = (1 - standard deviation of the fractions) * 100.
import { MAX_NODE_SCORE, type NodeInfo, type Plugin, type PodInfo } from '../types.js';

export const BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

export function balancedScore(pi: PodInfo, node: NodeInfo): number {
  const fractions: number[] = [];
  for (const name of ['cpu', 'memory'] as const) {
    const alloc = node.allocatable[name] ?? 0;
    if (alloc === 0) continue;
    const used = node.nonZeroRequested[name] + pi.nonZero[name];
    fractions.push(Math.min(1, used / alloc));
  }
  if (fractions.length < 2) return MAX_NODE_SCORE;
  const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
  const variance = fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length;
  return Math.floor((1 - Math.sqrt(variance)) * MAX_NODE_SCORE);
}

export function balancedAllocation(): Plugin {
  return {
    name: BALANCED_ALLOCATION,
    score(_s, _pod, pi, node) {
      return balancedScore(pi, node);
    },
  };
}
