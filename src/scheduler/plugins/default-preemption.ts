// DefaultPreemption (PostFilter), with upstream's semantics: when a pod fits nowhere, find nodes where
// evicting pods of lower priority makes it fit. Per node, remove every lower-priority pod, check the
// pod fits, then give back ("reprieve") as many as possible, most important first, pods whose
// PodDisruptionBudget would be violated first. Among the candidate nodes pick, in order: fewest PDB
// violations, lowest highest victim priority, lowest priority sum, fewest victims, latest start of
// the most important victims. Evicting the victims and nominating the pod is the scheduler's job.
import { isEmptyLabelSelector, matchesLabelSelector } from '../../api/labels.js';
import { addPodTo, cloneNodeInfo, removePodFrom } from '../cache.js';
import { nodesAvailableMessage } from '../fit-message.js';
import { podPriority } from '../queue.js';
import {
  type CycleState,
  type FrameworkHandle,
  type NodeInfo,
  type Obj,
  type Plugin,
  type Pod,
  type PodInfo,
  type PostFilterResult,
  Status,
} from '../types.js';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';
export const REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';

export interface DefaultPreemptionArgs {
  /** Share of nodes to dry-run before choosing (upstream default 10). */
  minCandidateNodesPercentage?: number;
  /** ...but at least this many (upstream default 100). */
  minCandidateNodesAbsolute?: number;
}

export interface PreemptionHandle {
  framework?: FrameworkHandle;
  pdbs?: () => Obj[];
  random?: () => number;
}

export interface Candidate {
  nodeName: string;
  /** Most important first. */
  victims: PodInfo[];
  numPDBViolations: number;
}

/** Upstream's MoreImportantPod: higher priority, then the one that started earlier. */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return startTime(a) < startTime(b);
}

/** status.startTime; a pod not started yet counts as starting now, i.e. after every started one. */
function startTime(p: Pod): number {
  const t = Date.parse(p.status?.startTime ?? '');
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

const byImportance = (a: PodInfo, b: PodInfo) =>
  moreImportant(a.pod, b.pod) ? -1 : moreImportant(b.pod, a.pod) ? 1 : 0;

/** Deleting by the scheduler's preemption already began (DisruptionTarget, PreemptionByScheduler). */
export function terminatingByPreemption(p: Pod): boolean {
  if (!p.metadata?.deletionTimestamp) return false;
  const c = (p.status?.conditions ?? []).find((x: any) => x.type === 'DisruptionTarget');
  return c?.status === 'True' && c.reason === 'PreemptionByScheduler';
}

/**
 * Splits `victims` (kept in order) into those whose eviction would drive a matching budget's
 * disruptionsAllowed below zero and the rest. Pods the API server already counted as disrupted
 * (status.disruptedPods) do not consume the budget again.
 */
export function splitByPDBViolation(victims: PodInfo[], pdbs: Obj[]): [PodInfo[], PodInfo[]] {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const violating: PodInfo[] = [];
  const ok: PodInfo[] = [];
  for (const v of victims) {
    const labels = v.pod.metadata?.labels ?? {};
    let violated = false;
    if (Object.keys(labels).length) {
      pdbs.forEach((pdb, i) => {
        if (pdb.metadata?.namespace !== v.pod.metadata?.namespace) return;
        const sel = pdb.spec?.selector;
        // A nil or empty selector matches nothing here.
        if (!sel || isEmptyLabelSelector(sel) || !matchesLabelSelector(sel, labels)) return;
        if (pdb.status?.disruptedPods?.[v.pod.metadata?.name]) return;
        allowed[i]--;
        if (allowed[i] < 0) violated = true;
      });
    }
    (violated ? violating : ok).push(v);
  }
  return [violating, ok];
}

/**
 * The fewest victims on `node` (a private copy the function changes) that make room for `pod`, or the
 * status saying why evicting does not help there.
 */
export function selectVictimsOnNode(
  fw: FrameworkHandle,
  state: CycleState,
  pod: Pod,
  pi: PodInfo,
  node: NodeInfo,
  pdbs: Obj[],
): { victims: PodInfo[]; numPDBViolations: number } | { status: Status } {
  const prio = podPriority(pod);
  const potential: PodInfo[] = [];
  for (const p of node.pods.values()) if (podPriority(p.pod) < prio) potential.push(p);
  for (const p of potential) {
    removePodFrom(node, p.key);
    fw.runRemovePod(state, pod, p, node);
  }
  if (potential.length === 0) return { status: Status.unresolvable(REASON_NO_VICTIMS) };
  // If it does not fit with every lower-priority pod gone, this node cannot help (upstream does not
  // chase affinity to victims either).
  const s = fw.runFiltersWithNominated(state, pod, pi, node);
  if (s) return { status: s };

  potential.sort(byImportance);
  const [violating, nonViolating] = splitByPDBViolation(potential, pdbs);
  const victims: PodInfo[] = [];
  let numPDBViolations = 0;
  const reprieve = (p: PodInfo): boolean => {
    addPodTo(node, p);
    fw.runAddPod(state, pod, p, node);
    if (!fw.runFiltersWithNominated(state, pod, pi, node)) return true;
    removePodFrom(node, p.key);
    fw.runRemovePod(state, pod, p, node);
    victims.push(p);
    return false;
  };
  for (const p of violating) if (!reprieve(p)) numPDBViolations++;
  for (const p of nonViolating) reprieve(p);
  if (violating.length && nonViolating.length) victims.sort(byImportance);
  return { victims, numPDBViolations };
}

/** Upstream's pickOneNodeForPreemption: each criterion narrows the field until one node is left. */
export function pickOneNode(candidates: Candidate[]): Candidate | undefined {
  if (candidates.length === 0) return undefined;
  const free = candidates.find((c) => c.victims.length === 0);
  if (free) return free;
  const highest = (c: Candidate) => podPriority(c.victims[0].pod);
  const criteria: ((c: Candidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -highest(c),
    // Priorities shifted to be non-negative, so more victims never look better.
    (c) => -c.victims.reduce((sum, v) => sum + podPriority(v.pod) + 2 ** 31, 0),
    (c) => -c.victims.length,
    // The node whose most important victims started last (they have done the least work).
    (c) => {
      const top = highest(c);
      let earliest = Number.MAX_SAFE_INTEGER;
      for (const v of c.victims)
        if (podPriority(v.pod) === top) earliest = Math.min(earliest, startTime(v.pod));
      return earliest;
    },
  ];
  let field = candidates;
  for (const score of criteria) {
    let best = Number.NEGATIVE_INFINITY;
    let next: Candidate[] = [];
    for (const c of field) {
      const s = score(c);
      if (s > best) {
        best = s;
        next = [c];
      } else if (s === best) next.push(c);
    }
    field = next;
    if (field.length === 1) break;
  }
  return field[0];
}

/** Upstream's calculateNumCandidates. */
export function numCandidates(numNodes: number, pct: number, abs: number): number {
  return Math.min(numNodes, Math.max(Math.floor((numNodes * pct) / 100), abs));
}

function unschedulable(message: string, clearNomination = false): PostFilterResult {
  return {
    status: Status.unschedulable(`preemption: ${message}`),
    ...(clearNomination ? { nominatedNodeName: '' } : {}),
  };
}

export function defaultPreemption(args: DefaultPreemptionArgs = {}, handle: PreemptionHandle = {}): Plugin {
  const pct = args.minCandidateNodesPercentage ?? 10;
  const abs = args.minCandidateNodesAbsolute ?? 100;
  const random = handle.random ?? Math.random;
  return {
    name: DEFAULT_PREEMPTION,
    postFilter(state, pod, pi, failure) {
      const fw = handle.framework;
      if (!fw) return { status: Status.error('DefaultPreemption needs the framework handle') };
      if (pod.spec?.preemptionPolicy === 'Never')
        return unschedulable('not eligible due to preemptionPolicy=Never.');
      const prio = podPriority(pod);
      const nominated: string | undefined = pod.status?.nominatedNodeName;
      if (nominated && failure.nodeToStatus.get(nominated)?.code !== 'UnschedulableAndUnresolvable') {
        // Victims chosen earlier are still terminating: wait for them rather than preempt more.
        const node = failure.nodes.find((n) => n.name === nominated);
        if (node)
          for (const p of node.pods.values())
            if (podPriority(p.pod) < prio && terminatingByPreemption(p.pod))
              return unschedulable('not eligible due to a terminating pod on the nominated node.');
      }

      const statuses = new Map<string, Status>();
      const potential = failure.nodes.filter(
        (n) => failure.nodeToStatus.get(n.name)?.code === 'Unschedulable',
      );
      const pdbs = handle.pdbs?.() ?? [];
      const want = numCandidates(potential.length, pct, abs);
      const offset = potential.length ? Math.floor(random() * potential.length) : 0;
      const candidates: Candidate[] = [];
      let nonViolating = 0;
      for (let i = 0; i < potential.length; i++) {
        const node = potential[(offset + i) % potential.length];
        const r = selectVictimsOnNode(fw, fw.cloneState(state), pod, pi, cloneNodeInfo(node), pdbs);
        if ('status' in r) {
          statuses.set(node.name, r.status);
          continue;
        }
        candidates.push({ nodeName: node.name, ...r });
        if (r.numPDBViolations === 0) nonViolating++;
        if (nonViolating > 0 && candidates.length >= want) break;
      }
      const best = pickOneNode(candidates);
      if (!best) {
        for (const n of failure.nodes)
          if (!statuses.has(n.name)) statuses.set(n.name, Status.unresolvable(REASON_NOT_HELPFUL));
        return unschedulable(nodesAvailableMessage(failure.nodes.length, statuses), true);
      }
      return {
        status: Status.success(),
        nominatedNodeName: best.nodeName,
        victims: best.victims.map((v) => v.pod),
      };
    },
  };
}
