// InterPodAffinity: required pod affinity (a matching pod must run in the node's topology domain; the
// first pod of a group that matches its own terms may go anywhere), required anti-affinity (no matching
// pod in the domain), the anti-affinity of pods already running (they must not end up sharing a domain
// with a pod they repel), and preferred terms as a score. Terms select pods by labels within namespaces
// (the owner's by default, `namespaces`, or `namespaceSelector` over namespace labels).
import { isEmptyLabelSelector } from '../../api/labels.js';
import { selectorMatches } from '../selector.js';
import { type CycleState, MAX_NODE_SCORE, type NodeInfo, type Plugin, type Pod, Status } from '../types.js';
import { AFFINITY_NODES_KEY, ALL_NODES_KEY } from './pod-topology-spread.js';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

export interface AffinityTerm {
  labelSelector?: any;
  namespaces?: string[];
  namespaceSelector?: any;
  topologyKey: string;
}

/** Does `term`, owned by `owner`, select `pod`? */
export function termSelects(term: AffinityTerm, owner: Pod, pod: Pod, nsLabels: NamespaceLabels): boolean {
  const ns = pod.metadata?.namespace ?? '';
  const names = term.namespaces ?? [];
  let nsOk: boolean;
  if (names.length === 0 && !term.namespaceSelector) nsOk = ns === owner.metadata?.namespace;
  else {
    nsOk = names.includes(ns);
    if (!nsOk && term.namespaceSelector) {
      nsOk = isEmptyLabelSelector(term.namespaceSelector)
        ? true
        : selectorMatches(term.namespaceSelector, nsLabels(ns));
    }
  }
  if (!nsOk || !term.labelSelector) return false;
  return selectorMatches(term.labelSelector, pod.metadata?.labels);
}

const required = (pod: Pod, kind: 'podAffinity' | 'podAntiAffinity'): AffinityTerm[] =>
  pod.spec?.affinity?.[kind]?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
const preferred = (
  pod: Pod,
  kind: 'podAffinity' | 'podAntiAffinity',
): { weight: number; podAffinityTerm: AffinityTerm }[] =>
  pod.spec?.affinity?.[kind]?.preferredDuringSchedulingIgnoredDuringExecution ?? [];

const pair = (key: string, value: string) => `${key}\x00${value}`;

/** Adds `by` at key/value, dropping entries that reach zero. */
function bumpNested(m: Map<string, Map<string, number>>, key: string, value: string, by: number): void {
  let inner = m.get(key);
  if (!inner) {
    if (by <= 0) return;
    inner = new Map();
    m.set(key, inner);
  }
  const n = (inner.get(value) ?? 0) + by;
  if (n > 0) inner.set(value, n);
  else {
    inner.delete(value);
    if (inner.size === 0) m.delete(key);
  }
}

function bump(m: Map<string, number>, k: string, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

interface FilterState {
  /** topology key -> value -> running pods whose required anti-affinity selects the incoming pod. */
  existingAnti: Map<string, Map<string, number>>;
  /** per own term: topology value (of the term's key) -> matching pods. */
  affinity: Map<string, number>[];
  anti: Map<string, number>[];
  affinityTerms: AffinityTerm[];
  antiTerms: AffinityTerm[];
  /** No pod anywhere matches the affinity terms, and the pod matches them itself. */
  firstOfGroup: boolean;
}

const FILTER_KEY = 'InterPodAffinity/filter';
const SCORE_KEY = 'InterPodAffinity/score';

export function interPodAffinity(args: { namespaceLabels?: NamespaceLabels } = {}): Plugin {
  const nsLabels: NamespaceLabels = args.namespaceLabels ?? (() => undefined);
  return {
    name: INTER_POD_AFFINITY,
    preFilter(state: CycleState, pod, _pi, nodes) {
      const affinityTerms = required(pod, 'podAffinity');
      const antiTerms = required(pod, 'podAntiAffinity');
      const s: FilterState = {
        existingAnti: new Map(),
        affinity: affinityTerms.map(() => new Map()),
        anti: antiTerms.map(() => new Map()),
        affinityTerms,
        antiTerms,
        firstOfGroup: false,
      };
      let anyAffinityMatch = false;
      // Without terms of its own, only running pods with (anti-)affinity can matter.
      const ownTerms = affinityTerms.length > 0 || antiTerms.length > 0;
      // ...so visit just the nodes that run such pods, when the cache told us.
      const visit = ownTerms ? nodes : ((state.get(AFFINITY_NODES_KEY) as NodeInfo[] | undefined) ?? nodes);
      for (let n = 0; n < visit.length; n++) {
        const node = visit[n];
        const pods = ownTerms ? node.pods : node.podsWithAffinity;
        if (pods.size === 0) continue;
        const labels = node.node.metadata?.labels ?? {};
        for (const pi of pods.values()) {
          const other = pi.pod;
          if (other.spec?.affinity?.podAntiAffinity)
            for (const t of required(other, 'podAntiAffinity'))
              if (Object.hasOwn(labels, t.topologyKey) && termSelects(t, other, pod, nsLabels))
                bumpNested(s.existingAnti, t.topologyKey, labels[t.topologyKey], 1);
          for (let i = 0; i < affinityTerms.length; i++) {
            const t = affinityTerms[i];
            if (!termSelects(t, pod, other, nsLabels)) continue;
            anyAffinityMatch = true;
            if (Object.hasOwn(labels, t.topologyKey)) bump(s.affinity[i], labels[t.topologyKey]);
          }
          for (let i = 0; i < antiTerms.length; i++) {
            const t = antiTerms[i];
            if (Object.hasOwn(labels, t.topologyKey) && termSelects(t, pod, other, nsLabels))
              bump(s.anti[i], labels[t.topologyKey]);
          }
        }
      }
      s.firstOfGroup =
        affinityTerms.length > 0 &&
        !anyAffinityMatch &&
        affinityTerms.every((t) => termSelects(t, pod, pod, nsLabels));
      if (ownTerms || s.existingAnti.size) state.set(FILTER_KEY, s);
      return undefined;
    },
    preFilterMemoKey(pod) {
      // Required affinity also decides "first of its group", which the per-pod updates do not track.
      if (required(pod, 'podAffinity').length) return undefined;
      const anti = required(pod, 'podAntiAffinity');
      if (anti.some((t) => t.namespaceSelector)) return undefined;
      return JSON.stringify([pod.metadata?.namespace, pod.metadata?.labels, anti]);
    },
    addPod(state, pod, added, node) {
      updateWithPod(state, pod, added.pod, node, 1, nsLabels);
    },
    removePod(state, pod, removed, node) {
      updateWithPod(state, pod, removed.pod, node, -1, nsLabels);
    },
    filter(state, _pod, _pi, node) {
      const s = state.get(FILTER_KEY) as FilterState | undefined;
      if (!s) return undefined;
      const labels = node.node.metadata?.labels ?? {};
      if (!s.firstOfGroup) {
        for (let i = 0; i < s.affinityTerms.length; i++) {
          const key = s.affinityTerms[i].topologyKey;
          if (!Object.hasOwn(labels, key) || !s.affinity[i].get(labels[key]))
            return Status.unresolvable(REASON_AFFINITY);
        }
      } else {
        for (const t of s.affinityTerms)
          if (!Object.hasOwn(labels, t.topologyKey)) return Status.unresolvable(REASON_AFFINITY);
      }
      for (let i = 0; i < s.antiTerms.length; i++) {
        const key = s.antiTerms[i].topologyKey;
        if (Object.hasOwn(labels, key) && s.anti[i].get(labels[key]))
          return Status.unschedulable(REASON_ANTI_AFFINITY);
      }
      // Checked last, as upstream: affinity, then anti-affinity, then running pods' anti-affinity.
      if (s.existingAnti.size) {
        for (const [key, values] of s.existingAnti) {
          const v = labels[key];
          if (typeof v === 'string' && Object.hasOwn(labels, key) && (values.get(v) ?? 0) > 0)
            return Status.unschedulable(REASON_EXISTING_ANTI_AFFINITY);
        }
      }
      return undefined;
    },
    score(state, pod, _pi, node) {
      let scores = state.get(SCORE_KEY) as Map<string, number> | undefined;
      if (!scores) {
        scores = preferredScores(
          pod,
          (state.get(ALL_NODES_KEY) as NodeInfo[]) ?? [],
          state.get(AFFINITY_NODES_KEY) as NodeInfo[] | undefined,
          nsLabels,
        );
        state.set(SCORE_KEY, scores);
      }
      if (scores.size === 0) return 0;
      let total = 0;
      for (const [k, v] of Object.entries<string>(node.node.metadata?.labels ?? {}))
        total += scores.get(pair(k, v)) ?? 0;
      return total;
    },
    normalizeScore(_state, _pod, scores) {
      let max = Number.NEGATIVE_INFINITY;
      let min = Number.POSITIVE_INFINITY;
      for (const s of scores) {
        max = Math.max(max, s);
        min = Math.min(min, s);
      }
      for (let i = 0; i < scores.length; i++)
        scores[i] = max > min ? Math.floor((MAX_NODE_SCORE * (scores[i] - min)) / (max - min)) : 0;
    },
  };
}

/** Topology pair -> summed weights of preferred terms, the incoming pod's and those of running pods. */
const KINDS = [
  ['podAffinity', 1],
  ['podAntiAffinity', -1],
] as const;

function preferredScores(
  pod: Pod,
  nodes: NodeInfo[],
  affinityNodes: NodeInfo[] | undefined,
  nsLabels: NamespaceLabels,
): Map<string, number> {
  const out = new Map<string, number>();
  const mine = [
    ...preferred(pod, 'podAffinity').map((p) => ({ ...p, sign: 1 })),
    ...preferred(pod, 'podAntiAffinity').map((p) => ({ ...p, sign: -1 })),
  ];
  for (const node of mine.length ? nodes : (affinityNodes ?? nodes)) {
    const labels = node.node.metadata?.labels ?? {};
    const pods = mine.length ? node.pods : node.podsWithAffinity;
    if (pods.size === 0) continue;
    for (const pi of pods.values()) {
      const other = pi.pod;
      for (const { weight, podAffinityTerm: t, sign } of mine)
        if (Object.hasOwn(labels, t.topologyKey) && termSelects(t, pod, other, nsLabels))
          bump(out, pair(t.topologyKey, labels[t.topologyKey]), sign * weight);
      const a = other.spec?.affinity;
      if (
        !a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution &&
        !a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution
      )
        continue;
      for (const [kind, sign] of KINDS)
        for (const { weight, podAffinityTerm: t } of preferred(other, kind))
          if (Object.hasOwn(labels, t.topologyKey) && termSelects(t, other, pod, nsLabels))
            bump(out, pair(t.topologyKey, labels[t.topologyKey]), sign * weight);
    }
  }
  return out;
}

/** Adds (delta 1) or removes (-1) `other` on `node` in the pre-filter counts (upstream's updateWithPod). */
function updateWithPod(
  state: CycleState,
  pod: Pod,
  other: Pod,
  node: NodeInfo,
  delta: number,
  nsLabels: NamespaceLabels,
): void {
  let s = state.get(FILTER_KEY) as FilterState | undefined;
  const labels = node.node?.metadata?.labels ?? {};
  const adjust = (m: Map<string, number>, k: string) => {
    const v = (m.get(k) ?? 0) + delta;
    if (v > 0) m.set(k, v);
    else m.delete(k);
  };
  const existingAnti = required(other, 'podAntiAffinity').filter(
    (t) => Object.hasOwn(labels, t.topologyKey) && termSelects(t, other, pod, nsLabels),
  );
  if (!s) {
    // No state means no terms of its own and no existing anti-affinity: only an added pod matters.
    if (delta < 0 || existingAnti.length === 0) return;
    s = {
      existingAnti: new Map(),
      affinity: [],
      anti: [],
      affinityTerms: [],
      antiTerms: [],
      firstOfGroup: false,
    };
    state.set(FILTER_KEY, s);
  }
  for (const t of existingAnti) bumpNested(s.existingAnti, t.topologyKey, labels[t.topologyKey], delta);
  s.affinityTerms.forEach((t, i) => {
    if (Object.hasOwn(labels, t.topologyKey) && termSelects(t, pod, other, nsLabels))
      adjust(s.affinity[i], labels[t.topologyKey]);
  });
  s.antiTerms.forEach((t, i) => {
    if (Object.hasOwn(labels, t.topologyKey) && termSelects(t, pod, other, nsLabels))
      adjust(s.anti[i], labels[t.topologyKey]);
  });
}
