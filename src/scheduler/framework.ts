// The scheduling framework: runs the configured plugins over the cache's nodes for one pod
// (pre-filter, filter, score with normalization and weights) and picks the best node, or explains
// why none fits in upstream's words.

import { buildPlugins, defaultProfile, pluginRegistry, type SchedulerProfile } from './plugins/index.js';
import type { NamespaceLabels } from './plugins/inter-pod-affinity.js';
import { ALL_NODES_KEY } from './plugins/pod-topology-spread.js';
import { newPodInfo } from './resources.js';
import { type CycleState, MAX_NODE_SCORE, type NodeInfo, type Plugin, type Pod, Status } from './types.js';

export interface Diagnosis {
  numAllNodes: number;
  /** node name -> the status that rejected it. */
  nodeToStatus: Map<string, Status>;
  /** Set when a pre-filter rejected the pod for every node. */
  preFilterStatus?: Status;
}

export type ScheduleResult =
  | { ok: true; nodeName: string; evaluatedNodes: number; feasibleNodes: number }
  | { ok: false; error: true; status: Status }
  | { ok: false; error: false; diagnosis: Diagnosis };

export interface FrameworkOptions {
  profile?: SchedulerProfile;
  /** Random source for tie-breaking between equal best scores (tests pass a fixed one). */
  random?: () => number;
  /** Namespace labels for namespaceSelector in pod affinity terms. */
  namespaceLabels?: NamespaceLabels;
  /** Share of nodes to find feasible before scoring (default: upstream's adaptive 50% - n/125, min 5%). */
  percentageOfNodesToScore?: number;
}

/** Upstream's numFeasibleNodesToFind: all nodes below 100, else an adaptive share, at least 100. */
export function numFeasibleNodesToFind(numNodes: number, percentage?: number): number {
  if (numNodes < 100 || percentage === 100) return numNodes;
  let pct = percentage ?? 0;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(numNodes / 125));
  const n = Math.floor((numNodes * pct) / 100);
  return Math.max(100, n);
}

export class Framework {
  readonly profile: SchedulerProfile;
  private readonly plugins: { plugin: Plugin; weight: number }[];
  private readonly random: () => number;
  private readonly percentageOfNodesToScore?: number;
  private nextStartNodeIndex = 0;

  constructor(opts: FrameworkOptions = {}) {
    this.profile = opts.profile ?? defaultProfile;
    this.plugins = buildPlugins(this.profile, pluginRegistry, { namespaceLabels: opts.namespaceLabels });
    this.random = opts.random ?? Math.random;
    this.percentageOfNodesToScore = opts.percentageOfNodesToScore;
  }

  /** Runs one scheduling attempt of `pod` against `nodes`. Never throws: plugin errors become Error. */
  schedule(pod: Pod, nodes: NodeInfo[]): ScheduleResult {
    const state: CycleState = new Map([[ALL_NODES_KEY, nodes]]);
    const pi = newPodInfo(pod);
    const diagnosis: Diagnosis = { numAllNodes: nodes.length, nodeToStatus: new Map() };
    if (nodes.length === 0) return { ok: false, error: false, diagnosis };
    try {
      for (const { plugin } of this.plugins) {
        const s = plugin.preFilter?.(state, pod, pi, nodes);
        if (!s) continue;
        s.plugin = plugin.name;
        if (s.code === 'Error') return { ok: false, error: true, status: s };
        diagnosis.preFilterStatus = s;
        for (const n of nodes) diagnosis.nodeToStatus.set(n.name, s);
        return { ok: false, error: false, diagnosis };
      }

      // Like upstream, stop filtering once enough feasible nodes are found, starting each pod where the
      // previous one stopped so every node gets its turn.
      const want = numFeasibleNodesToFind(nodes.length, this.percentageOfNodesToScore);
      const feasible: NodeInfo[] = [];
      let evaluated = 0;
      const start = this.nextStartNodeIndex % nodes.length;
      for (; evaluated < nodes.length && feasible.length < want; evaluated++) {
        const node = nodes[(start + evaluated) % nodes.length];
        const s = this.runFilters(state, pod, pi, node);
        if (!s) feasible.push(node);
        else if (s.code === 'Error') return { ok: false, error: true, status: s };
        else diagnosis.nodeToStatus.set(node.name, s);
      }
      this.nextStartNodeIndex = (start + evaluated) % nodes.length;
      if (feasible.length === 0) return { ok: false, error: false, diagnosis };
      const base = { ok: true as const, evaluatedNodes: evaluated, feasibleNodes: feasible.length };
      if (feasible.length === 1) return { ...base, nodeName: feasible[0].name };

      const totals = this.score(state, pod, pi, feasible);
      return { ...base, nodeName: feasible[this.pickBest(totals)].name };
    } catch (err) {
      return { ok: false, error: true, status: Status.error((err as Error).message ?? String(err)) };
    }
  }

  /** The first rejecting filter's status (upstream stops at the first failing plugin per node). */
  runFilters(
    state: CycleState,
    pod: Pod,
    pi: ReturnType<typeof newPodInfo>,
    node: NodeInfo,
  ): Status | undefined {
    for (const { plugin } of this.plugins) {
      const s = plugin.filter?.(state, pod, pi, node);
      if (s) {
        s.plugin = plugin.name;
        return s;
      }
    }
    return undefined;
  }

  /** Weighted sum over score plugins of each plugin's normalized (0..100) score per node. */
  score(state: CycleState, pod: Pod, pi: ReturnType<typeof newPodInfo>, nodes: NodeInfo[]): number[] {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const { plugin, weight } of this.plugins) {
      if (!plugin.score || weight === 0) continue;
      const scores = nodes.map((n) => plugin.score!(state, pod, pi, n));
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < scores.length; i++) {
        const s = scores[i];
        if (!(s >= 0 && s <= MAX_NODE_SCORE))
          throw new Error(`plugin ${plugin.name} returned score ${s} outside 0..${MAX_NODE_SCORE}`);
        totals[i] += s * weight;
      }
    }
    return totals;
  }

  /** Index of a highest total, chosen uniformly among ties (reservoir sampling, as upstream). */
  private pickBest(totals: number[]): number {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return best;
  }
}

/**
 * Upstream's FitError message: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated
 * taint {k: v}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
 * (reasons counted per node, sorted as strings). This scheduler does not preempt, so the preemption
 * part says why preemption would not help: unresolvable nodes, and no victims on the others.
 */
export function fitErrorMessage(d: Diagnosis): string {
  // With no nodes at all upstream says so plainly (ErrNoNodesAvailable).
  if (d.numAllNodes === 0) return 'no nodes available to schedule pods';
  let msg = `0/${d.numAllNodes} nodes are available`;
  msg += ':';
  if (d.preFilterStatus) {
    msg += ` ${d.preFilterStatus.message()}.`;
  } else {
    const histogram = new Map<string, number>();
    for (const s of d.nodeToStatus.values())
      for (const r of s.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
    const parts = [...histogram].map(([r, n]) => `${n} ${r}`).sort();
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  let unresolvable = 0;
  let noVictims = 0;
  for (const s of d.nodeToStatus.values()) {
    if (s.code === 'UnschedulableAndUnresolvable') unresolvable++;
    else noVictims++;
  }
  const pre: string[] = [];
  if (noVictims) pre.push(`${noVictims} No preemption victims found for incoming pod`);
  if (unresolvable) pre.push(`${unresolvable} Preemption is not helpful for scheduling`);
  msg += ` preemption: 0/${d.numAllNodes} nodes are available: ${pre.sort().join(', ')}.`;
  return msg;
}
