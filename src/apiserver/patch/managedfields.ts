// metadata.managedFields: who owns which fields. Entries are kept per manager identity (manager,
// operation, subresource, and the apiVersion for Update entries, as upstream builds it) with their
// field sets in FieldsV1. `trackUpdate` records an ordinary create/update/patch the way upstream's
// field manager does; server-side apply lives in apply.ts.

import type { Obj } from '../../api/types.js';
import { timestamp } from '../metadata.js';
import { type FieldPath, FieldSet, fieldElement } from './fieldset.js';
import { deepEqual, isObject, type JsonObject } from './json.js';
import { type SchemaResolver, untypedResolver } from './schema.js';
import { Typed } from './typed.js';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: JsonObject;
  subresource?: string;
}

export type Operation = 'Apply' | 'Update';

export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  time?: string;
  fields: FieldSet;
}

/** Entries by manager identity. */
export type Managers = Map<string, ManagerEntry>;

/** Upstream caps Update entries at 10; older ones merge into `ancient-changes`. */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';

/**
 * The identity of an entry, as upstream's BuildManagerIdentifier encodes it: time and fields never
 * count, and Apply entries ignore the apiVersion so an applier keeps one entry across versions.
 */
export function managerIdentity(
  e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  const id: Record<string, string> = { manager: e.manager, operation: e.operation };
  if (e.operation === 'Update' && e.apiVersion) id.apiVersion = e.apiVersion;
  if (e.subresource) id.subresource = e.subresource;
  return JSON.stringify(id);
}

/** RFC 3339 in UTC with second precision, as metav1.Time serializes. */
export function formatTime(now: Date | string | number): string {
  return timestamp(now instanceof Date ? now : new Date(now));
}

function seconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** Decodes managedFields; throws on malformed entries (callers decide how lenient to be). */
export function decodeManagedFields(entries: unknown): Managers {
  const out: Managers = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  for (const raw of entries) {
    if (!isObject(raw)) throw new Error('managedFields entries must be objects');
    const e = raw as ManagedFieldsEntry;
    if (e.fieldsType !== 'FieldsV1')
      throw new Error(`unsupported fieldsType ${JSON.stringify(e.fieldsType)}`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      throw new Error(`unsupported operation ${JSON.stringify(e.operation)}`);
    }
    const entry: ManagerEntry = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      fields: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
    };
    if (e.subresource) entry.subresource = e.subresource;
    if (e.time) entry.time = e.time;
    const id = managerIdentity(entry);
    const prev = out.get(id);
    if (prev) entry.fields = prev.fields.union(entry.fields);
    out.set(id, entry);
  }
  return out;
}

/** Like decodeManagedFields, but malformed input reads as "no managers". */
export function decodeManagedFieldsLenient(entries: unknown): Managers {
  try {
    return decodeManagedFields(entries);
  } catch {
    return new Map();
  }
}

/** Encodes entries in upstream's order: operation, then time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => !m.fields.isEmpty());
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return list.map((m) => {
    const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
    if (m.time) e.time = m.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = m.fields.toFieldsV1();
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sets (or, when empty, removes) metadata.managedFields on an object, in place. */
export function setManagedFields(obj: Obj, entries: ManagedFieldsEntry[]): void {
  if (entries.length === 0) {
    if (isObject(obj.metadata)) delete obj.metadata.managedFields;
    return;
  }
  if (!isObject(obj.metadata)) obj.metadata = {};
  (obj.metadata as JsonObject).managedFields = entries;
}

/** A shallow view of an object without metadata.managedFields. */
export function withoutManagedFields(obj: JsonObject | undefined): JsonObject {
  if (!obj) return {};
  if (!isObject(obj.metadata) || !Object.hasOwn(obj.metadata, 'managedFields')) return obj;
  const { managedFields: _mf, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Fields no manager ever owns (upstream's stripMeta). */
export const STRIPPED_FIELDS = FieldSet.fromPaths([
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map((f) => ['f:metadata', fieldElement(f)]),
]);

/** Reset fields (e.g. `[['status']]` for a main resource) as a set of path prefixes. */
export function ignoredFieldSet(paths: string[][] | undefined): FieldSet {
  return FieldSet.fromPaths((paths ?? []).map((p): FieldPath => p.map(fieldElement)));
}

/** Caps Update entries, merging the oldest into `ancient-changes` per apiVersion. */
export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): void {
  const updaters = () => [...managers.entries()].filter(([, m]) => m.operation === 'Update');
  const list = updaters();
  if (list.length <= max) return;
  list.sort(([ia, a], [ib, b]) => seconds(a.time) - seconds(b.time) || cmp(ia, ib));
  for (const [id, m] of list) {
    if (updaters().length <= max) break;
    if (m.manager === ANCIENT_CHANGES) continue;
    const bucket: ManagerEntry = {
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: m.apiVersion,
      fields: m.fields,
    };
    const bucketId = managerIdentity(bucket);
    const existing = managers.get(bucketId);
    if (existing) bucket.fields = existing.fields.union(m.fields);
    if (m.time) bucket.time = m.time;
    managers.delete(id);
    managers.set(bucketId, bucket);
  }
}

export interface TrackUpdateOptions {
  /** The stored object; undefined on create. */
  old: Obj | undefined;
  /** The object about to be stored (after patching and defaulting); its managedFields, if any, are the client's. */
  updated: Obj;
  manager: string;
  operation?: 'Update';
  /** Group/version of the request, e.g. `apps/v1` or `v1`. */
  apiVersion: string;
  subresource?: string;
  schemaName?: string;
  resolver?: SchemaResolver;
  now: Date | string | number;
  /** Fields this endpoint resets and nobody owns through it, e.g. `[['status']]` on the main resource. */
  ignoredFields?: string[][];
}

/** True when a client asks to clear managedFields (`[]` or `[{}]`). */
function isResetRequest(mf: unknown): boolean {
  if (!Array.isArray(mf)) return false;
  return mf.length === 0 || (mf.length === 1 && deepEqual(mf[0], {}));
}

/**
 * managedFields after an ordinary write (create, update, non-apply patch) by `manager`. The
 * manager takes the fields it added or changed, every other manager loses them and the removed
 * ones. An empty result means the object should carry no managedFields (also when an existing
 * object was never tracked, or the client cleared them).
 */
export function trackUpdate(opts: TrackUpdateOptions): ManagedFieldsEntry[] {
  const requested = isObject(opts.updated.metadata) ? opts.updated.metadata.managedFields : undefined;
  const live = isObject(opts.old?.metadata) ? opts.old.metadata.managedFields : undefined;

  let managers: Managers;
  if (opts.subresource) {
    managers = decodeManagedFieldsLenient(live);
  } else if (isResetRequest(requested)) {
    return [];
  } else {
    // Clients may write managedFields directly; if they send none (or garbage), keep the stored ones.
    managers = decodeManagedFieldsLenient(requested);
    if (managers.size === 0) managers = decodeManagedFieldsLenient(live);
  }
  // Objects that exist without managedFields stay untracked until someone applies.
  if (managers.size === 0 && opts.old !== undefined) return [];

  const typed = new Typed(opts.resolver ?? untypedResolver);
  recordUpdate(typed, managers, {
    old: withoutManagedFields(opts.old),
    updated: withoutManagedFields(opts.updated),
    manager: opts.manager,
    apiVersion: opts.apiVersion,
    subresource: opts.subresource,
    schemaName: opts.schemaName,
    time: formatTime(opts.now),
    ignored: ignoredFieldSet(opts.ignoredFields),
  });
  capUpdateManagers(managers);
  return encodeManagedFields(managers);
}

export interface RecordUpdate {
  old: JsonObject;
  updated: JsonObject;
  manager: string;
  apiVersion: string;
  subresource?: string;
  schemaName?: string;
  time: string;
  ignored: FieldSet;
}

/** The field-manager step of an Update, on decoded managers (mutated). */
export function recordUpdate(typed: Typed, managers: Managers, u: RecordUpdate): void {
  const root = typed.root(u.schemaName);
  let changed: FieldSet;
  if (managers.size === 0 && Object.keys(u.old).length === 0) {
    // A create with no managers yet: only the changed set matters (nobody can lose fields), and it can
    // be computed without a full comparison.
    changed = typed.changedFromEmpty(u.updated, root).recursiveDifference(u.ignored);
  } else {
    const c = typed.compare(u.old, u.updated, root);
    changed = c.added.union(c.modified).recursiveDifference(u.ignored);
    const removed = c.removed.recursiveDifference(u.ignored);
    const lost = changed.union(removed);
    for (const [id, m] of managers) {
      m.fields = m.fields.difference(lost);
      if (m.fields.isEmpty()) managers.delete(id);
    }
  }

  const own = changed.difference(STRIPPED_FIELDS);
  if (own.isEmpty()) return;
  const entry: ManagerEntry = {
    manager: u.manager,
    operation: 'Update',
    apiVersion: u.apiVersion,
    time: u.time,
    fields: own,
  };
  if (u.subresource) entry.subresource = u.subresource;
  const id = managerIdentity(entry);
  const prev = managers.get(id);
  if (prev) entry.fields = prev.fields.union(own);
  managers.set(id, entry);
}
