// Node health bookkeeping (upstream's tryUpdateNodeHealth): when did we last hear from the kubelet, by a
// changed Ready heartbeat or a renewed Lease, and which conditions turn Unknown after the grace period.
// Pure: takes the node, the saved record, the Lease and the time; answers the status to write, if any.
import type { NodeLifecycleOptions } from './options.js';
import { condition } from './taints.js';

type Obj = Record<string, any>;

export interface NodeHealth {
  /** Controller time (ms) when we last saw a sign of life. */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Ready condition as last observed from the kubelet. */
  readyCondition?: Obj;
  /** The Lease renewTime last seen (ms). */
  leaseRenewTime?: number;
}

/** The conditions the controller sets to Unknown when the kubelet goes silent. */
export const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface HealthResult {
  health: NodeHealth;
  /** Ready as the kubelet last left it (a stand-in Unknown when it never posted one). */
  observedReady: Obj;
  /** Ready after this pass (what is written when `status` is set). */
  currentReady: Obj | undefined;
  /** New node status to write, when conditions changed. */
  status?: Obj;
}

const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const msOf = (s: unknown) => (typeof s === 'string' ? Date.parse(s) : Number.NaN);

export function tryUpdateNodeHealth(
  node: Obj,
  saved: NodeHealth | undefined,
  lease: Obj | undefined,
  now: number,
  opts: NodeLifecycleOptions,
): HealthResult {
  const created = msOf(node.metadata?.creationTimestamp);
  const current = condition(node, 'Ready');
  let observedReady: Obj;
  let grace: number;
  let health: NodeHealth;
  if (!current) {
    // The kubelet never posted status: count from the node's creation, with the startup grace period.
    const c = ts(Number.isFinite(created) ? created : now);
    observedReady = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: c, lastTransitionTime: c };
    grace = opts.nodeStartupGracePeriodMs;
    health = saved
      ? { ...saved, readyCondition: undefined }
      : {
          probeTimestamp: Number.isFinite(created) ? created : now,
          readyTransitionTimestamp: Number.isFinite(created) ? created : now,
        };
  } else {
    observedReady = current;
    grace = opts.nodeMonitorGracePeriodMs;
    if (!saved) {
      health = { probeTimestamp: now, readyTransitionTimestamp: now, readyCondition: current };
    } else if (!saved.readyCondition) {
      health = { ...saved, probeTimestamp: now, readyTransitionTimestamp: now, readyCondition: current };
    } else if (saved.readyCondition.lastHeartbeatTime !== current.lastHeartbeatTime) {
      health = {
        ...saved,
        probeTimestamp: now,
        readyTransitionTimestamp:
          saved.readyCondition.status !== current.status ? now : saved.readyTransitionTimestamp,
        readyCondition: current,
      };
    } else {
      health = { ...saved, readyCondition: current };
    }
  }
  const renew = msOf(lease?.spec?.renewTime);
  if (Number.isFinite(renew) && (health.leaseRenewTime === undefined || health.leaseRenewTime < renew)) {
    health = { ...health, leaseRenewTime: renew, probeTimestamp: now };
  }

  if (now <= health.probeTimestamp + grace) return { health, observedReady, currentReady: current };

  // Silent for longer than the grace period: every monitored condition becomes Unknown.
  const status = structuredClone(node.status ?? {});
  status.conditions ??= [];
  const conditions: Obj[] = status.conditions;
  let changed = false;
  for (const type of MONITORED_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      const created = ts(
        Number.isFinite(msOf(node.metadata?.creationTimestamp)) ? msOf(node.metadata.creationTimestamp) : now,
      );
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: created,
        lastTransitionTime: ts(now),
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = ts(now);
      changed = true;
    }
  }
  const currentReady = conditions.find((x) => x.type === 'Ready');
  if (!changed) return { health, observedReady, currentReady };
  if (observedReady.status !== 'Unknown') health = { ...health, readyTransitionTimestamp: now };
  return { health, observedReady, currentReady, status };
}

/** Upstream's zone key: region and zone labels joined by ":\0:" ('' when neither is set). */
export function zoneKey(node: Obj): string {
  const l: Record<string, string> = node.metadata?.labels ?? {};
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  if (!region && !zone) return '';
  return `${region}:\u0000:${zone}`;
}

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** Upstream's ComputeZoneState over the zone's Ready conditions. */
export function computeZoneState(readies: (Obj | undefined)[], unhealthyThreshold: number): ZoneState {
  let ready = 0;
  let notReady = 0;
  for (const c of readies) {
    if (c?.status === 'True') ready++;
    else notReady++;
  }
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (ready + notReady) >= unhealthyThreshold) return 'PartialDisruption';
  return 'Normal';
}
