// The storage contract: a small revisioned key-value store shaped like etcd v3.
// Every driver (memory, sqlite, etcd) implements Backend and passes test/storage/conformance.ts.
//
// Revisions: one global counter per store, strictly increasing, bumped by every successful
// create/update/delete. Each live key carries the revision that created it and the one that last
// modified it. A read returns the revision it was served at, so callers can watch from there without gaps.

import { K8tsError } from '../errors.js';

export interface KeyValue {
  key: string;
  value: Buffer;
  /** Revision of the create that started this key's current life. */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
}

export interface GetResult {
  kv: KeyValue | null;
  /** The store revision the read was served at. */
  revision: number;
}

export interface ListOptions {
  /** Read the state as of this revision (must not be compacted). Default: current. */
  revision?: number;
  /** Max items to return; 0 or absent means all. */
  limit?: number;
  /** Return only keys strictly greater than this one (pagination cursor). */
  continueFrom?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** Number of keys under the prefix at that revision (ignores limit and continueFrom). */
  count: number;
  /** The revision the list was served at; pass it back with continueFrom for a consistent next page. */
  revision: number;
  /** True when more keys follow the last returned item. */
  more: boolean;
}

export interface WriteResult {
  /** The revision this write created. */
  revision: number;
}

export interface DeleteResult extends WriteResult {
  /** The value that was deleted. */
  prev: KeyValue;
}

export interface UpdateOptions {
  /** Compare-and-swap: the write succeeds only if the key's modRevision equals this. */
  expectedModRevision: number;
}

export interface DeleteOptions {
  expectedModRevision?: number;
}

export type WatchEventType = 'PUT' | 'DELETE';

export interface WatchEvent {
  type: WatchEventType;
  /** For PUT the new value; for DELETE the key with an empty value and modRevision = deletion revision. */
  kv: KeyValue;
  /** The value before this event (absent for a create). */
  prev?: KeyValue;
}

export interface WatchOptions {
  /** Deliver every event with revision > fromRevision. 0 means "from now". */
  fromRevision: number;
}

export interface WatchHandlers {
  /** Events in strictly increasing revision order, never duplicated; batches may hold one revision's events. */
  onEvents(events: WatchEvent[]): void;
  /** The watch ended abnormally (e.g. Compacted, store closed). No more events follow. */
  onError(err: K8tsError): void;
  /**
   * Optional: every event under the prefix with revision <= `revision` has been delivered. Drivers that
   * can tell (sqlite, memory) call it after each commit so caches know they are current.
   */
  onProgress?(revision: number): void;
}

export interface Watch {
  cancel(): void;
}

export interface Backend {
  /** Driver name for logs and benchmarks. */
  readonly name: string;

  get(key: string, opts?: { revision?: number }): Promise<GetResult>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Fails with KeyExists if the key is live. */
  create(key: string, value: Buffer): Promise<WriteResult>;
  /** Fails with KeyNotFound if absent, RevisionConflict if modRevision differs. */
  update(key: string, value: Buffer, opts: UpdateOptions): Promise<WriteResult>;
  /** Fails with KeyNotFound if absent, RevisionConflict if expectedModRevision is given and differs. */
  delete(key: string, opts?: DeleteOptions): Promise<DeleteResult>;
  /**
   * Stream changes under prefix. Fails (through onError, possibly synchronously before returning)
   * with Compacted when fromRevision is older than the compacted revision.
   */
  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): Watch;
  /**
   * Drop history older than `revision`: the state at `revision` stays readable (as in etcd), reads at
   * an older revision and watches from an older fromRevision fail with Compacted. Compacting at or
   * below the compacted revision is a no-op; above the current revision fails with FutureRevision.
   */
  compact(revision: number): Promise<void>;
  /** The latest committed revision. */
  currentRevision(): Promise<number>;
  /**
   * Resolves once every write accepted so far has been answered (applied, or failed). A driver whose
   * accepted writes can be ahead of what reads see (sqlite: written, waiting for the WAL fsync) has it,
   * so that a compare-and-swap loser can wait for the write it lost to before reading again.
   */
  settled?(): Promise<void>;
  /** The newest compacted revision (0 if never compacted). */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

/** Values larger than this are refused, as etcd refuses requests over its 1.5 MiB default. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;
export const MAX_KEY_BYTES = 2048;

/** Keys are absolute, slash-separated paths of printable ASCII without empty segments. */
const KEY_SHAPE = /^\/[\x21-\x7e]*$/;

export function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY_SHAPE.test(key) || key.includes('//') || key.length > MAX_KEY_BYTES) {
    throw new K8tsError(
      'InvalidKey',
      `invalid storage key ${JSON.stringify(key)}: keys start with "/", use printable ASCII without spaces or empty segments, and are at most ${MAX_KEY_BYTES} bytes`,
    );
  }
}

export function checkPrefix(prefix: string): void {
  // A prefix is a key that may end with "/" (e.g. "/registry/pods/").
  checkKey(prefix.endsWith('/') && prefix.length > 1 ? prefix.slice(0, -1) : prefix);
}

export function checkValue(key: string, value: Buffer): void {
  if (!Buffer.isBuffer(value)) {
    throw new K8tsError('BadRequest', `value for ${key} must be bytes`);
  }
  if (value.length > MAX_VALUE_BYTES) {
    throw new K8tsError(
      'ValueTooLarge',
      `value for ${key} is ${value.length} bytes; the store accepts at most ${MAX_VALUE_BYTES} bytes`,
    );
  }
}

/** Exclusive upper bound for a prefix scan: the prefix with its last byte incremented. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export function compactedError(requested: number, compacted: number): K8tsError {
  return new K8tsError(
    'Compacted',
    `revision ${requested} has been compacted; the oldest available revision is ${compacted}`,
  );
}

export function futureRevisionError(requested: number, current: number): K8tsError {
  return new K8tsError(
    'FutureRevision',
    `revision ${requested} is newer than the store's current revision ${current}`,
  );
}

export function closedError(driver: string): K8tsError {
  return new K8tsError('StoreClosed', `the ${driver} store is closed`);
}
