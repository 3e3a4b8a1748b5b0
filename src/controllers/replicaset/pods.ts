// Pod predicates the workload controllers share: active, ready, available, and deletion ranking.
type Obj = Record<string, any>;

/** Not finished and not being deleted. */
export function activePod(p: Obj): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

function readyCondition(p: Obj): Obj | undefined {
  return (p.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
}

export function isPodReady(p: Obj): boolean {
  return readyCondition(p)?.status === 'True';
}

/** Ready for at least minReadySeconds. */
export function podAvailable(p: Obj, minReadySeconds: number, nowMs: number): boolean {
  const c = readyCondition(p);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(c.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= nowMs;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** Sort order for scale-down: unscheduled, then pending, then not ready, then the newest, go first. */
export function lessValuableFirst(a: Obj, b: Obj): number {
  const sa = a.spec?.nodeName ? 1 : 0;
  const sb = b.spec?.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const pa = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
  const pb = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  // Newer pods first (upstream: shorter-lived ready pods go before long-lived ones).
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return tb - ta;
  return String(b.metadata?.name).localeCompare(String(a.metadata?.name));
}
