// Streaming watch: newline-delimited JSON events from the resource's watch cache, filtered per watcher
// with upstream's selector transition rules, optional bookmarks, timeouts, and the Table form.
import type { ServerResponse } from 'node:http';
import type { Obj, ResourceDef } from '../api/types.js';
import { isK8tsError, K8tsError } from '../errors.js';
import { buildFilter } from './filter.js';
import { errorToStatus } from './http.js';
import { listPrefix } from './keys.js';
import { fromStorage, type ObjectStore } from './objectstore.js';
import { objectJson } from './serialized.js';
import { type IncludeObject, toTable } from './tables.js';
import { type CacheEvent, decodeObject, type WatchEventType } from './watchcache.js';

export interface WatchRequest {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  query: URLSearchParams;
  table?: IncludeObject;
  bookmarkIntervalMs?: number;
  /**
   * Upstream's --min-request-timeout: a watch without a shorter timeoutSeconds ends after a random
   * duration between this and twice this, so clients reconnect and load spreads across servers.
   */
  minRequestTimeoutSeconds?: number;
}

interface OutEvent {
  type: WatchEventType | 'BOOKMARK' | 'ERROR';
  object: Obj;
}

export async function serveWatch(store: ObjectStore, w: WatchRequest, res: ServerResponse): Promise<void> {
  const { def, query } = w;
  const filter = buildFilter(def, query);
  const prefix = listPrefix(def, w.namespace);
  const nameKey = w.name;
  const matches = (o: Obj | undefined): boolean =>
    !!o && (nameKey === undefined || o.metadata?.name === nameKey) && filter(o);
  const cache = store.cache(def);
  await cache.ready();

  const rvParam = query.get('resourceVersion') ?? '';
  let fromRv: number;
  const initial: Obj[] = [];
  if (rvParam === '' || rvParam === '0') {
    // No version: start with the current state as ADDED events (upstream's "get state and start").
    if (rvParam === '') await cache.waitFor(await store.backend.currentRevision(), 50);
    fromRv = cache.revision;
    for (const stored of cache.list(prefix)) {
      const o = fromStorage(def, stored);
      if (matches(o)) initial.push(o);
    }
  } else {
    fromRv = Number(rvParam);
    if (!Number.isSafeInteger(fromRv) || fromRv < 0) {
      throw new K8tsError('BadRequest', `invalid resourceVersion ${JSON.stringify(rvParam)}`);
    }
  }

  const requested = Number(query.get('timeoutSeconds') ?? 0);
  const floor = w.minRequestTimeoutSeconds ?? 1800;
  const serverLimit = floor * (1 + Math.random());
  const timeoutSeconds = requested > 0 ? Math.min(requested, serverLimit) : serverLimit;
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  let headerWritten = false;
  let first = true;
  const writeHead = () => {
    if (headerWritten) return;
    headerWritten = true;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
  };

  const encode = (e: OutEvent, shared?: CacheEvent): string => {
    if (w.table && (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED')) {
      const table = toTable(
        def,
        [e.object],
        w.table,
        { resourceVersion: e.object.metadata?.resourceVersion },
        first,
      );
      first = false;
      return `${JSON.stringify({ type: e.type, object: table })}\n`;
    }
    if (shared && e.object === shared.object && e.type === shared.type) {
      shared.json ??= `{"type":${JSON.stringify(e.type)},"object":${objectJson(e.object)}}\n`;
      return shared.json;
    }
    return `${JSON.stringify(e)}\n`;
  };

  // Selector transitions: an object that stops matching is DELETED for this watcher, one that starts is ADDED.
  const translate = (raw: CacheEvent): OutEvent | undefined => {
    if (!raw.key.startsWith(prefix)) return undefined;
    // Kinds sharing another kind's storage see converted copies (not shared JSON).
    const ev: CacheEvent = def.sharedStorage
      ? {
          ...raw,
          object: fromStorage(def, raw.object),
          prev: raw.prev && fromStorage(def, raw.prev),
          json: undefined,
        }
      : raw;
    const now = ev.type === 'DELETED' ? false : matches(ev.object);
    const before = ev.type === 'ADDED' ? false : matches(ev.prev);
    if (ev.type === 'DELETED') return before ? { type: 'DELETED', object: ev.object } : undefined;
    if (now && before) return { type: 'MODIFIED', object: ev.object };
    if (now) return { type: 'ADDED', object: ev.object };
    if (before) return { type: 'DELETED', object: ev.object };
    return undefined;
  };

  let closed = false;
  let lastRv = fromRv;
  const send = (events: CacheEvent[]) => {
    if (closed) return;
    let chunk = '';
    for (const ev of events) {
      lastRv = ev.rv;
      const out = translate(ev);
      if (out) chunk += encode(out, ev);
    }
    if (chunk) {
      writeHead();
      res.write(chunk);
    }
  };

  const timers: NodeJS.Timeout[] = [];
  let unsubscribe: (() => void) | undefined;
  try {
    unsubscribe = cache.subscribe(fromRv, send);
  } catch (err) {
    if (!isK8tsError(err, 'Expired') || fromRv >= cache.startRevision) throw err;
    // Older than the cache (e.g. after an API server restart): replay from the store's history.
    unsubscribe = storeWatch(store, def, prefix, fromRv, send, (e) => {
      writeHead();
      res.write(`${JSON.stringify({ type: 'ERROR', object: e.toStatus() })}\n`);
      // The error may arrive before the rest of this function has run; end the stream after it.
      setImmediate(finish);
    });
  }

  writeHead();
  if (initial.length > 0) {
    let chunk = '';
    for (const o of initial) chunk += encode({ type: 'ADDED', object: o });
    res.write(chunk);
  }

  const finish = () => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  if (timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000));
  if (bookmarks) {
    const iv = setInterval(() => {
      if (closed) return;
      const rv = Math.max(lastRv, cache.revision);
      res.write(
        `${JSON.stringify({ type: 'BOOKMARK', object: { kind: def.kind, apiVersion: apiVersionFor(def), metadata: { resourceVersion: String(rv) } } })}\n`,
      );
    }, w.bookmarkIntervalMs ?? 60_000);
    timers.push(iv);
  }
  res.on('close', finish);
}

function apiVersionFor(def: ResourceDef): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

/** A direct store watch for revisions older than the cache; events are mapped like the cache's. */
function storeWatch(
  store: ObjectStore,
  _def: ResourceDef,
  prefix: string,
  fromRv: number,
  send: (events: CacheEvent[]) => void,
  fail: (err: K8tsError) => void,
): () => void {
  const w = store.backend.watch(
    prefix,
    { fromRevision: fromRv },
    {
      onEvents: (events) =>
        send(
          events.map((e) => {
            const prev = e.prev ? decodeObject(e.prev) : undefined;
            if (e.type === 'PUT') {
              return {
                type: prev ? 'MODIFIED' : 'ADDED',
                key: e.kv.key,
                object: decodeObject(e.kv),
                prev,
                rv: e.kv.modRevision,
              };
            }
            const object = {
              ...(prev ?? {}),
              metadata: { ...(prev?.metadata ?? {}), resourceVersion: String(e.kv.modRevision) },
            };
            return { type: 'DELETED', key: e.kv.key, object, prev, rv: e.kv.modRevision };
          }),
        ),
      onError: (err) =>
        fail(isK8tsError(err, 'Compacted') ? new K8tsError('Expired', err.message) : errorToStatus(err)),
    },
  );
  return () => w.cancel();
}
