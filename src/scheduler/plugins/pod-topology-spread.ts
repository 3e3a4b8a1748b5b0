// PodTopologySpread: DoNotSchedule constraints reject a node when placing the pod there would make the
// number of matching pods in its domain exceed the least-loaded domain by more than maxSkew (minDomains
// counts missing domains as empty); ScheduleAnyway constraints score nodes in emptier domains higher.
// Eligible nodes honour the pod's node affinity (nodeAffinityPolicy, default Honor) and optionally its
// taint tolerations (nodeTaintsPolicy, default Ignore).
import { matchesLabelSelector } from '../../api/labels.js';
import { type CycleState, MAX_NODE_SCORE, type NodeInfo, type Plugin, type Pod, Status } from '../types.js';
import { requiredAffinityMatches } from './node-affinity.js';
import { untoleratedTaint } from './taint-toleration.js';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const REASON_SPREAD = "node(s) didn't match pod topology spread constraints";
export const REASON_SPREAD_LABEL =
  "node(s) didn't match pod topology spread constraints (missing required label)";

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: any;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
  selfMatch: number;
}

interface SpreadState {
  constraints: Constraint[];
  /** per constraint: domain value -> matching pods */
  counts: Map<string, number>[];
  /** per constraint: the global minimum (0 when fewer domains than minDomains) */
  mins?: number[];
}

function constraintsOf(pod: Pod, when: string): Constraint[] {
  const labels = pod.metadata?.labels ?? {};
  return (pod.spec?.topologySpreadConstraints ?? [])
    .filter((c: any) => c.whenUnsatisfiable === when)
    .map((c: any) => ({
      maxSkew: c.maxSkew ?? 1,
      topologyKey: c.topologyKey,
      selector: c.labelSelector,
      minDomains: c.minDomains ?? 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
      selfMatch: c.labelSelector && matchesLabelSelector(c.labelSelector, labels) ? 1 : 0,
    }));
}

function matchingPods(node: NodeInfo, namespace: string, selector: any): number {
  let n = 0;
  for (const pi of node.pods.values()) {
    const p = pi.pod;
    if (p.metadata?.namespace !== namespace || p.metadata?.deletionTimestamp) continue;
    if (matchesLabelSelector(selector, p.metadata?.labels ?? {})) n++;
  }
  return n;
}

function eligible(pod: Pod, c: Constraint, node: NodeInfo, hasNodeAffinity: boolean): boolean {
  if (hasNodeAffinity && c.honorAffinity && !requiredAffinityMatches(pod, node.node)) return false;
  if (
    c.honorTaints &&
    untoleratedTaint(node.node.spec?.taints ?? [], pod.spec?.tolerations ?? [], ['NoSchedule', 'NoExecute'])
  )
    return false;
  return true;
}

function countDomains(pod: Pod, constraints: Constraint[], nodes: NodeInfo[]): Map<string, number>[] {
  const ns = pod.metadata?.namespace ?? '';
  const hasNodeAffinity = !!(pod.spec?.nodeSelector || pod.spec?.affinity?.nodeAffinity);
  return constraints.map((c) => {
    const counts = new Map<string, number>();
    for (const node of nodes) {
      const labels = node.node.metadata?.labels ?? {};
      // Upstream only counts nodes that carry every constraint's key.
      if (!constraints.every((k) => Object.hasOwn(labels, k.topologyKey))) continue;
      if (!eligible(pod, c, node, hasNodeAffinity)) continue;
      const v = labels[c.topologyKey];
      const n = node.pods.size ? matchingPods(node, ns, c.selector) : 0;
      counts.set(v, (counts.get(v) ?? 0) + n);
    }
    return counts;
  });
}

const FILTER_KEY = 'PodTopologySpread/filter';
const SCORE_KEY = 'PodTopologySpread/score';

export function podTopologySpread(): Plugin {
  return {
    name: POD_TOPOLOGY_SPREAD,
    preFilter(state: CycleState, pod, _pi, nodes) {
      const constraints = constraintsOf(pod, 'DoNotSchedule');
      if (constraints.length === 0) return undefined;
      const counts = countDomains(pod, constraints, nodes);
      const mins = constraints.map((c, i) => {
        let min = Number.POSITIVE_INFINITY;
        for (const v of counts[i].values()) if (v < min) min = v;
        return min === Number.POSITIVE_INFINITY || counts[i].size < c.minDomains ? 0 : min;
      });
      state.set(FILTER_KEY, { constraints, counts, mins } satisfies SpreadState);
      return undefined;
    },
    filter(state, _pod, _pi, node) {
      const s = state.get(FILTER_KEY) as SpreadState | undefined;
      if (!s) return undefined;
      const labels = node.node.metadata?.labels ?? {};
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i];
        if (!Object.hasOwn(labels, c.topologyKey)) return Status.unresolvable(REASON_SPREAD_LABEL);
        const skew = (s.counts[i].get(labels[c.topologyKey]) ?? 0) + c.selfMatch - s.mins![i];
        if (skew > c.maxSkew) return Status.unschedulable(REASON_SPREAD);
      }
      return undefined;
    },
    score(state, pod, _pi, node) {
      let s = state.get(SCORE_KEY) as SpreadState | null | undefined;
      if (s === undefined) {
        const constraints = constraintsOf(pod, 'ScheduleAnyway');
        // Counted over every node the cache knows (upstream counts all nodes, not just feasible ones).
        s = constraints.length
          ? { constraints, counts: countDomains(pod, constraints, allNodes(state)) }
          : null;
        state.set(SCORE_KEY, s);
      }
      if (!s) return 0;
      const labels = node.node.metadata?.labels ?? {};
      let score = 0;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i];
        if (!Object.hasOwn(labels, c.topologyKey)) return 0;
        const weight = Math.log(s.counts[i].size + 2);
        score += (s.counts[i].get(labels[c.topologyKey]) ?? 0) * weight + c.maxSkew - 1;
      }
      return score;
    },
    normalizeScore(state, _pod, scores) {
      if (!state.get(SCORE_KEY)) {
        scores.fill(0);
        return;
      }
      let max = 0;
      let min = Number.POSITIVE_INFINITY;
      for (const s of scores) {
        max = Math.max(max, s);
        min = Math.min(min, s);
      }
      for (let i = 0; i < scores.length; i++)
        scores[i] = max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - scores[i])) / max);
    },
  };
}

/** The framework stores the full node list here for plugins that score against all nodes. */
export const ALL_NODES_KEY = 'framework/allNodes';
function allNodes(state: CycleState): NodeInfo[] {
  return (state.get(ALL_NODES_KEY) as NodeInfo[] | undefined) ?? [];
}
