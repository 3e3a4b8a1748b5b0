// Typed object access over the revisioned Backend: JSON encoding, resourceVersion from revisions,
// one watch cache per resource, and upstream's error messages for missing/existing/stale objects.
import { apiVersionOf } from '../api/registry.js';
import type { Obj, ResourceDef } from '../api/types.js';
import { isK8tsError, K8tsError } from '../errors.js';
import type { Backend } from '../storage/backend.js';
import { listPrefix, objectKey, resourcePrefix } from './keys.js';
import { decodeObject, WatchCache } from './watchcache.js';

/** `pods`, `deployments.apps`: how upstream names a resource in messages. */
export function qualifiedResource(def: ResourceDef): string {
  return def.group === '' ? def.plural : `${def.plural}.${def.group}`;
}

export function notFound(def: ResourceDef, name: string): K8tsError {
  return new K8tsError('NotFound', `${qualifiedResource(def)} "${name}" not found`, {
    name,
    group: def.group || undefined,
    kind: def.plural,
  });
}

export function alreadyExists(def: ResourceDef, name: string): K8tsError {
  return new K8tsError('AlreadyExists', `${qualifiedResource(def)} "${name}" already exists`, {
    name,
    group: def.group || undefined,
    kind: def.plural,
  });
}

export function conflict(def: ResourceDef, name: string, why: string): K8tsError {
  return new K8tsError(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`,
    {
      name,
      group: def.group || undefined,
      kind: def.plural,
    },
  );
}

export const STALE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** Stored form: the object without its resourceVersion (that comes from the store revision). */
function encode(obj: Obj): Buffer {
  const rv = obj.metadata?.resourceVersion;
  if (rv !== undefined) delete obj.metadata.resourceVersion;
  const buf = Buffer.from(JSON.stringify(obj));
  if (rv !== undefined) obj.metadata.resourceVersion = rv;
  return buf;
}

function parseRv(def: ResourceDef, name: string, rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new K8tsError(
      'BadRequest',
      `invalid resourceVersion ${JSON.stringify(rv)} for ${qualifiedResource(def)} "${name}"`,
    );
  }
  return n;
}

/** Stored form -> the form of `def` (differs only for kinds that share another kind's storage). */
export function fromStorage(def: ResourceDef, obj: Obj): Obj {
  return def.sharedStorage ? def.sharedStorage.fromStorage(obj) : obj;
}

function toStorage(def: ResourceDef, obj: Obj): Obj {
  return def.sharedStorage ? def.sharedStorage.toStorage(obj) : obj;
}

export class ObjectStore {
  private readonly caches = new Map<string, WatchCache>();

  constructor(readonly backend: Backend) {}

  cache(def: ResourceDef): WatchCache {
    const prefix = resourcePrefix(def);
    let c = this.caches.get(prefix);
    if (!c) {
      c = new WatchCache(this.backend, prefix);
      this.caches.set(prefix, c);
    }
    return c;
  }

  /**
   * A fresh read (from the cache when it is provably current, else from the store).
   * The result may be shared with the cache: clone it before changing it.
   */
  /** Resolves once the writes the store has accepted so far are answered (see Backend.settled). */
  settled(): Promise<void> {
    return this.backend.settled?.() ?? Promise.resolve();
  }

  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<Obj> {
    const key = objectKey(def, namespace, name);
    const cache = this.cache(def);
    const current = await this.backend.currentRevision();
    if (await cache.waitFor(current, 20)) {
      const obj = cache.get(key);
      if (!obj) throw notFound(def, name);
      return fromStorage(def, obj);
    }
    const { kv } = await this.backend.get(key);
    if (!kv) throw notFound(def, name);
    return fromStorage(def, decodeObject(kv));
  }

  /** Like get, but undefined instead of NotFound. */
  async tryGet(def: ResourceDef, namespace: string | undefined, name: string): Promise<Obj | undefined> {
    try {
      return await this.get(def, namespace, name);
    } catch (err) {
      if (isK8tsError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  async create(def: ResourceDef, obj: Obj): Promise<Obj> {
    const { name, namespace } = obj.metadata;
    try {
      const { revision } = await this.backend.create(
        objectKey(def, namespace, name),
        encode(toStorage(def, obj)),
      );
      obj.metadata.resourceVersion = String(revision);
      return obj;
    } catch (err) {
      if (isK8tsError(err, 'KeyExists')) throw alreadyExists(def, name);
      throw err;
    }
  }

  /** Compare-and-swap on resourceVersion. */
  async update(def: ResourceDef, obj: Obj, expectedRv: string): Promise<Obj> {
    const { name, namespace } = obj.metadata;
    const expected = parseRv(def, name, expectedRv)!;
    try {
      const { revision } = await this.backend.update(
        objectKey(def, namespace, name),
        encode(toStorage(def, obj)),
        {
          expectedModRevision: expected,
        },
      );
      obj.metadata.resourceVersion = String(revision);
      return obj;
    } catch (err) {
      if (isK8tsError(err, 'RevisionConflict')) throw conflict(def, name, STALE);
      if (isK8tsError(err, 'KeyNotFound')) throw notFound(def, name);
      throw err;
    }
  }

  async delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    expectedRv?: string,
  ): Promise<Obj> {
    try {
      const res = await this.backend.delete(objectKey(def, namespace, name), {
        expectedModRevision: parseRv(def, name, expectedRv),
      });
      const obj = fromStorage(def, decodeObject(res.prev));
      obj.metadata.resourceVersion = String(res.revision);
      return obj;
    } catch (err) {
      if (isK8tsError(err, 'RevisionConflict')) throw conflict(def, name, STALE);
      if (isK8tsError(err, 'KeyNotFound')) throw notFound(def, name);
      throw err;
    }
  }

  /**
   * List objects. `rv` semantics as upstream: undefined = consistent (most recent), '0' = any (cache),
   * N = not older than N. Returns the objects and the revision they reflect.
   */
  async list(
    def: ResourceDef,
    namespace: string | undefined,
    rv: string | undefined,
  ): Promise<{ items: Obj[]; revision: number }> {
    const cache = this.cache(def);
    await cache.ready();
    const prefix = listPrefix(def, namespace);
    let want = 0;
    if (rv === undefined || rv === '') want = await this.backend.currentRevision();
    else if (rv !== '0') want = parseRv(def, '', rv)!;
    if (want === 0 || (await cache.waitFor(want, 50))) {
      const items = cache.list(prefix);
      return {
        items: def.sharedStorage ? items.map((o) => fromStorage(def, o)) : items,
        revision: Math.max(cache.revision, want),
      };
    }
    const res = await this.backend.list(prefix);
    return { items: res.items.map((kv) => fromStorage(def, decodeObject(kv))), revision: res.revision };
  }

  /** One page straight from the store at a fixed revision (for limit/continue). */
  async listPage(
    def: ResourceDef,
    namespace: string | undefined,
    opts: { revision?: number; limit: number; continueFrom?: string },
  ): Promise<{ items: Obj[]; keys: string[]; revision: number; more: boolean; count: number }> {
    const res = await this.backend.list(listPrefix(def, namespace), opts);
    return {
      items: res.items.map((kv) => fromStorage(def, decodeObject(kv))),
      keys: res.items.map((kv) => kv.key),
      revision: res.revision,
      more: res.more,
      count: res.count,
    };
  }

  stop(): void {
    for (const c of this.caches.values()) c.stop();
  }
}

export function listKind(def: ResourceDef): { kind: string; apiVersion: string } {
  return { kind: `${def.kind}List`, apiVersion: apiVersionOf(def) };
}
