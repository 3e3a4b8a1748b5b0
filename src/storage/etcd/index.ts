// The etcd driver: Backend on a real etcd v3 cluster over gRPC. Revisions are etcd's own; every write is
// a single request (a Txn where a precondition is needed), so etcd's atomicity is ours.

import * as grpc from '@grpc/grpc-js';
import { isK8tsError, K8tsError } from '../../errors.js';
import {
  type Backend,
  checkKey,
  checkPrefix,
  checkValue,
  closedError,
  compactedError,
  type DeleteOptions,
  type DeleteResult,
  futureRevisionError,
  type GetResult,
  type KeyValue,
  type ListOptions,
  type ListResult,
  prefixEnd,
  type UpdateOptions,
  type Watch,
  type WatchHandlers,
  type WatchOptions,
  type WriteResult,
} from '../backend.js';
import { type Compactor, DEFAULT_COMPACT_WINDOW_MS, startCompactor } from '../compactor.js';
import { fromGrpcError } from './errors.js';
import {
  etcdServices,
  type PbCompare,
  type PbDeleteRangeResponse,
  type PbHeader,
  type PbKeyValue,
  type PbRangeRequest,
  type PbRangeResponse,
  type PbTxnRequest,
  type PbTxnResponse,
  type PbWatchRequest,
  type PbWatchResponse,
} from './proto.js';
import { grpcTarget } from './target.js';
import { EtcdWatch, type WatchStream } from './watch.js';

export interface EtcdBackendOptions {
  /** Cluster members as host:port or http://host:port. */
  endpoints: string[];
  /** Namespace inside etcd: every key is stored as prefix + key (e.g. "/k8ts"). Default: none. */
  prefix?: string;
  /** Deadline for one request. Default 10 s. */
  requestTimeoutMs?: number;
  /** Deadline for compact(), which waits for the physical compaction. Default 120 s. */
  compactTimeoutMs?: number;
  /** How long a broken watch keeps reconnecting before failing with StoreUnavailable. Default 15 s. */
  watchRetryMs?: number;
  /** History kept by the periodic compactor, in ms; 0 turns it off. Default 5 minutes. */
  compactWindowMs?: number;
  /** How often the periodic compactor runs. Default: the smaller of 30 s and the window. */
  compactIntervalMs?: number;
  /** Clock for the periodic compactor (tests). */
  now?: () => number;
}

const DRIVER = 'etcd';

/** Reads are idempotent, so gRPC may retry them (e.g. on the next member after a failover). */
const SERVICE_CONFIG = {
  loadBalancingConfig: [{ pick_first: {} }],
  methodConfig: [
    {
      name: [{ service: 'etcdserverpb.KV', method: 'Range' }],
      retryPolicy: {
        maxAttempts: 4,
        initialBackoff: '0.05s',
        maxBackoff: '1s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
};

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;
type UnaryMethod = (req: unknown, opts: grpc.CallOptions, cb: Callback<unknown>) => void;

export async function openEtcdBackend(opts: EtcdBackendOptions): Promise<Backend> {
  const prefix = normalizePrefix(opts.prefix ?? '');
  const target = await grpcTarget(opts.endpoints);
  const backend = new EtcdBackend(target, prefix, opts);
  try {
    // Fails fast when no member answers, and seeds the revision used by watch({fromRevision: 0}).
    await backend.currentRevision();
  } catch (err) {
    await backend.close();
    throw err;
  }
  const windowMs = opts.compactWindowMs ?? DEFAULT_COMPACT_WINDOW_MS;
  if (windowMs > 0) {
    // Every client of a shared cluster may run one: compacting at or below etcd's revision is a no-op.
    backend.compactor = startCompactor(backend, {
      windowMs,
      intervalMs: opts.compactIntervalMs,
      now: opts.now,
    });
  }
  return backend;
}

function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/\/+$/, '');
  if (p !== '') checkKey(p);
  return p;
}

function checkRevision(what: string, rev: number | undefined): void {
  if (rev !== undefined && (!Number.isSafeInteger(rev) || rev < 0)) {
    throw new K8tsError('BadRequest', `${what} must be a non-negative integer, got ${rev}`);
  }
}

class EtcdBackend implements Backend {
  readonly name = DRIVER;
  private readonly kv: grpc.Client;
  private readonly watchClient: grpc.Client;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;
  compactor: Compactor | undefined;
  /** Highest revision seen in any response: "now" for watch({fromRevision: 0}). */
  private lastSeen = 0;
  /** A lower bound for etcd's compacted revision (from our compactions and watch errors). */
  private compactedKnown = 0;
  private readonly requestTimeoutMs: number;
  private readonly compactTimeoutMs: number;
  private readonly watchRetryMs: number;

  constructor(
    target: string,
    private readonly prefix: string,
    opts: EtcdBackendOptions,
  ) {
    const { KV, Watch } = etcdServices();
    const channelOptions: grpc.ChannelOptions = {
      'grpc.service_config': JSON.stringify(SERVICE_CONFIG),
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // etcd rejects pings more often than every 5 s and pings without active calls.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    };
    const creds = grpc.credentials.createInsecure();
    this.kv = new KV(target, creds, channelOptions);
    // Watches get their own channel so a burst of large list responses cannot delay events.
    this.watchClient = new Watch(target, creds, channelOptions);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.compactTimeoutMs = opts.compactTimeoutMs ?? 120_000;
    this.watchRetryMs = opts.watchRetryMs ?? 15_000;
  }

  // ---- keys ----

  private fullKey(key: string): Buffer {
    return Buffer.from(this.prefix + key, 'latin1');
  }

  private toKv = (kv: PbKeyValue): KeyValue => ({
    key: kv.key.toString('latin1').slice(this.prefix.length),
    value: kv.value,
    createRevision: kv.create_revision,
    modRevision: kv.mod_revision,
  });

  // ---- transport ----

  private ensureOpen(): void {
    if (this.closed) throw closedError(DRIVER);
  }

  private call<T>(method: string, req: unknown, timeoutMs = this.requestTimeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(closedError(DRIVER));
    const fn = (this.kv as unknown as Record<string, UnaryMethod>)[method];
    return new Promise<T>((resolve, reject) => {
      fn.call(this.kv, req, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) {
          reject(this.closed ? closedError(DRIVER) : fromGrpcError(err));
          return;
        }
        const header = (res as { header?: PbHeader | null }).header;
        if (header && header.revision > this.lastSeen) this.lastSeen = header.revision;
        resolve(res as T);
      });
    });
  }

  private range(req: PbRangeRequest): Promise<PbRangeResponse> {
    return this.call<PbRangeResponse>('Range', req);
  }

  private txn(req: PbTxnRequest): Promise<PbTxnResponse> {
    return this.call<PbTxnResponse>('Txn', req);
  }

  /** Reads at a past revision: Compacted and FutureRevision errors say which revisions exist. */
  private async atRevision<T>(revision: number | undefined, read: () => Promise<T>): Promise<T> {
    if (revision !== undefined && revision < this.compactedKnown) {
      throw compactedError(revision, this.compactedKnown);
    }
    try {
      return await read();
    } catch (err) {
      if (revision === undefined) throw err;
      if (isK8tsError(err, 'Compacted')) {
        throw compactedError(revision, await this.compactedRevision().catch(() => revision + 1));
      }
      if (isK8tsError(err, 'FutureRevision')) {
        throw futureRevisionError(revision, await this.currentRevision().catch(() => revision - 1));
      }
      throw err;
    }
  }

  // ---- reads ----

  async get(key: string, opts: { revision?: number } = {}): Promise<GetResult> {
    checkKey(key);
    checkRevision('revision', opts.revision);
    this.ensureOpen();
    const rev = opts.revision || undefined;
    const res = await this.atRevision(rev, () => this.range({ key: this.fullKey(key), revision: rev ?? 0 }));
    return { kv: res.kvs.length > 0 ? this.toKv(res.kvs[0]) : null, revision: rev ?? res.header.revision };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    checkPrefix(prefix);
    checkRevision('revision', opts.revision);
    checkRevision('limit', opts.limit);
    if (opts.continueFrom !== undefined) checkKey(opts.continueFrom);
    this.ensureOpen();
    const rev = opts.revision || undefined;
    const start = this.fullKey(prefix);
    const end = this.fullKey(prefixEnd(prefix));
    const limit = opts.limit ?? 0;
    if (opts.continueFrom === undefined) {
      const res = await this.atRevision(rev, () =>
        this.range({ key: start, range_end: end, limit, revision: rev ?? 0 }),
      );
      return {
        items: res.kvs.map(this.toKv),
        count: res.count,
        revision: rev ?? res.header.revision,
        more: res.more,
      };
    }
    // A page after a cursor: etcd counts only the scanned range, so count the whole prefix in the same
    // read-only txn (one round trip, one consistent view).
    const after = this.fullKey(`${opts.continueFrom}\0`);
    const pageStart = Buffer.compare(after, start) > 0 ? after : start;
    const res = await this.atRevision(rev, () =>
      this.txn({
        compare: [],
        success: [
          { request_range: { key: start, range_end: end, revision: rev ?? 0, count_only: true } },
          { request_range: { key: pageStart, range_end: end, limit, revision: rev ?? 0 } },
        ],
        failure: [],
      }),
    );
    const counted = res.responses[0].response_range as PbRangeResponse;
    const page = res.responses[1].response_range as PbRangeResponse;
    return {
      items: page.kvs.map(this.toKv),
      count: counted.count,
      revision: rev ?? res.header.revision,
      more: page.more,
    };
  }

  // ---- writes ----

  async create(key: string, value: Buffer): Promise<WriteResult> {
    checkKey(key);
    checkValue(key, value);
    this.ensureOpen();
    const k = this.fullKey(key);
    const res = await this.txn({
      compare: [{ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }],
      success: [{ request_put: { key: k, value } }],
      failure: [],
    });
    if (!res.succeeded) throw new K8tsError('KeyExists', `key ${key} already exists`);
    return { revision: res.header.revision };
  }

  async update(key: string, value: Buffer, opts: UpdateOptions): Promise<WriteResult> {
    checkKey(key);
    checkValue(key, value);
    if (typeof opts?.expectedModRevision !== 'number') {
      throw new K8tsError('BadRequest', `update of ${key} needs expectedModRevision`);
    }
    checkRevision('expectedModRevision', opts.expectedModRevision);
    this.ensureOpen();
    const k = this.fullKey(key);
    const res = await this.txn({
      compare: this.expectRevision(k, opts.expectedModRevision),
      success: [{ request_put: { key: k, value } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.casFailure(key, opts.expectedModRevision, res);
    return { revision: res.header.revision };
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    checkKey(key);
    checkRevision('expectedModRevision', opts.expectedModRevision);
    this.ensureOpen();
    const k = this.fullKey(key);
    if (opts.expectedModRevision === undefined) {
      const res = await this.call<PbDeleteRangeResponse>('DeleteRange', { key: k, prev_kv: true });
      if (res.deleted === 0 || res.prev_kvs.length === 0) throw notFound(key);
      return { revision: res.header.revision, prev: this.toKv(res.prev_kvs[0]) };
    }
    const res = await this.txn({
      compare: this.expectRevision(k, opts.expectedModRevision),
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.casFailure(key, opts.expectedModRevision, res);
    const deleted = res.responses[0].response_delete_range as PbDeleteRangeResponse;
    return { revision: res.header.revision, prev: this.toKv(deleted.prev_kvs[0]) };
  }

  /** The key is live (create_revision > 0) and was last written at `expected`. */
  private expectRevision(k: Buffer, expected: number): PbCompare[] {
    return [
      { key: k, target: 'CREATE', result: 'GREATER', create_revision: 0 },
      { key: k, target: 'MOD', result: 'EQUAL', mod_revision: expected },
    ];
  }

  /** Tells a missing key from a stale revision using the read in the txn's failure branch. */
  private casFailure(key: string, expected: number, res: PbTxnResponse): K8tsError {
    const current = res.responses[0]?.response_range?.kvs[0];
    if (!current) return notFound(key);
    return new K8tsError(
      'RevisionConflict',
      `key ${key} was modified at revision ${current.mod_revision}; the write expected revision ${expected}`,
    );
  }

  // ---- watch ----

  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): Watch {
    checkPrefix(prefix);
    checkRevision('fromRevision', opts.fromRevision);
    const from = opts.fromRevision > 0 ? opts.fromRevision : this.lastSeen;
    const w = new EtcdWatch(
      {
        openStream: () =>
          (this.watchClient as unknown as { Watch(): WatchStream }).Watch() as grpc.ClientDuplexStream<
            PbWatchRequest,
            PbWatchResponse
          >,
        toKv: this.toKv,
        sawCompaction: (rev) => this.sawCompaction(rev),
        forget: (x) => this.watches.delete(x),
        retryBudgetMs: this.watchRetryMs,
      },
      this.fullKey(prefix),
      this.fullKey(prefixEnd(prefix)),
      from,
      handlers,
      opts.fromRevision === 0,
    );
    if (this.closed) {
      w.fail(closedError(DRIVER));
      return w;
    }
    if (opts.fromRevision > 0 && opts.fromRevision < this.compactedKnown) {
      w.fail(compactedError(opts.fromRevision, this.compactedKnown));
      return w;
    }
    this.watches.add(w);
    w.start();
    return w;
  }

  // ---- revisions and compaction ----
  // The contract's compaction is etcd's: after compact(X) the state at X stays readable, older reads fail.

  async compact(revision: number): Promise<void> {
    checkRevision('revision', revision);
    this.ensureOpen();
    if (revision <= this.compactedKnown) return;
    try {
      await this.call('Compact', { revision, physical: true }, this.compactTimeoutMs);
    } catch (err) {
      // Already compacted at or past this revision (by us or another client): nothing to do.
      if (isK8tsError(err, 'Compacted')) return;
      if (isK8tsError(err, 'FutureRevision'))
        throw futureRevisionError(revision, await this.currentRevision());
      throw err;
    }
    this.sawCompaction(revision);
  }

  private sawCompaction(revision: number): void {
    if (revision > this.compactedKnown) this.compactedKnown = revision;
  }

  async currentRevision(): Promise<number> {
    this.ensureOpen();
    const res = await this.range({ key: this.fullKey('/'), count_only: true });
    return res.header.revision;
  }

  /**
   * etcd has no call that returns the compacted revision, but a read below it fails. Start from what we
   * know (one request when nobody else compacted) and binary-search the oldest readable revision.
   */
  async compactedRevision(): Promise<number> {
    this.ensureOpen();
    const known = this.compactedKnown;
    if (await this.readableAt(Math.max(known, 1))) return known;
    let lo = Math.max(known, 1); // not readable
    let hi = await this.currentRevision(); // readable
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.readableAt(mid)) hi = mid;
      else lo = mid;
    }
    this.sawCompaction(hi);
    return this.compactedKnown;
  }

  private async readableAt(revision: number): Promise<boolean> {
    try {
      await this.range({ key: this.fullKey('/'), revision, count_only: true });
      return true;
    } catch (err) {
      if (isK8tsError(err, 'Compacted')) return false;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.compactor?.stop();
    for (const w of [...this.watches]) w.fail(closedError(DRIVER));
    this.kv.close();
    this.watchClient.close();
  }
}

function notFound(key: string): K8tsError {
  return new K8tsError('KeyNotFound', `key ${key} not found`);
}
