// The compare-and-swap rules of create/update/delete, shared by the drivers that keep state themselves
// (memory, sqlite). A driver looks up the key's latest value (including writes not yet committed), and
// planWrite either refuses the write with the catalog error or says what the write produces.

import { K8tsError } from '../errors.js';
import type { KeyValue, WatchEvent } from './backend.js';

export type WriteOp =
  | { kind: 'create'; key: string; value: Buffer }
  | { kind: 'update'; key: string; value: Buffer; expectedModRevision: number }
  | { kind: 'delete'; key: string; expectedModRevision?: number };

export interface PlannedWrite {
  key: string;
  revision: number;
  /** The new value; null for a delete. */
  kv: KeyValue | null;
  /** The value this write replaces (undefined for a create). */
  prev: KeyValue | undefined;
}

/** Validates `op` against the key's latest value and assigns it `revision`. The value is copied. */
export function planWrite(op: WriteOp, current: KeyValue | undefined, revision: number): PlannedWrite {
  const { key } = op;
  if (op.kind === 'create') {
    if (current) throw new K8tsError('KeyExists', `key ${key} already exists`);
    return {
      key,
      revision,
      kv: { key, value: Buffer.from(op.value), createRevision: revision, modRevision: revision },
      prev: undefined,
    };
  }
  if (!current) throw new K8tsError('KeyNotFound', `key ${key} not found`);
  if (op.expectedModRevision !== undefined && op.expectedModRevision !== current.modRevision) {
    throw new K8tsError(
      'RevisionConflict',
      `key ${key} was modified at revision ${current.modRevision}, not ${op.expectedModRevision}`,
    );
  }
  if (op.kind === 'delete') return { key, revision, kv: null, prev: current };
  return {
    key,
    revision,
    kv: { key, value: Buffer.from(op.value), createRevision: current.createRevision, modRevision: revision },
    prev: current,
  };
}

/** The watch event a committed write produces. Values are copied so watchers never alias stored state. */
export function eventOf(w: PlannedWrite): WatchEvent {
  const prev = w.prev ? { ...w.prev, value: Buffer.from(w.prev.value) } : undefined;
  if (w.kv) {
    const kv = { ...w.kv, value: Buffer.from(w.kv.value) };
    return prev ? { type: 'PUT', kv, prev } : { type: 'PUT', kv };
  }
  return {
    type: 'DELETE',
    kv: { key: w.key, value: Buffer.alloc(0), createRevision: 0, modRevision: w.revision },
    prev,
  };
}
