// Which EndpointSlice generations this controller wrote, per owner (upstream's EndpointSliceTracker): an
// informer event echoing one of our own writes needs no sync, and a cache still showing an older
// generation (or a slice we deleted) is stale, so the owner is synced again a moment later instead of
// acting on old data and writing duplicates.
type Obj = Record<string, any>;

const DELETION_EXPECTED = -1;

export class SliceTracker {
  /** owner key -> slice uid -> expected generation (or DELETION_EXPECTED). */
  private readonly byOwner = new Map<string, Map<string, number>>();

  constructor(private readonly ownerKeyOf: (slice: Obj) => string | undefined) {}

  private gens(slice: Obj, create = false): Map<string, number> | undefined {
    const k = this.ownerKeyOf(slice);
    if (!k) return undefined;
    let m = this.byOwner.get(k);
    if (!m && create) {
      m = new Map();
      this.byOwner.set(k, m);
    }
    return m;
  }

  /** Records a slice this controller just created or updated. */
  written(slice: Obj): void {
    this.gens(slice, true)?.set(slice.metadata.uid, slice.metadata.generation ?? 0);
  }

  /** Records a slice this controller just deleted. */
  deleted(slice: Obj): void {
    this.gens(slice, true)?.set(slice.metadata.uid, DELETION_EXPECTED);
  }

  /** An informer saw this slice: does it carry news (not just our own write)? */
  shouldSync(slice: Obj): boolean {
    const want = this.gens(slice)?.get(slice.metadata.uid);
    if (want === undefined || want === DELETION_EXPECTED) return true;
    return (slice.metadata.generation ?? 0) > want;
  }

  /** An informer saw this slice's deletion: answers whether it was unexpected (then sync the owner). */
  handleDeletion(slice: Obj): boolean {
    const m = this.gens(slice);
    const want = m?.get(slice.metadata.uid);
    m?.delete(slice.metadata.uid);
    return want !== DELETION_EXPECTED;
  }

  /** The cache lags behind our writes for this owner: a written slice is missing or older, or a deleted one is still there. */
  stale(ownerKey: string, cached: Obj[]): boolean {
    const m = this.byOwner.get(ownerKey);
    if (!m) return false;
    const seen = new Map<string, Obj>(cached.map((s) => [s.metadata.uid, s]));
    for (const [uid, gen] of m) {
      const s = seen.get(uid);
      if (gen === DELETION_EXPECTED) {
        if (s) return true;
      } else if (!s || (s.metadata.generation ?? 0) < gen) return true;
    }
    return false;
  }

  forget(ownerKey: string): void {
    this.byOwner.delete(ownerKey);
  }
}
