// The scheduling framework: runs the configured plugins over the cache's nodes for one pod
// (pre-filter, filter, score with normalization and weights) and picks the best node, or explains
// why none fits in upstream's words.

import { addPodTo, type CacheView, cloneNodeInfo } from './cache.js';
import { nodesAvailableMessage } from './fit-message.js';
import type { Nominator } from './nominator.js';
import type { ImageSpread } from './plugins/image-locality.js';
import {
  buildPlugins,
  defaultProfile,
  type PluginHandle,
  pluginRegistry,
  type SchedulerProfile,
} from './plugins/index.js';
import type { NamespaceLabels } from './plugins/inter-pod-affinity.js';
import {
  AFFINITY_NODES_KEY,
  ALL_NODES_KEY,
  type DefaultSelectorFunc,
} from './plugins/pod-topology-spread.js';
import type { VolumeLookup } from './plugins/volume-binding.js';
import { podPriority } from './queue.js';
import { newPodInfo } from './resources.js';
import {
  type CycleState,
  type FrameworkHandle,
  MAX_NODE_SCORE,
  type NodeInfo,
  type Obj,
  type Plugin,
  type Pod,
  type PodInfo,
  type PostFilterResult,
  Status,
} from './types.js';

export { nodesAvailableMessage };

export interface Diagnosis {
  numAllNodes: number;
  /** node name -> the status that rejected it. */
  nodeToStatus: Map<string, Status>;
  /** Set when a pre-filter rejected the pod for every node. */
  preFilterStatus?: Status;
  /** What the post-filter (preemption) said when it could not help, e.g. `preemption: ...`. */
  postFilterMsg?: string;
}

export type ScheduleResult =
  | { ok: true; nodeName: string; evaluatedNodes: number; feasibleNodes: number }
  | { ok: false; error: true; status: Status }
  | { ok: false; error: false; diagnosis: Diagnosis; postFilter?: PostFilterResult };

export interface FrameworkOptions {
  profile?: SchedulerProfile;
  /** Random source for tie-breaking between equal best scores (tests pass a fixed one). */
  random?: () => number;
  /** Namespace labels for namespaceSelector in pod affinity terms. */
  namespaceLabels?: NamespaceLabels;
  /** Share of nodes to find feasible before scoring (default: upstream's adaptive 50% - n/125, min 5%). */
  percentageOfNodesToScore?: number;
  /** Pods nominated to nodes by preemption; filters leave room for them. */
  nominator?: Nominator;
  /** PodDisruptionBudgets, which preemption avoids violating where it can. */
  pdbs?: () => Obj[];
  /** What owns or selects a pod (default topology spread constraints). */
  defaultSelector?: DefaultSelectorFunc;
  /** The cache the node lists come from, for reusing pre-filter state (see preFilterMemoKey). */
  cacheView?: CacheView;
  /** Image spread for ImageLocality (default: the cache view). */
  images?: ImageSpread;
  /** Claims, volumes and storage classes for VolumeBinding. */
  volumes?: VolumeLookup;
}

interface PreFilterMemo {
  key: string;
  gen: number;
  nodeGen: number;
  entries: [string, unknown][];
}

/** Upstream's numFeasibleNodesToFind: all nodes below 100, else an adaptive share, at least 100. */
export function numFeasibleNodesToFind(numNodes: number, percentage?: number): number {
  if (numNodes < 100 || percentage === 100) return numNodes;
  let pct = percentage ?? 0;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(numNodes / 125));
  const n = Math.floor((numNodes * pct) / 100);
  return Math.max(100, n);
}

export class Framework implements FrameworkHandle {
  readonly profile: SchedulerProfile;
  private readonly plugins: { plugin: Plugin; weight: number }[];
  private readonly random: () => number;
  private readonly percentageOfNodesToScore?: number;
  private readonly nominator?: Nominator;
  private readonly cacheView?: CacheView;
  private readonly memos = new Map<string, PreFilterMemo>();
  /** Pre-filter runs answered from reused state (see memoPreFilter). */
  preFilterReuses = 0;
  private nextStartNodeIndex = 0;

  constructor(opts: FrameworkOptions = {}) {
    this.profile = opts.profile ?? defaultProfile;
    this.random = opts.random ?? Math.random;
    const handle: PluginHandle = {
      namespaceLabels: opts.namespaceLabels,
      framework: this,
      nominator: opts.nominator,
      pdbs: opts.pdbs,
      random: this.random,
      defaultSelector: opts.defaultSelector,
      images: opts.images ?? opts.cacheView,
      volumes: opts.volumes,
    };
    this.plugins = buildPlugins(this.profile, pluginRegistry, handle);
    this.percentageOfNodesToScore = opts.percentageOfNodesToScore;
    this.nominator = opts.nominator;
    this.cacheView = opts.cacheView;
  }

  /** Forgets reused pre-filter state (e.g. namespace labels changed, which no pod change reports). */
  invalidateMemos(): void {
    this.memos.clear();
  }

  /** Runs one scheduling attempt of `pod` against `nodes`. Never throws: plugin errors become Error. */
  schedule(
    pod: Pod,
    nodes: NodeInfo[],
    opts: { podInfo?: PodInfo; affinityNodes?: NodeInfo[]; fromCache?: boolean } = {},
  ): ScheduleResult {
    const state: CycleState = new Map([[ALL_NODES_KEY, nodes]]);
    if (opts.affinityNodes) state.set(AFFINITY_NODES_KEY, opts.affinityNodes);
    const pi = opts.podInfo ?? newPodInfo(pod);
    const diagnosis: Diagnosis = { numAllNodes: nodes.length, nodeToStatus: new Map() };
    if (nodes.length === 0) return { ok: false, error: false, diagnosis };
    try {
      const view = opts.fromCache ? this.cacheView : undefined;
      for (const { plugin } of this.plugins) {
        if (!plugin.preFilter) continue;
        const s = view
          ? this.memoPreFilter(view, plugin, state, pod, pi, nodes)
          : plugin.preFilter(state, pod, pi, nodes);
        if (!s) continue;
        s.plugin = plugin.name;
        if (s.code === 'Error') return { ok: false, error: true, status: s };
        diagnosis.preFilterStatus = s;
        for (const n of nodes) diagnosis.nodeToStatus.set(n.name, s);
        return this.postFilter(state, pod, pi, nodes, diagnosis);
      }

      // A pod nominated by an earlier preemption tries its nominated node first (upstream's
      // evaluateNominatedNode): where the victims made room, it goes without scoring.
      const nominated = this.nominator?.nodeFor(pi.key) ?? pod.status?.nominatedNodeName;
      if (nominated) {
        const node = nodes.find((n) => n.name === nominated);
        if (node) {
          const s = this.runFiltersWithNominated(state, pod, pi, node);
          if (!s) return { ok: true, nodeName: node.name, evaluatedNodes: 1, feasibleNodes: 1 };
          if (s.code === 'Error') return { ok: false, error: true, status: s };
        }
      }

      // Like upstream, stop filtering once enough feasible nodes are found, starting each pod where the
      // previous one stopped so every node gets its turn.
      const want = numFeasibleNodesToFind(nodes.length, this.percentageOfNodesToScore);
      const feasible: NodeInfo[] = [];
      // Rejections are kept in arrays and turned into the diagnosis map only if no node fits.
      const rejected: NodeInfo[] = [];
      const statuses: Status[] = [];
      let evaluated = 0;
      const n = nodes.length;
      let idx = this.nextStartNodeIndex % n;
      for (; evaluated < n && feasible.length < want; evaluated++) {
        const node = nodes[idx];
        idx = idx + 1 === n ? 0 : idx + 1;
        const s = this.runFiltersWithNominated(state, pod, pi, node);
        if (!s) feasible.push(node);
        else if (s.code === 'Error') return { ok: false, error: true, status: s };
        else {
          rejected.push(node);
          statuses.push(s);
        }
      }
      this.nextStartNodeIndex = idx;
      if (feasible.length === 0) {
        for (let i = 0; i < rejected.length; i++) diagnosis.nodeToStatus.set(rejected[i].name, statuses[i]);
        return this.postFilter(state, pod, pi, nodes, diagnosis);
      }
      const base = { ok: true as const, evaluatedNodes: evaluated, feasibleNodes: feasible.length };
      if (feasible.length === 1) return { ...base, nodeName: feasible[0].name };

      const totals = this.score(state, pod, pi, feasible);
      return { ...base, nodeName: feasible[this.pickBest(totals)].name };
    } catch (err) {
      return { ok: false, error: true, status: Status.error((err as Error).message ?? String(err)) };
    }
  }

  /**
   * Runs a plugin's pre-filter, or reuses its state from an earlier pod with the same memo key, replaying
   * the pod changes the cache saw since (as preemption's what-if runs do through addPod/removePod).
   */
  private memoPreFilter(
    view: CacheView,
    plugin: Plugin,
    state: CycleState,
    pod: Pod,
    pi: PodInfo,
    nodes: NodeInfo[],
  ): Status | undefined {
    const key = plugin.addPod && plugin.removePod ? plugin.preFilterMemoKey?.(pod, pi) : undefined;
    if (key === undefined) return plugin.preFilter!(state, pod, pi, nodes);
    const m = this.memos.get(plugin.name);
    if (m && m.key === key && m.nodeGen === view.nodeGeneration()) {
      const changes = view.changesSince(m.gen);
      if (changes) {
        const memoState: CycleState = new Map(m.entries);
        for (const c of changes)
          if (c.delta > 0) plugin.addPod!(memoState, pod, c.pod, c.node);
          else plugin.removePod!(memoState, pod, c.pod, c.node);
        m.entries = [...memoState];
        m.gen = view.generation;
        this.preFilterReuses++;
        for (const [k, v] of m.entries) state.set(k, v);
        return undefined;
      }
    }
    const before = new Set(state.keys());
    const s = plugin.preFilter!(state, pod, pi, nodes);
    if (s) {
      this.memos.delete(plugin.name);
      return s;
    }
    const entries = [...state].filter(([k]) => !before.has(k));
    this.memos.set(plugin.name, { key, gen: view.generation, nodeGen: view.nodeGeneration(), entries });
    return undefined;
  }

  /**
   * No node fits: the post-filter plugins (preemption) run until one succeeds. A success carries the
   * nominated node and the victims; otherwise its message joins the diagnosis.
   */
  private postFilter(
    state: CycleState,
    pod: Pod,
    pi: PodInfo,
    nodes: NodeInfo[],
    diagnosis: Diagnosis,
  ): ScheduleResult {
    const messages: string[] = [];
    for (const { plugin } of this.plugins) {
      if (!plugin.postFilter) continue;
      const r = plugin.postFilter(state, pod, pi, { nodes, nodeToStatus: diagnosis.nodeToStatus });
      r.status.plugin = plugin.name;
      if (r.status.code === 'Error') return { ok: false, error: true, status: r.status };
      if (r.status.code === 'Success') return { ok: false, error: false, diagnosis, postFilter: r };
      if (r.status.message()) messages.push(r.status.message());
      if (r.nominatedNodeName !== undefined) {
        if (messages.length) diagnosis.postFilterMsg = messages.join(' ');
        return { ok: false, error: false, diagnosis, postFilter: r };
      }
    }
    if (messages.length) diagnosis.postFilterMsg = messages.join(' ');
    return { ok: false, error: false, diagnosis };
  }

  runFiltersWithNominated(state: CycleState, pod: Pod, pi: PodInfo, node: NodeInfo): Status | undefined {
    if (!this.nominator || this.nominator.size === 0) return this.runFilters(state, pod, pi, node);
    const blocking = this.nominator.blocking(node.name, pi.key, podPriority(pod));
    if (blocking.length === 0) return this.runFilters(state, pod, pi, node);
    // As upstream: the pod must fit both with the nominated pods counted and without them (a nominated
    // pod might be what satisfies the pod's own affinity, and it is not there yet).
    const withNominated = cloneNodeInfo(node);
    const st = this.cloneState(state);
    for (const n of blocking) {
      addPodTo(withNominated, n);
      this.runAddPod(st, pod, n, withNominated);
    }
    return this.runFilters(st, pod, pi, withNominated) ?? this.runFilters(state, pod, pi, node);
  }

  cloneState(state: CycleState): CycleState {
    const copy: CycleState = new Map();
    for (const [k, v] of state)
      copy.set(k, k === ALL_NODES_KEY || k === AFFINITY_NODES_KEY || v === null ? v : structuredClone(v));
    return copy;
  }

  runAddPod(state: CycleState, pod: Pod, added: PodInfo, node: NodeInfo): void {
    for (const { plugin } of this.plugins) plugin.addPod?.(state, pod, added, node);
  }

  runRemovePod(state: CycleState, pod: Pod, removed: PodInfo, node: NodeInfo): void {
    for (const { plugin } of this.plugins) plugin.removePod?.(state, pod, removed, node);
  }

  /** The first rejecting filter's status (upstream stops at the first failing plugin per node). */
  runFilters(state: CycleState, pod: Pod, pi: PodInfo, node: NodeInfo): Status | undefined {
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
 * taint {k: v}." (reasons counted per node, sorted as strings), then what preemption said, e.g.
 * "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
 */
export function fitErrorMessage(d: Diagnosis): string {
  // With no nodes at all upstream says so plainly (ErrNoNodesAvailable).
  if (d.numAllNodes === 0) return 'no nodes available to schedule pods';
  const msg = nodesAvailableMessage(d.numAllNodes, d.nodeToStatus, d.preFilterStatus);
  return d.postFilterMsg ? `${msg} ${d.postFilterMsg}` : msg;
}
