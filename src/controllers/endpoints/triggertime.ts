// The `endpoints.kubernetes.io/last-change-trigger-time` value, as upstream's TriggerTimeTracker computes
// it: per Service, remember the trigger times seen at the last sync (each pod's Ready transition time,
// the Service's creation time); the annotation is the oldest of those that changed since, or the
// Service's creation time on its first sync. Shared by the Endpoints and EndpointSlice controllers.
import { podTriggerTime } from './pods.js';

type Obj = Record<string, any>;

interface ServiceState {
  serviceTime: number;
  podTimes: Map<string, number>;
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /** Updates the state for `svc` and answers the time to publish (ms), or undefined for none. */
  compute(svc: Obj, pods: Obj[]): number | undefined {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const prev = this.states.get(key);
    let min: number | undefined;
    const podTimes = new Map<string, number>();
    for (const p of pods) {
      const t = podTriggerTime(p);
      if (t === undefined) continue;
      podTimes.set(p.metadata.name, t);
      if (t > (prev?.podTimes.get(p.metadata.name) ?? Number.NEGATIVE_INFINITY)) min = Math.min(min ?? t, t);
    }
    const created = Date.parse(svc.metadata.creationTimestamp ?? '');
    const serviceTime = Number.isNaN(created) ? 0 : created;
    if (serviceTime > (prev?.serviceTime ?? Number.NEGATIVE_INFINITY))
      min = Math.min(min ?? serviceTime, serviceTime);
    this.states.set(key, { serviceTime, podTimes });
    if (!prev) return serviceTime || undefined;
    return min;
  }

  forget(namespace: string, name: string): void {
    this.states.delete(`${namespace}/${name}`);
  }
}

/** RFC 3339 with nanoseconds, as Go's time.RFC3339Nano prints a UTC time (trailing zeros dropped). */
export function formatTriggerTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.000Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
