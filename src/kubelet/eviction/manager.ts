// The kubelet's eviction manager (upstream's pkg/kubelet/eviction): every 10 s it first evicts pods over
// their own local storage limits (emptyDir sizeLimit, ephemeral-storage limits), then observes the node's
// signals, decides which thresholds are met (soft ones only after their grace period), keeps the pressure
// conditions True until the transition period has passed without a breach, first reclaims node-level
// resources for disk pressure (unused images), and otherwise evicts one pod per pass, ranked as upstream
// ranks them. While under pressure it also refuses new pods (BestEffort ones under memory pressure alone).

import { computePodQOS } from '../../api/qos.js';
import type { Clock, Logger, TimerHandle } from '../../client/index.js';
import type { Obj } from '../refs.js';
import {
  evictionMessage,
  hasLocalStorageLimits,
  isCriticalPod,
  localStorageViolation,
  rankPods,
} from './rank.js';
import type { NodeStats, PodUsage, StatsProvider } from './stats.js';
import {
  DEFAULT_PRESSURE_TRANSITION_MS,
  type NodeCondition,
  SIGNAL_CONDITION,
  SIGNAL_RESOURCE,
  type Signal,
  type Threshold,
  thresholdAmount,
} from './thresholds.js';

export const EVICTION_MONITORING_MS = 10_000;
/** Hard evictions give pods this long to stop (upstream's immediateEvictionGracePeriodSeconds). */
export const IMMEDIATE_EVICTION_GRACE_SECONDS = 1;
export const EVICTION_REASON = 'Evicted';
const CONDITION_ORDER: NodeCondition[] = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];
const TAINT_FOR_CONDITION: Record<NodeCondition, string> = {
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
};

export interface Observation {
  available: number;
  capacity: number;
}

export type Observations = Partial<Record<Signal, Observation>>;

export function observe(node: NodeStats): Observations {
  return {
    'memory.available': {
      available: Math.max(0, node.memory.capacityBytes - node.memory.workingSetBytes),
      capacity: node.memory.capacityBytes,
    },
    'nodefs.available': { available: node.nodeFs.availableBytes, capacity: node.nodeFs.capacityBytes },
    'nodefs.inodesFree': { available: node.nodeFs.inodesFree, capacity: node.nodeFs.inodes },
    'imagefs.available': { available: node.imageFs.availableBytes, capacity: node.imageFs.capacityBytes },
    'imagefs.inodesFree': { available: node.imageFs.inodesFree, capacity: node.imageFs.inodes },
    'pid.available': { available: node.pids.max - node.pids.running, capacity: node.pids.max },
  };
}

export function thresholdMet(t: Threshold, obs: Observations): boolean {
  const o = obs[t.signal];
  return !!o && o.available < thresholdAmount(t, o.capacity);
}

export interface EvictionRequest {
  pod: Obj;
  /** The status the pod ends with: phase Failed, reason Evicted, the message, DisruptionTarget. */
  status: Obj;
  message: string;
  gracePeriodSeconds: number;
}

export interface EvictionManagerOptions {
  clock: Clock;
  log: Logger;
  stats: StatsProvider;
  thresholds: Threshold[];
  /** Pods bound to this node that are not terminal. */
  activePods(): Obj[];
  /** Fails the pod with the given status and kills it (the kubelet's pod worker does the killing). */
  evict(req: EvictionRequest): Promise<void>;
  /** Node-level reclaim for disk pressure before any pod goes: deletes unused images. */
  reclaimImages?(): Promise<void>;
  /** Default 5 minutes (--eviction-pressure-transition-period). */
  pressureTransitionPeriodMs?: number;
  /** Cap on the grace period of soft evictions (--eviction-max-pod-grace-period; 0: the pod's own). */
  maxPodGracePeriodSeconds?: number;
  /** Called when the set of pressure conditions changes (to report node status sooner). */
  onConditionsChanged?(conditions: NodeCondition[]): void;
}

export class EvictionManager {
  private firstObserved = new Map<Threshold, number>();
  private conditionLastObserved = new Map<NodeCondition, number>();
  private current: NodeCondition[] = [];
  private timer: TimerHandle | undefined;
  private stopped = false;
  /** Pods evicted so far (for tests and stats). */
  evictions = 0;

  constructor(private readonly o: EvictionManagerOptions) {}

  /** The pressure conditions to report True on the Node. */
  conditions(): NodeCondition[] {
    return [...this.current];
  }

  /** upstream's eviction admission: under pressure only critical pods (and non-BestEffort under memory) start. */
  admit(pod: Obj): { admit: true } | { admit: false; reason: string; message: string } {
    const conds = this.current;
    if (conds.length === 0 || isCriticalPod(pod)) return { admit: true };
    if (conds.length === 1 && conds[0] === 'MemoryPressure') {
      if (computePodQOS(pod) !== 'BestEffort') return { admit: true };
      const tolerates = (pod.spec?.tolerations ?? []).some(
        (t: Obj) =>
          (t.effect === 'NoSchedule' || !t.effect) &&
          ((t.operator === 'Exists' && (!t.key || t.key === TAINT_FOR_CONDITION.MemoryPressure)) ||
            (t.key === TAINT_FOR_CONDITION.MemoryPressure &&
              (t.operator ?? 'Equal') === 'Equal' &&
              !t.value)),
      );
      if (tolerates) return { admit: true };
    }
    return {
      admit: false,
      reason: EVICTION_REASON,
      message: `The node had condition: [${conds.join(' ')}]. `,
    };
  }

  /** One pass; answers the pods it evicted (at most one for node pressure). */
  async synchronize(): Promise<Obj[]> {
    const now = this.o.clock.now();
    let observations = observe(await this.o.stats.node());
    const met = this.o.thresholds.filter((t) => thresholdMet(t, observations));

    const firstObserved = new Map<Threshold, number>();
    for (const t of met) firstObserved.set(t, this.firstObserved.get(t) ?? now);
    this.firstObserved = firstObserved;
    for (const t of met) this.conditionLastObserved.set(SIGNAL_CONDITION[t.signal], now);
    const period = this.o.pressureTransitionPeriodMs ?? DEFAULT_PRESSURE_TRANSITION_MS;
    const conditions = CONDITION_ORDER.filter((c) => {
      const at = this.conditionLastObserved.get(c);
      return at !== undefined && now - at < period;
    });
    if (conditions.join() !== this.current.join()) {
      this.current = conditions;
      this.o.log.info('eviction manager: node conditions changed', { conditions });
      this.o.onConditionsChanged?.(conditions);
    }

    // Pods over their own local storage limits go first, whatever the node's state (upstream's
    // localStorageEviction, with LocalStorageCapacityIsolation on by default).
    const overLimit = await this.localStorageEviction(now);
    if (overLimit.length > 0) return overLimit;

    // Memory first, then the rest in configuration order (upstream's byEvictionPriority).
    const due = met
      .filter((t) => now - (firstObserved.get(t) ?? now) >= t.gracePeriodMs)
      .sort((a, b) => Number(b.signal === 'memory.available') - Number(a.signal === 'memory.available'));
    if (due.length === 0) return [];
    const threshold = due[0];
    const resource = SIGNAL_RESOURCE[threshold.signal];

    if ((resource === 'ephemeral-storage' || resource === 'inodes') && this.o.reclaimImages) {
      await this.o.reclaimImages();
      observations = observe(await this.o.stats.node());
      if (!thresholdMet(threshold, observations)) {
        this.o.log.info('eviction manager: unused images freed enough', { signal: threshold.signal });
        return [];
      }
    }

    const active = this.o.activePods();
    if (active.length === 0) return [];
    const usage: PodUsage[] = await this.o.stats.pods({ disk: resource !== 'memory' && resource !== 'pids' });
    const ranked = rankPods(threshold.signal, active, usage);
    const obs = observations[threshold.signal];
    const thresholdInfo = obs && {
      amount: thresholdAmount(threshold, obs.capacity),
      available: obs.available,
    };
    for (const pod of ranked) {
      if (isCriticalPod(pod)) continue;
      const message = evictionMessage(
        threshold.signal,
        pod,
        usage.find((u) => u.uid === pod.metadata.uid),
        thresholdInfo,
      );
      const own = pod.spec?.terminationGracePeriodSeconds ?? 30;
      const max = this.o.maxPodGracePeriodSeconds ?? 0;
      const gracePeriodSeconds =
        threshold.gracePeriodMs === 0 ? IMMEDIATE_EVICTION_GRACE_SECONDS : max > 0 ? Math.min(own, max) : own;
      this.o.log.info('eviction manager: evicting pod', {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        signal: threshold.signal,
      });
      await this.evictPod(pod, message, gracePeriodSeconds, now);
      return [pod];
    }
    this.o.log.warn('eviction manager: unable to evict any pods from the node', { signal: threshold.signal });
    return [];
  }

  private async evictPod(pod: Obj, message: string, gracePeriodSeconds: number, now: number): Promise<void> {
    const status = {
      phase: 'Failed',
      reason: EVICTION_REASON,
      message,
      conditions: [
        ...(pod.status?.conditions ?? []).filter((c: Obj) => c?.type !== 'DisruptionTarget'),
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'TerminationByKubelet',
          message,
          lastProbeTime: null,
          lastTransitionTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      ],
    };
    await this.o.evict({ pod, status, message, gracePeriodSeconds });
    this.evictions++;
  }

  /**
   * Evicts (grace 0) every pod whose emptyDir volume exceeds its sizeLimit, whose ephemeral storage exceeds
   * the sum of its containers' limits, or whose container exceeds its own limit, in that order per pod.
   * Disk usage is measured only when some pod has such a limit.
   */
  private async localStorageEviction(now: number): Promise<Obj[]> {
    const limited = this.o.activePods().filter(hasLocalStorageLimits);
    if (limited.length === 0) return [];
    const usage = new Map((await this.o.stats.pods({ disk: true })).map((u) => [u.uid, u]));
    const evicted: Obj[] = [];
    for (const pod of limited) {
      const u = usage.get(pod.metadata.uid);
      if (!u || isCriticalPod(pod)) continue;
      const message = localStorageViolation(pod, u);
      if (!message) continue;
      this.o.log.info('eviction manager: evicting pod over its local storage limit', {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
      });
      await this.evictPod(pod, message, 0, now);
      evicted.push(pod);
    }
    return evicted;
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.synchronize();
      } catch (err) {
        this.o.log.warn('eviction manager: pass failed', { error: err });
      }
      if (!this.stopped) this.timer = this.o.clock.setTimeout(loop, EVICTION_MONITORING_MS);
    };
    this.timer = this.o.clock.setTimeout(loop, 0);
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
  }
}
