// Pod-failure backoff as upstream's job controller computes it: after n consecutive failures (since the
// last success) a replacement waits 10 s * 2^(n-1), capped at 6 minutes, counted from the last failure's
// finish time. Per Job the record lives in memory; with backoffLimitPerIndex the count comes from the
// index's last failed pod instead (its job-index-failure-count annotation).
type Obj = Record<string, any>;

export const DEFAULT_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 6 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureMs?: number;
}

/**
 * When a pod finished: the latest container finishedAt when every container has terminated, else the
 * Ready=False transition, else deletionTimestamp minus the grace period, else its creation time.
 */
export function finishedTimeMs(p: Obj): number {
  const statuses: Obj[] = p.status?.containerStatuses ?? [];
  if (statuses.length > 0) {
    let latest: number | undefined;
    for (const cs of statuses) {
      const t = Date.parse(cs.state?.terminated?.finishedAt ?? '');
      if (!Number.isFinite(t)) {
        latest = undefined;
        break;
      }
      latest = Math.max(latest ?? t, t);
    }
    if (latest !== undefined) return latest;
  }
  const ready = (p.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  const readyFalse = ready?.status === 'False' ? Date.parse(ready.lastTransitionTime ?? '') : Number.NaN;
  if (Number.isFinite(readyFalse)) return readyFalse;
  const deleted = Date.parse(p.metadata?.deletionTimestamp ?? '');
  if (Number.isFinite(deleted)) return deleted - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
}

/** The record after this sync's newly finished pods: a success resets the count, later failures add. */
export function nextBackoffRecord(prev: BackoffRecord, succeeded: Obj[], failed: Obj[]): BackoffRecord {
  const failTimes = failed.map(finishedTimeMs).sort((a, b) => a - b);
  if (succeeded.length === 0) {
    if (failTimes.length === 0) return prev;
    return {
      failuresAfterLastSuccess: prev.failuresAfterLastSuccess + failTimes.length,
      lastFailureMs: failTimes[failTimes.length - 1],
    };
  }
  const lastSuccess = Math.max(...succeeded.map(finishedTimeMs));
  const after = failTimes.filter((t) => t > lastSuccess);
  return after.length === 0
    ? { failuresAfterLastSuccess: 0 }
    : { failuresAfterLastSuccess: after.length, lastFailureMs: after[after.length - 1] };
}

/** How long a replacement must still wait after `failures` consecutive failures, the last at `lastMs`. */
export function remainingBackoffMs(failures: number, lastMs: number | undefined, nowMs: number): number {
  if (failures <= 0 || lastMs === undefined) return 0;
  let delay = DEFAULT_BACKOFF_MS;
  for (let i = 1; i < failures; i++) {
    delay *= 2;
    if (delay >= MAX_BACKOFF_MS) {
      delay = MAX_BACKOFF_MS;
      break;
    }
  }
  const elapsed = nowMs - lastMs;
  return delay < elapsed ? 0 : delay - elapsed;
}
