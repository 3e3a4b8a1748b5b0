// One Backend watch = one etcd gRPC watch stream. When the stream breaks (member restarted, failover to
// another member) it is reopened from the next revision not yet delivered, so callers see no gap and no
// duplicate. Compaction of the requested start ends the watch with Compacted.

import type { ClientDuplexStream } from '@grpc/grpc-js';
import { K8tsError } from '../../errors.js';
import {
  compactedError,
  type KeyValue,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
} from '../backend.js';
import { fromGrpcError } from './errors.js';
import type { PbEvent, PbKeyValue, PbWatchRequest, PbWatchResponse } from './proto.js';

export type WatchStream = ClientDuplexStream<PbWatchRequest, PbWatchResponse>;

export interface EtcdWatchDeps {
  openStream(): WatchStream;
  toKv(kv: PbKeyValue): KeyValue;
  /** Called with the compacted revision etcd reported. */
  sawCompaction(revision: number): void;
  /** Called once when the watch ends for any reason. */
  forget(w: EtcdWatch): void;
  /** How long a broken stream keeps trying to come back before the watch fails with StoreUnavailable. */
  retryBudgetMs: number;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

export class EtcdWatch implements Watch {
  private stream: WatchStream | null = null;
  /** The last revision delivered (or the caller's fromRevision). */
  private last: number;
  private done = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** When the current outage began (0 while healthy). */
  private brokenSince = 0;
  private backoff = MIN_BACKOFF_MS;

  constructor(
    private readonly deps: EtcdWatchDeps,
    private readonly key: Buffer,
    private readonly rangeEnd: Buffer,
    fromRevision: number,
    private readonly handlers: WatchHandlers,
    /** fromRevision is only our guess of "now" (watch from 0): never fail it with Compacted. */
    private fromNow = false,
  ) {
    this.last = fromRevision;
  }

  start(): void {
    if (this.done) return;
    let stream: WatchStream;
    try {
      stream = this.deps.openStream();
    } catch (err) {
      this.broken(err);
      return;
    }
    this.stream = stream;
    stream.on('data', (resp: PbWatchResponse) => {
      if (this.stream === stream) this.onResponse(resp);
    });
    stream.on('error', (err) => {
      if (this.stream === stream) this.broken(err);
    });
    stream.on('end', () => {
      if (this.stream === stream)
        this.broken(new K8tsError('StoreUnavailable', 'etcd closed the watch stream'));
    });
    // Start at `last` itself rather than last + 1 (its events are skipped below): etcd then refuses the
    // watch exactly when `last` is older than the compacted revision, which is our contract's boundary.
    stream.write({
      create_request: { key: this.key, range_end: this.rangeEnd, start_revision: this.last, prev_kv: true },
    });
  }

  cancel(): void {
    this.finish();
  }

  /** End the watch with an error delivered through onError (no-op if already ended). */
  fail(err: K8tsError): void {
    if (this.done) return;
    this.finish();
    this.handlers.onError(err);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const stream = this.stream;
    this.stream = null;
    stream?.cancel();
    this.deps.forget(this);
  }

  private onResponse(resp: PbWatchResponse): void {
    if (this.done) return;
    if (resp.compact_revision > 0) {
      this.deps.sawCompaction(resp.compact_revision);
      if (this.fromNow) {
        // Another client compacted past our idea of "now": start from the oldest revision still there.
        this.fromNow = false;
        this.last = resp.compact_revision;
        this.restart();
        return;
      }
      this.fail(compactedError(this.last, resp.compact_revision));
      return;
    }
    if (resp.canceled) {
      this.broken(
        new K8tsError('StoreUnavailable', `etcd canceled the watch: ${resp.cancel_reason || 'no reason'}`),
      );
      return;
    }
    if (resp.created) {
      this.brokenSince = 0;
      this.backoff = MIN_BACKOFF_MS;
    }
    if (resp.events.length === 0) return;
    const events: WatchEvent[] = [];
    for (const ev of resp.events) {
      // Events at `last` were delivered already (or precede the caller's fromRevision).
      if (ev.kv.mod_revision <= this.last) continue;
      events.push(this.toEvent(ev));
    }
    if (events.length === 0) return;
    this.last = events[events.length - 1].kv.modRevision;
    // From here on a Compacted error would mean the caller really misses events.
    this.fromNow = false;
    this.handlers.onEvents(events);
  }

  private toEvent(ev: PbEvent): WatchEvent {
    const kv = this.deps.toKv(ev.kv);
    const out: WatchEvent = { type: ev.type, kv };
    if (ev.prev_kv && ev.prev_kv.mod_revision > 0) out.prev = this.deps.toKv(ev.prev_kv);
    return out;
  }

  private restart(): void {
    const stream = this.stream;
    this.stream = null;
    stream?.cancel();
    this.start();
  }

  /** The stream failed: reopen from `last` after a backoff, unless the outage outlasted the budget. */
  private broken(err: unknown): void {
    if (this.done) return;
    const stream = this.stream;
    this.stream = null;
    stream?.cancel();
    const now = Date.now();
    if (this.brokenSince === 0) this.brokenSince = now;
    const mapped = fromGrpcError(err);
    if (mapped.code !== 'StoreUnavailable' || now - this.brokenSince >= this.deps.retryBudgetMs) {
      this.fail(
        mapped.code === 'StoreUnavailable'
          ? new K8tsError(
              'StoreUnavailable',
              `etcd watch lost for ${now - this.brokenSince} ms: ${mapped.message}`,
            )
          : mapped,
      );
      return;
    }
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start();
    }, delay);
  }
}
