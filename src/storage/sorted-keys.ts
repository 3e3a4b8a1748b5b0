// A sorted set of strings kept as a list of small sorted chunks, so inserts and deletes move at most
// one chunk's worth of entries (a flat sorted array would move half the keys on every create).
// Strings compare with JS `<`, which for the printable-ASCII keys the store accepts is byte order,
// the same order SQLite and etcd use.

const MAX_CHUNK = 512;

export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Index of the first chunk whose last key is >= key (chunks.length if none). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid];
      if (c[c.length - 1] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return;
    }
    let ci = this.chunkFor(key);
    if (ci === this.chunks.length) ci--; // larger than everything: append to the last chunk
    const c = this.chunks[ci];
    const i = lowerBound(c, key);
    if (c[i] === key) return;
    c.splice(i, 0, key);
    this.count++;
    if (c.length > MAX_CHUNK) this.chunks.splice(ci + 1, 0, c.splice(c.length >>> 1));
  }

  delete(key: string): boolean {
    const ci = this.chunkFor(key);
    if (ci === this.chunks.length) return false;
    const c = this.chunks[ci];
    const i = lowerBound(c, key);
    if (c[i] !== key) return false;
    c.splice(i, 1);
    this.count--;
    if (c.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /** Keys k with from <= k < to (to = undefined: no upper bound), in order. */
  *range(from: string, to: string | undefined): Generator<string> {
    const first = this.chunkFor(from);
    for (let ci = first; ci < this.chunks.length; ci++) {
      const c = this.chunks[ci];
      for (let i = ci === first ? lowerBound(c, from) : 0; i < c.length; i++) {
        if (to !== undefined && c[i] >= to) return;
        yield c[i];
      }
    }
  }

  /** Number of keys k with from <= k < to, counting whole chunks without visiting their keys. */
  countRange(from: string, to: string): number {
    let n = 0;
    for (let ci = this.chunkFor(from); ci < this.chunks.length; ci++) {
      const c = this.chunks[ci];
      const start = c[0] >= from ? 0 : lowerBound(c, from);
      if (c[c.length - 1] < to) {
        n += c.length - start;
        continue;
      }
      return n + lowerBound(c, to) - start;
    }
    return n;
  }
}

function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
