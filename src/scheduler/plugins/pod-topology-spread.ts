// PodTopologySpread: DoNotSchedule constraints reject a node when placing the pod there would make the
// number of matching pods in its domain exceed the least-loaded domain by more than maxSkew (minDomains
// counts missing domains as empty); ScheduleAnyway constraints score nodes in emptier domains higher.
// Eligible nodes honour the pod's node affinity (nodeAffinityPolicy, default Honor) and optionally its
// taint tolerations (nodeTaintsPolicy, default Ignore). A pod with no constraints of its own gets the
// default constraints (upstream's System defaults: hostname maxSkew 3 and zone maxSkew 5, both
// ScheduleAnyway) over the labels of the Services, ReplicationControllers, ReplicaSets and StatefulSets
// that own or select it; a pod nothing selects gets none.
import { type LabelMatcher, selectorMatcher, selectorMatches } from '../selector.js';
import {
  type CycleState,
  MAX_NODE_SCORE,
  type NodeInfo,
  type Plugin,
  type Pod,
  type PodInfo,
  Status,
} from '../types.js';
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

/** A constraint without a selector, as configured in the plugin args (upstream's defaultConstraints). */
export interface DefaultConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
}

/** Upstream's system default constraints (defaultingType System). */
export const SYSTEM_DEFAULT_CONSTRAINTS: DefaultConstraint[] = [
  { topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

export interface PodTopologySpreadArgs {
  /** System (default): SYSTEM_DEFAULT_CONSTRAINTS; List: `defaultConstraints` (may be empty). */
  defaultingType?: 'System' | 'List';
  defaultConstraints?: DefaultConstraint[];
}

/** The label selector of what owns or selects the pod (upstream's helper.DefaultSelector), if any. */
export type DefaultSelectorFunc = (pod: Pod) => any | undefined;

interface SpreadState {
  constraints: Constraint[];
  /** Nodes missing one constraint's key are left out of every count (not so for system defaults). */
  requireAllTopologies: boolean;
  /** per constraint: domain value -> matching pods */
  counts: Map<string, number>[];
  /** per constraint: the global minimum (0 when fewer domains than minDomains) */
  mins?: number[];
}

function constraintsOf(pod: Pod, when: string, defaults?: () => any[]): Constraint[] {
  const labels = pod.metadata?.labels ?? {};
  const own: any[] = pod.spec?.topologySpreadConstraints ?? [];
  return (own.length ? own : (defaults?.() ?? []))
    .filter((c: any) => c.whenUnsatisfiable === when)
    .map((c: any) => ({
      maxSkew: c.maxSkew ?? 1,
      topologyKey: c.topologyKey,
      selector: c.labelSelector,
      minDomains: c.minDomains ?? 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
      selfMatch: c.labelSelector && selectorMatches(c.labelSelector, labels) ? 1 : 0,
    }));
}

const NO_LABELS: Record<string, string> = {};

function matchingPods(node: NodeInfo, namespace: string, matches: LabelMatcher): number {
  let n = 0;
  for (const pi of node.pods.values()) {
    const m = pi.pod.metadata;
    if (m?.namespace !== namespace || m?.deletionTimestamp) continue;
    if (matches(m?.labels ?? NO_LABELS)) n++;
  }
  return n;
}

function hasAllKeys(labels: Record<string, string>, constraints: Constraint[]): boolean {
  for (let i = 0; i < constraints.length; i++)
    if (!Object.hasOwn(labels, constraints[i].topologyKey)) return false;
  return true;
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

function countDomains(
  pod: Pod,
  constraints: Constraint[],
  nodes: NodeInfo[],
  requireAllTopologies = true,
): Map<string, number>[] {
  const ns = pod.metadata?.namespace ?? '';
  const hasNodeAffinity = !!(pod.spec?.nodeSelector || pod.spec?.affinity?.nodeAffinity);
  return constraints.map((c) => {
    const counts = new Map<string, number>();
    const checkAll = requireAllTopologies && constraints.length > 1;
    const matches = selectorMatcher(c.selector);
    const checkEligible = hasNodeAffinity || c.honorTaints;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const labels: Record<string, string> = node.node.metadata?.labels ?? NO_LABELS;
      // Upstream only counts nodes that carry every constraint's key (each one's own key for system
      // default constraints).
      const v = labels[c.topologyKey];
      if (typeof v !== 'string' || !Object.hasOwn(labels, c.topologyKey)) continue;
      if (checkAll && !hasAllKeys(labels, constraints)) continue;
      if (checkEligible && !eligible(pod, c, node, hasNodeAffinity)) continue;
      const n = node.pods.size ? matchingPods(node, ns, matches) : 0;
      counts.set(v, (counts.get(v) ?? 0) + n);
    }
    return counts;
  });
}

const FILTER_KEY = 'PodTopologySpread/filter';
/** Raw score of a node the constraints ignore (missing a topology key); normalized to 0. */
const IGNORED = -1;
const SCORE_KEY = 'PodTopologySpread/score';

function globalMins(s: SpreadState): number[] {
  return s.constraints.map((c, i) => {
    let min = Number.POSITIVE_INFINITY;
    for (const v of s.counts[i].values()) if (v < min) min = v;
    return min === Number.POSITIVE_INFINITY || s.counts[i].size < c.minDomains ? 0 : min;
  });
}

/** Counts `other` on `node` in or out (delta +-1) of the filter state, as upstream's updateWithPod. */
function updateWithPod(state: CycleState, pod: Pod, other: PodInfo, node: NodeInfo, delta: number): void {
  const s = state.get(FILTER_KEY) as SpreadState | undefined;
  const p = other.pod;
  if (!s || !node.node || p.metadata?.namespace !== pod.metadata?.namespace || p.metadata?.deletionTimestamp)
    return;
  const labels = node.node.metadata?.labels ?? {};
  if (!s.constraints.every((c) => Object.hasOwn(labels, c.topologyKey))) return;
  const hasNodeAffinity = !!(pod.spec?.nodeSelector || pod.spec?.affinity?.nodeAffinity);
  const podLabels = p.metadata?.labels ?? {};
  s.constraints.forEach((c, i) => {
    if (!eligible(pod, c, node, hasNodeAffinity) || !selectorMatches(c.selector, podLabels)) return;
    const v = labels[c.topologyKey];
    s.counts[i].set(v, (s.counts[i].get(v) ?? 0) + delta);
  });
  s.mins = globalMins(s);
}

/** The constraints a pod without its own gets, with the selector of what owns or selects it. */
function defaultConstraintsFor(
  pod: Pod,
  configured: DefaultConstraint[],
  defaultSelector?: DefaultSelectorFunc,
): any[] {
  if (configured.length === 0 || !defaultSelector) return [];
  const selector = defaultSelector(pod);
  if (!selector) return [];
  return configured.map((c) => ({ ...c, labelSelector: selector }));
}

export function podTopologySpread(
  args: PodTopologySpreadArgs = {},
  defaultSelector?: DefaultSelectorFunc,
): Plugin {
  const configured =
    (args.defaultingType ?? 'System') === 'System'
      ? SYSTEM_DEFAULT_CONSTRAINTS
      : (args.defaultConstraints ?? []);
  const systemDefaulted = (args.defaultingType ?? 'System') === 'System';
  const defaults = (pod: Pod) => () => defaultConstraintsFor(pod, configured, defaultSelector);
  return {
    name: POD_TOPOLOGY_SPREAD,
    preFilter(state: CycleState, pod, _pi, nodes) {
      const constraints = constraintsOf(pod, 'DoNotSchedule', defaults(pod));
      if (constraints.length === 0) return undefined;
      const counts = countDomains(pod, constraints, nodes);
      const s: SpreadState = { constraints, counts, requireAllTopologies: true };
      s.mins = globalMins(s);
      state.set(FILTER_KEY, s);
      return undefined;
    },
    preFilterMemoKey(pod) {
      // Only the pod's own constraints: defaults depend on Services and controllers, which no pod
      // change reports.
      const own: any[] = pod.spec?.topologySpreadConstraints ?? [];
      if (!own.some((c) => c.whenUnsatisfiable === 'DoNotSchedule')) return undefined;
      const spec = pod.spec;
      return JSON.stringify([
        pod.metadata?.namespace,
        pod.metadata?.labels,
        own,
        spec.nodeSelector,
        spec.affinity?.nodeAffinity,
        spec.tolerations,
      ]);
    },
    addPod(state, pod, added, node) {
      updateWithPod(state, pod, added, node, 1);
    },
    removePod(state, pod, removed, node) {
      updateWithPod(state, pod, removed, node, -1);
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
        const own = (pod.spec?.topologySpreadConstraints ?? []).length > 0;
        const constraints = constraintsOf(pod, 'ScheduleAnyway', defaults(pod));
        // System defaults do not ignore nodes that lack one of the keys (upstream's requireAllTopologies).
        const requireAllTopologies = own || !systemDefaulted;
        // Counted over every node the cache knows (upstream counts all nodes, not just feasible ones).
        s = constraints.length
          ? {
              constraints,
              requireAllTopologies,
              counts: countDomains(pod, constraints, allNodes(state), requireAllTopologies),
            }
          : null;
        state.set(SCORE_KEY, s);
      }
      if (!s) return 0;
      const labels = node.node.metadata?.labels ?? {};
      let score = 0;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i];
        if (!Object.hasOwn(labels, c.topologyKey)) {
          if (s.requireAllTopologies) return IGNORED; // upstream ignores the node: it scores 0
          continue;
        }
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
        if (s === IGNORED) continue;
        max = Math.max(max, s);
        min = Math.min(min, s);
      }
      for (let i = 0; i < scores.length; i++) {
        if (scores[i] === IGNORED) scores[i] = 0;
        else
          scores[i] =
            max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - scores[i])) / max);
      }
    },
  };
}

/** The framework stores the full node list here for plugins that score against all nodes. */
export const ALL_NODES_KEY = 'framework/allNodes';
/** ...and, when the cache knows it, the nodes running pods with pod affinity or anti-affinity. */
export const AFFINITY_NODES_KEY = 'framework/affinityNodes';
function allNodes(state: CycleState): NodeInfo[] {
  return (state.get(ALL_NODES_KEY) as NodeInfo[] | undefined) ?? [];
}
