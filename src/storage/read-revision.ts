// Which revision a read or watch is served at, and the catalog errors for ones out of range.

import { compactedError, futureRevisionError } from './backend.js';

/** Resolves a requested read revision (undefined or 0: current) or throws Compacted / FutureRevision. */
export function readRevision(requested: number | undefined, current: number, compacted: number): number {
  if (!requested) return current;
  if (requested > current) throw futureRevisionError(requested, current);
  if (requested < compacted) throw compactedError(requested, compacted);
  return requested;
}
