// The live keys of a store at its current revision, in memory: a map for point reads and CAS checks
// plus a sorted key set for prefix lists and pagination.

import { type KeyValue, prefixEnd } from './backend.js';
import { SortedKeys } from './sorted-keys.js';

export interface Page {
  items: KeyValue[];
  count: number;
  more: boolean;
}

export function copyKv(kv: KeyValue): KeyValue {
  return {
    key: kv.key,
    value: Buffer.from(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
  };
}

export class CurrentState {
  private readonly byKey = new Map<string, KeyValue>();
  private readonly keys = new SortedKeys();

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): KeyValue | undefined {
    return this.byKey.get(key);
  }

  set(kv: KeyValue): void {
    if (!this.byKey.has(kv.key)) this.keys.add(kv.key);
    this.byKey.set(kv.key, kv);
  }

  delete(key: string): void {
    if (this.byKey.delete(key)) this.keys.delete(key);
  }

  /** Keys under `prefix` in order, with copies of their values. */
  list(prefix: string, limit: number | undefined, continueFrom: string | undefined): Page {
    const end = prefixEnd(prefix);
    const count = this.keys.countRange(prefix, end);
    const items: KeyValue[] = [];
    let more = false;
    const start = continueFrom !== undefined && continueFrom > prefix ? continueFrom : prefix;
    for (const key of this.keys.range(start, end)) {
      if (key === continueFrom) continue;
      if (limit && items.length >= limit) {
        more = true;
        break;
      }
      items.push(copyKv(this.byKey.get(key)!));
    }
    return { items, count, more };
  }

  countUnder(prefix: string): number {
    return this.keys.countRange(prefix, prefixEnd(prefix));
  }

  /** Keys in [prefix, end) after `continueFrom` (if given), in order. */
  *keysFrom(prefix: string, end: string, continueFrom: string | undefined): Generator<string> {
    const start = continueFrom !== undefined && continueFrom > prefix ? continueFrom : prefix;
    for (const key of this.keys.range(start, end)) if (key !== continueFrom) yield key;
  }

  /** Every live key-value (no copies), for loading and debugging. */
  values(): IterableIterator<KeyValue> {
    return this.byKey.values();
  }
}

/** The page of `sorted` (key-ordered, all under one prefix) after `continueFrom`, at most `limit` long. */
export function pageOf(
  sorted: KeyValue[],
  limit: number | undefined,
  continueFrom: string | undefined,
): Page {
  let start = 0;
  if (continueFrom !== undefined) {
    // First index whose key is > continueFrom.
    let hi = sorted.length;
    while (start < hi) {
      const mid = (start + hi) >>> 1;
      if (sorted[mid].key <= continueFrom) start = mid + 1;
      else hi = mid;
    }
  }
  const end = limit ? Math.min(sorted.length, start + limit) : sorted.length;
  return { items: sorted.slice(start, end).map(copyKv), count: sorted.length, more: end < sorted.length };
}
