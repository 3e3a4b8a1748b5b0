// Shared shapes of the scheduler: pods and nodes as plain JSON objects, the per-node view the plugins
// read (NodeInfo), the Status a plugin answers, and the plugin interface per extension point.
export type Obj = Record<string, any>;
export type Pod = Obj;
export type Node = Obj;

/** Resource amounts: cpu in millicores, everything else in base units (bytes, count). */
export type Resources = Record<string, number>;

export interface PodInfo {
  pod: Pod;
  key: string;
  requests: Resources;
  /** The positive entries of `requests`, for allocation-free fit checks on every node. */
  requestList: { name: string; amount: number }[];
  /** Requests with upstream's non-zero defaults (100m cpu, 200Mi memory), used for scoring. */
  nonZero: { cpu: number; memory: number };
  ports: HostPort[];
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface NodeInfo {
  name: string;
  node: Node;
  allocatable: Resources;
  pods: Map<string, PodInfo>;
  /** The subset of `pods` with pod affinity or anti-affinity (InterPodAffinity reads only these). */
  podsWithAffinity: Map<string, PodInfo>;
  requested: Resources;
  nonZeroRequested: { cpu: number; memory: number };
  usedPorts: HostPort[];
}

export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export class Status {
  plugin = '';
  constructor(
    readonly code: Code,
    readonly reasons: string[] = [],
  ) {}
  static unschedulable(...reasons: string[]): Status {
    return new Status('Unschedulable', reasons);
  }
  static unresolvable(...reasons: string[]): Status {
    return new Status('UnschedulableAndUnresolvable', reasons);
  }
  static success(): Status {
    return new Status('Success');
  }
  static error(message: string): Status {
    return new Status('Error', [message]);
  }
  isRejection(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable';
  }
  message(): string {
    return this.reasons.join(', ');
  }
}

/** Per-attempt scratch space plugins share between their extension points. */
export type CycleState = Map<string, unknown>;

/** Plugin results: `undefined` means success. */
export interface Plugin {
  readonly name: string;
  /** Once per pod per attempt; a rejection here rejects every node with the same status. */
  preFilter?(state: CycleState, pod: Pod, podInfo: PodInfo, nodes: NodeInfo[]): Status | undefined;
  filter?(state: CycleState, pod: Pod, podInfo: PodInfo, node: NodeInfo): Status | undefined;
  /** Raw score of one feasible node (any range); normalizeScore maps the list to 0..100. */
  score?(state: CycleState, pod: Pod, podInfo: PodInfo, node: NodeInfo): number;
  normalizeScore?(state: CycleState, pod: Pod, scores: number[]): void;
  /**
   * Pre-filter extensions: keep this plugin's pre-filter state right when a pod is added to or removed
   * from `node` during preemption's what-if runs (and for nominated pods).
   */
  addPod?(state: CycleState, pod: Pod, added: PodInfo, node: NodeInfo): void;
  removePod?(state: CycleState, pod: Pod, removed: PodInfo, node: NodeInfo): void;
  /**
   * Pods with the same key get the same pre-filter state from the same cluster state. The framework
   * then keeps that state and brings it up to date through addPod/removePod with the cache's pod
   * changes, instead of rescanning every node. undefined: no reuse for this pod.
   */
  preFilterMemoKey?(pod: Pod, podInfo: PodInfo): string | undefined;
  /** Runs when no node fits (upstream's PostFilter, e.g. DefaultPreemption). */
  postFilter?(state: CycleState, pod: Pod, podInfo: PodInfo, failure: PostFilterInput): PostFilterResult;
}

/** What the framework lends plugins that run other plugins (preemption's what-if filtering). */
export interface FrameworkHandle {
  /** Filters with the nominated pods of equal or higher priority counted on the node, as upstream. */
  runFiltersWithNominated(state: CycleState, pod: Pod, pi: PodInfo, node: NodeInfo): Status | undefined;
  /** A copy of the cycle state that pre-filter extensions may change. */
  cloneState(state: CycleState): CycleState;
  runAddPod(state: CycleState, pod: Pod, added: PodInfo, node: NodeInfo): void;
  runRemovePod(state: CycleState, pod: Pod, removed: PodInfo, node: NodeInfo): void;
}

/** What a post-filter plugin learns about the failed attempt. */
export interface PostFilterInput {
  nodes: NodeInfo[];
  /** node name -> the status that rejected it (absent: not evaluated). */
  nodeToStatus: Map<string, Status>;
}

export interface PostFilterResult {
  /** Success: the pod may go to nominatedNodeName once the victims are gone. */
  status: Status;
  nominatedNodeName?: string;
  victims?: Pod[];
}

export interface Binder {
  readonly name: string;
  bind(pod: Pod, nodeName: string): Promise<Status | undefined>;
}

export const MAX_NODE_SCORE = 100;
