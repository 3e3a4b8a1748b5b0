// The informer's cache: objects by `namespace/name` key, with indexes (namespace built in, custom ones
// added by index functions). Objects are shared with every reader: treat them as immutable and clone
// before changing one.

type Obj = Record<string, any>;

/** Returns the index values of an object (none, one or several). */
export type IndexFunc<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'namespace';

/** client-go's MetaNamespaceKeyFunc: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: Obj): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : String(m.name);
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export const namespaceIndex: IndexFunc<Obj> = (o) => (o.metadata?.namespace ? [o.metadata.namespace] : []);

export interface ReplaceResult<T> {
  added: T[];
  updated: [old: T, cur: T][];
  deleted: T[];
}

function sameValues(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class Store<T extends Obj = Obj> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name -> index value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexers({ [NAMESPACE_INDEX]: namespaceIndex as IndexFunc<T>, ...indexers });
  }

  get size(): number {
    return this.items.size;
  }

  /** Adds index functions; existing objects are indexed at once. Re-adding a name replaces it. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      this.indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(index, v, key);
    }
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Objects whose index function returned `value`. Unknown index names throw. */
  byIndex(indexName: string, value: string): T[] {
    const keys = this.index(indexName).get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) out.push(this.items.get(k)!);
    return out;
  }

  indexKeys(indexName: string, value: string): string[] {
    return [...(this.index(indexName).get(value) ?? [])];
  }

  /** The distinct values an index currently holds. */
  indexValues(indexName: string): string[] {
    return [...this.index(indexName).keys()];
  }

  byNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  private index(name: string): Map<string, Set<string>> {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index named ${JSON.stringify(name)}`);
    return index;
  }

  /** Inserts or replaces an object; returns the previous one. */
  upsert(obj: T, key = objectKey(obj)): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    this.reindex(key, old, obj);
    return old;
  }

  /** Removes an object by key; returns it. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    this.reindex(key, old, undefined);
    return old;
  }

  /**
   * Makes the store hold exactly `objs` (a fresh list) and reports the differences: new keys, keys
   * whose resourceVersion changed, and keys that are gone. Unchanged objects keep their identity.
   */
  replace(objs: T[]): ReplaceResult<T> {
    const out: ReplaceResult<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of objs) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.items.get(key);
      if (old === undefined) {
        this.upsert(obj, key);
        out.added.push(obj);
      } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        this.upsert(obj, key);
        out.updated.push([old, obj]);
      }
    }
    for (const [key, old] of [...this.items]) {
      if (!seen.has(key)) {
        this.remove(key);
        out.deleted.push(old);
      }
    }
    return out;
  }

  private reindex(key: string, old: T | undefined, cur: T | undefined): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      const before = old === undefined ? [] : fn(old);
      const after = cur === undefined ? [] : fn(cur);
      if (sameValues(before, after)) continue;
      for (const v of before) if (!after.includes(v)) removeFrom(index, v, key);
      for (const v of after) addTo(index, v, key);
    }
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let keys = index.get(value);
  if (!keys) {
    keys = new Set();
    index.set(value, keys);
  }
  keys.add(key);
}

function removeFrom(index: Map<string, Set<string>>, value: string, key: string): void {
  const keys = index.get(value);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(value);
}
