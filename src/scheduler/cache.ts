// The scheduler's view of node usage, fed by the node and pod informers. A pod is "assumed" on its node
// the moment the scheduler decides, so the next decision already counts it; the informer confirms it
// once the binding lands, and a failed binding forgets it.
import { type ImageSpread, nodeImages } from './plugins/image-locality.js';
import { newPodInfo, nodeAllocatable } from './resources.js';
import type { Node, NodeInfo, Pod, PodInfo } from './types.js';

function emptyInfo(name: string): NodeInfo {
  return {
    name,
    node: undefined as unknown as Node,
    allocatable: {},
    pods: new Map(),
    podsWithAffinity: new Map(),
    requested: {},
    nonZeroRequested: { cpu: 0, memory: 0 },
    usedPorts: [],
  };
}

export function addPodTo(info: NodeInfo, pi: PodInfo): void {
  info.pods.set(pi.key, pi);
  const a = pi.pod.spec?.affinity;
  if (a?.podAffinity || a?.podAntiAffinity) info.podsWithAffinity.set(pi.key, pi);
  for (const [k, v] of Object.entries(pi.requests)) info.requested[k] = (info.requested[k] ?? 0) + v;
  info.nonZeroRequested.cpu += pi.nonZero.cpu;
  info.nonZeroRequested.memory += pi.nonZero.memory;
  for (const p of pi.ports) info.usedPorts.push(p);
}

export function removePodFrom(info: NodeInfo, key: string): void {
  const pi = info.pods.get(key);
  if (!pi) return;
  info.pods.delete(key);
  info.podsWithAffinity.delete(key);
  for (const [k, v] of Object.entries(pi.requests)) info.requested[k] = (info.requested[k] ?? 0) - v;
  info.nonZeroRequested.cpu -= pi.nonZero.cpu;
  info.nonZeroRequested.memory -= pi.nonZero.memory;
  if (pi.ports.length) info.usedPorts = info.usedPorts.filter((p) => !pi.ports.includes(p));
}

/** A copy preemption can add pods to and remove pods from without touching the cache. */
export function cloneNodeInfo(info: NodeInfo): NodeInfo {
  return {
    name: info.name,
    node: info.node,
    allocatable: info.allocatable,
    pods: new Map(info.pods),
    podsWithAffinity: new Map(info.podsWithAffinity),
    requested: { ...info.requested },
    nonZeroRequested: { ...info.nonZeroRequested },
    usedPorts: [...info.usedPorts],
  };
}

/** Pods that finished no longer hold resources. */
function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** One pod counted onto (+1) or off (-1) a node, for plugins that keep counts up to date. */
export interface PodChange {
  gen: number;
  node: NodeInfo;
  pod: PodInfo;
  delta: 1 | -1;
}

/** What the framework reads to reuse pre-filter results across cycles (see Framework, preFilterMemo). */
export interface CacheView extends ImageSpread {
  generation: number;
  /** Bumped when nodes come, go, or change labels or taints. */
  nodeGeneration(): number;
  /** Pod changes after generation `gen`, oldest first; undefined when the log no longer reaches back. */
  changesSince(gen: number): PodChange[] | undefined;
}

const MAX_LOG = 16384;

export class SchedulerCache implements CacheView {
  /** image name -> nodes holding it (ImageLocality's spread). */
  private readonly imageNodes = new Map<string, number>();
  private readonly infos = new Map<string, NodeInfo>();
  /** pod key -> node name, for every pod counted on a node. */
  private readonly podNode = new Map<string, string>();
  private readonly assumed = new Set<string>();
  /** Bumped on every change. */
  generation = 0;
  /** Bumped when the set of nodes changes (not on pod changes), for the cached node list. */
  private nodeSetGeneration = 0;
  private listCache?: { gen: number; list: NodeInfo[] };
  /** Nodes running at least one pod with pod affinity or anti-affinity. */
  private readonly affinityNodes = new Set<NodeInfo>();
  private affinityList?: NodeInfo[];
  /** Recent pod changes (bounded); `logFloor`: changes after this generation are all in the log. */
  private log: PodChange[] = [];
  private logFloor = 0;
  private nodeGen = 0;

  private info(name: string): NodeInfo {
    let i = this.infos.get(name);
    if (!i) {
      i = emptyInfo(name);
      this.infos.set(name, i);
    }
    return i;
  }

  setNode(node: Node): void {
    const i = this.info(node.metadata.name);
    if (!i.node) {
      this.nodeSetGeneration++;
      this.affinityList = undefined;
    }
    if (
      !i.node ||
      JSON.stringify(i.node.metadata?.labels) !== JSON.stringify(node.metadata?.labels) ||
      JSON.stringify(i.node.spec?.taints) !== JSON.stringify(node.spec?.taints)
    )
      this.nodeGen++;
    if (i.node) this.countImages(i.node, -1);
    this.countImages(node, 1);
    i.node = node;
    i.allocatable = nodeAllocatable(node);
    this.generation++;
  }

  removeNode(name: string): void {
    const i = this.infos.get(name);
    if (!i) return;
    if (i.node) this.countImages(i.node, -1);
    if (i.pods.size === 0) this.infos.delete(name);
    else i.node = undefined as unknown as Node; // its pods stay counted until their deletes arrive
    this.affinityList = undefined;
    this.generation++;
    this.nodeSetGeneration++;
    this.nodeGen++;
  }

  private countImages(node: Node, delta: number): void {
    for (const name of nodeImages(node).keys()) {
      const n = (this.imageNodes.get(name) ?? 0) + delta;
      if (n > 0) this.imageNodes.set(name, n);
      else this.imageNodes.delete(name);
    }
  }

  nodesWithImage(name: string): number {
    return this.imageNodes.get(name) ?? 0;
  }

  totalNodes(): number {
    return this.nodes().length;
  }

  nodeGeneration(): number {
    return this.nodeGen;
  }

  changesSince(gen: number): PodChange[] | undefined {
    if (gen < this.logFloor) return undefined;
    // Entries are in generation order: find the first after `gen`.
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid].gen <= gen) lo = mid + 1;
      else hi = mid;
    }
    return this.log.slice(lo);
  }

  private record(node: NodeInfo, pod: PodInfo, delta: 1 | -1): void {
    this.log.push({ gen: this.generation, node, pod, delta });
    if (this.log.length > MAX_LOG) {
      const drop = this.log.length - MAX_LOG / 2;
      this.logFloor = this.log[drop - 1].gen;
      this.log = this.log.slice(drop);
    }
  }

  /** Adds or updates a pod bound to a node (from the informer); confirms an assumption. */
  setPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const pi = newPodInfo(pod);
    this.assumed.delete(pi.key);
    this.removePod(pi.key);
    if (isTerminal(pod)) return;
    this.addPod(nodeName, pi);
  }

  private addPod(nodeName: string, pi: PodInfo): void {
    const info = this.info(nodeName);
    addPodTo(info, pi);
    this.podNode.set(pi.key, nodeName);
    if (info.podsWithAffinity.size && !this.affinityNodes.has(info)) {
      this.affinityNodes.add(info);
      this.affinityList = undefined;
    }
    this.generation++;
    this.record(info, pi, 1);
  }

  removePod(key: string): void {
    const nodeName = this.podNode.get(key);
    if (nodeName === undefined) return;
    this.podNode.delete(key);
    this.assumed.delete(key);
    const i = this.infos.get(nodeName);
    const pi = i?.pods.get(key);
    if (i) {
      removePodFrom(i, key);
      if (i.podsWithAffinity.size === 0 && this.affinityNodes.delete(i)) this.affinityList = undefined;
      if (!i.node && i.pods.size === 0) this.infos.delete(nodeName);
    }
    this.generation++;
    if (i && pi) this.record(i, pi, -1);
  }

  /** Counts `podInfo` on `nodeName` before the binding is confirmed. */
  assume(podInfo: PodInfo, nodeName: string): void {
    this.removePod(podInfo.key);
    this.addPod(nodeName, podInfo);
    this.assumed.add(podInfo.key);
  }

  /** Drops an assumption whose binding failed (a no-op once the informer confirmed the pod). */
  forget(key: string): void {
    if (this.assumed.has(key)) this.removePod(key);
  }

  /** Is the pod counted on a node (assumed or confirmed)? */
  knows(key: string): boolean {
    return this.podNode.has(key);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  nodeInfo(name: string): NodeInfo | undefined {
    const i = this.infos.get(name);
    return i?.node ? i : undefined;
  }

  /** The nodes known by their Node object, in a stable order. */
  nodes(): NodeInfo[] {
    if (this.listCache && this.listCache.gen === this.nodeSetGeneration) return this.listCache.list;
    const list = [...this.infos.values()].filter((i) => i.node);
    this.listCache = { gen: this.nodeSetGeneration, list };
    return list;
  }

  /** The nodes (with a Node object) that run pods with pod affinity or anti-affinity. */
  nodesWithAffinityPods(): NodeInfo[] {
    this.affinityList ??= [...this.affinityNodes].filter((i) => i.node);
    return this.affinityList;
  }

  nodeCount(): number {
    return this.nodes().length;
  }
}
