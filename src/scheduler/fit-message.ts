// The "0/N nodes are available: ..." sentence of upstream's FitError, shared by the framework and
// preemption.
import type { Status } from './types.js';

/** "0/N nodes are available: <count> <reason>, ...." over the statuses given. */
export function nodesAvailableMessage(
  numAllNodes: number,
  nodeToStatus: Map<string, Status>,
  preFilterStatus?: Status,
): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterStatus) return `${msg} ${preFilterStatus.message()}.`;
  const histogram = new Map<string, number>();
  for (const s of nodeToStatus.values())
    for (const r of s.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  const parts = [...histogram].map(([r, n]) => `${n} ${r}`).sort();
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  return msg;
}
