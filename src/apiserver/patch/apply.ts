// Server-side apply (application/apply-patch+yaml): merges an applied configuration into the live
// object and keeps managedFields, as upstream's field manager does:
//
// - the applier's entry (operation Apply) owns exactly the fields of its configuration;
// - fields it owned before and no longer applies are removed, unless another manager owns them;
// - changing a field another manager owns is a 409 Conflict with one cause per field, unless
//   `force` is set, in which case ownership moves to the applier;
// - applying to an existing object without managedFields first records its fields as owned by
//   `before-first-apply`;
// - for the manager `kubectl`: the client-side apply annotation is kept in sync, and conflicts on
//   fields recorded in that annotation are taken over (the client-side to server-side upgrade).

import { parseAllDocuments } from 'yaml';
import type { Obj } from '../../api/types.js';
import { K8tsError, type StatusCause } from '../../errors.js';
import { type FieldPath, type FieldSet, pathToString } from './fieldset.js';
import { deepCopy, deepEqual, isObject, type JsonObject } from './json.js';
import {
  capUpdateManagers,
  decodeManagedFieldsLenient,
  encodeManagedFields,
  formatTime,
  ignoredFieldSet,
  type ManagedFieldsEntry,
  type ManagerEntry,
  type Managers,
  managerIdentity,
  recordUpdate,
  STRIPPED_FIELDS,
  setManagedFields,
  withoutManagedFields,
} from './managedfields.js';
import { type SchemaResolver, untypedResolver } from './schema.js';
import { Typed } from './typed.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const BEFORE_FIRST_APPLY = 'before-first-apply';

export interface ApplyOptions {
  /** The stored object; undefined when the apply creates it. */
  live: Obj | undefined;
  /** The decoded apply patch body (see parseApplyPatch). */
  applied: Obj;
  /** The fieldManager query parameter (required for apply). */
  manager: string;
  force?: boolean;
  /** Group/version and kind the request addresses, e.g. `apps/v1` and `Deployment`. */
  apiVersion: string;
  kind: string;
  subresource?: string;
  schemaName?: string;
  resolver?: SchemaResolver;
  now: Date | string | number;
  /** Fields this endpoint resets and nobody owns through it, e.g. `[['status']]` on the main resource. */
  ignoredFields?: string[][];
}

export interface ApplyResult {
  /** The new object, with metadata.managedFields set (defaulting and validation are the caller's). */
  object: Obj;
  managedFields: ManagedFieldsEntry[];
  /** False when the apply left the object (apart from managedFields) as it was. */
  changed: boolean;
}

/**
 * Decodes an apply patch body: YAML or JSON, the first document, an object. Duplicate keys are
 * accepted (the last wins) unless `strict` (fieldValidation=Strict), as upstream decodes.
 */
export function parseApplyPatch(body: string | Uint8Array, opts: { strict?: boolean } = {}): Obj {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  const decode = (uniqueKeys: boolean) => {
    const docs = parseAllDocuments(text, { uniqueKeys });
    const doc = Array.isArray(docs) ? docs[0] : undefined;
    return { doc, error: doc?.errors[0]?.message };
  };
  const { doc, error } = decode(false);
  if (error) throw new K8tsError('BadRequest', `error decoding YAML: ${error}`);
  if (opts.strict) {
    const strict = decode(true);
    if (strict.error) throw new K8tsError('BadRequest', `error strict decoding YAML: ${strict.error}`);
  }
  const value: unknown = doc ? doc.toJS({ maxAliasCount: 100 }) : {};
  if (value === null || value === undefined) return {};
  if (!isObject(value)) {
    const kind = Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value;
    throw new K8tsError(
      'BadRequest',
      `error decoding YAML: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
    );
  }
  return value;
}

/** `apps/v1, Kind=Deployment` (core: `/v1, Kind=Pod`), as Go prints a GroupVersionKind. */
function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const slash = av.indexOf('/');
  const group = slash >= 0 ? av.slice(0, slash) : '';
  const version = slash >= 0 ? av.slice(slash + 1) : av;
  return `${group}/${version}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

/** Applies a configuration; throws K8tsError (400 bad input, 409 conflicts, 422 missing manager). */
export function applyObject(opts: ApplyOptions): ApplyResult {
  if (!opts.manager) {
    throw new K8tsError(
      'Invalid',
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: is required for apply patch',
            field: 'fieldManager',
          },
        ],
      },
    );
  }
  const applied = opts.applied;
  if (!isObject(applied)) throw new K8tsError('BadRequest', 'error decoding YAML: not an object');
  if (applied.apiVersion !== opts.apiVersion || applied.kind !== opts.kind) {
    throw new K8tsError('BadRequest', `invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`);
  }
  const appliedMeta = isObject(applied.metadata) ? applied.metadata : {};
  if (appliedMeta.managedFields !== undefined && appliedMeta.managedFields !== null) {
    throw new K8tsError('BadRequest', 'metadata.managedFields must be nil');
  }

  const typed = new Typed(opts.resolver ?? untypedResolver);
  const root = typed.root(opts.schemaName);
  const problems = typed.validate(applied, root);
  if (problems.length > 0) {
    const nn = `${typeof appliedMeta.namespace === 'string' ? appliedMeta.namespace : ''}/${typeof appliedMeta.name === 'string' ? appliedMeta.name : ''}`;
    const detail =
      problems.length === 1 ? problems[0] : ['errors:', ...problems.map((p) => `  ${p}`)].join('\n');
    throw new K8tsError(
      'BadRequest',
      `failed to create typed patch object (${gvkString(applied.apiVersion, applied.kind)}; ${nn}): ${detail}`,
    );
  }

  const time = formatTime(opts.now);
  const ignored = ignoredFieldSet(opts.ignoredFields);
  const live = deepCopy(withoutManagedFields(opts.live));
  const managers = decodeManagedFieldsLenient(
    isObject(opts.live?.metadata) ? opts.live.metadata.managedFields : undefined,
  );

  if (opts.live !== undefined && managers.size === 0) {
    // Existing fields belong to someone: record them before the first apply.
    recordUpdate(typed, managers, {
      old: {},
      updated: live,
      manager: BEFORE_FIRST_APPLY,
      apiVersion: opts.apiVersion,
      time,
      schemaName: opts.schemaName,
      ignored,
    });
  }

  const ctx: ApplyContext = { typed, root, ignored, opts, live };
  let outcome = applyOnce(ctx, managers, Boolean(opts.force));
  if ('conflicts' in outcome) {
    const retry = opts.manager === 'kubectl' && conflictsAllowedByLastApplied(ctx, outcome.conflicts);
    if (!retry) throw conflictError(outcome.conflicts);
    outcome = applyOnce(ctx, managers, true) as Applied;
  }
  const { object, managers: result } = outcome as Applied;

  const changed = !deepEqual(live, object);
  const applier = result.get(applierIdentity(opts));
  if (applier) {
    applier.fields = applier.fields.difference(STRIPPED_FIELDS);
    if (applier.fields.isEmpty()) result.delete(applierIdentity(opts));
    else if (changed) applier.time = time;
  }
  if (opts.manager === 'kubectl') syncLastApplied(object, applied);
  capUpdateManagers(result);

  const managedFields = encodeManagedFields(result);
  setManagedFields(object, managedFields);
  return { object, managedFields, changed };
}

interface ApplyContext {
  typed: Typed;
  root: ReturnType<Typed['root']>;
  ignored: FieldSet;
  opts: ApplyOptions;
  live: JsonObject;
}

interface Conflict {
  entry: ManagerEntry;
  path: FieldPath;
}

interface Applied {
  object: JsonObject;
  managers: Managers;
}

function applierIdentity(opts: ApplyOptions): string {
  return managerIdentity({
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    subresource: opts.subresource,
  });
}

/** One structured-merge apply on a copy of `managers`; returns conflicts instead of throwing. */
function applyOnce(ctx: ApplyContext, input: Managers, force: boolean): Applied | { conflicts: Conflict[] } {
  const { typed, root, ignored, opts } = ctx;
  const managers: Managers = new Map();
  for (const [id, m] of input) managers.set(id, { ...m, fields: m.fields.copy() });

  const live = deepCopy(ctx.live);
  const config = deepCopy(opts.applied);
  let merged = typed.merge(live, config, root) as JsonObject;

  const id = applierIdentity(opts);
  const last = managers.get(id)?.fields;
  const entry: ManagerEntry = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    fields: typed.toFieldSet(config, root).recursiveDifference(ignored),
  };
  if (opts.subresource) entry.subresource = opts.subresource;
  const previousTime = managers.get(id)?.time;
  if (previousTime) entry.time = previousTime;
  managers.set(id, entry);

  if (last && !last.isEmpty()) {
    let owned: FieldSet | undefined;
    for (const m of managers.values()) owned = owned ? owned.union(m.fields) : m.fields;
    merged = typed.prune(merged, last, owned, root) as JsonObject;
  }

  const c = typed.compare(ctx.live, merged, root);
  const changed = c.added.union(c.modified).recursiveDifference(ignored);
  const removed = c.removed.recursiveDifference(ignored);
  const conflicts: Conflict[] = [];
  for (const [otherId, m] of managers) {
    if (otherId === id) continue;
    const clash = m.fields.intersection(changed);
    for (const path of clash.paths()) conflicts.push({ entry: m, path });
  }
  if (conflicts.length > 0 && !force) return { conflicts };

  for (const [otherId, m] of managers) {
    if (otherId === id) continue;
    m.fields = m.fields.difference(changed).difference(removed);
    if (m.fields.isEmpty()) managers.delete(otherId);
  }
  return { object: merged, managers };
}

/** How upstream names a manager in conflict messages. */
function printManager(m: ManagerEntry): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** The 409 upstream answers for apply conflicts, with one FieldManagerConflict cause per field. */
export function conflictError(conflicts: Conflict[]): K8tsError {
  const byManager = new Map<string, Conflict[]>();
  for (const c of conflicts) {
    const id = managerIdentity(c.entry);
    byManager.set(id, [...(byManager.get(id) ?? []), c]);
  }
  const ids = [...byManager.keys()].sort();
  const ordered = ids.flatMap((id) => byManager.get(id)!);
  const causes: StatusCause[] = ordered.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.entry)}`,
    field: pathToString(c.path),
  }));
  let message: string;
  if (ordered.length === 1) {
    const c = ordered[0];
    message = `Apply failed with 1 conflict: conflict with ${printManager(c.entry)}: ${pathToString(c.path)}`;
  } else {
    const lines: string[] = [];
    for (const id of ids) {
      const group = byManager.get(id)!;
      lines.push(`conflicts with ${printManager(group[0].entry)}:`);
      for (const c of group) lines.push(`- ${pathToString(c.path)}`);
    }
    message = `Apply failed with ${ordered.length} conflicts: ${lines.join('\n')}`;
  }
  return new K8tsError('Conflict', message, { causes });
}

function lastAppliedOf(obj: JsonObject): string | undefined {
  const meta = obj.metadata;
  if (!isObject(meta) || !isObject(meta.annotations)) return undefined;
  const v = meta.annotations[LAST_APPLIED_ANNOTATION];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Client-side to server-side apply upgrade: conflicts are allowed when every conflicting field is
 * in the client-side apply annotation and still holds the value recorded there.
 */
function conflictsAllowedByLastApplied(ctx: ApplyContext, conflicts: Conflict[]): boolean {
  const raw = lastAppliedOf(ctx.live);
  if (!raw) return false;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(raw);
  } catch {
    return false;
  }
  if (!isObject(lastApplied)) return false;
  const allowed = ctx.typed.toFieldSet(lastApplied, ctx.root);
  const drift = ctx.typed.compare(lastApplied, ctx.live, ctx.root);
  return conflicts.every(
    (c) => allowed.has(c.path) && !drift.modified.has(c.path) && !drift.removed.has(c.path),
  );
}

/** Go's JSON encoding of decoded JSON: keys sorted, HTML-safe escapes. */
function goJsonSorted(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJsonSorted).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${escapeHtml(JSON.stringify(k))}:${goJsonSorted(v[k])}`).join(',')}}`;
  }
  return escapeHtml(JSON.stringify(v) ?? 'null');
}

function escapeHtml(s: string): string {
  return s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Upstream's limit on the total size of an object's annotations. */
const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

/**
 * Keeps the client-side apply annotation in step with a `kubectl` server-side apply; drops it
 * when it would push the annotations over their size limit, as upstream does.
 */
function syncLastApplied(object: JsonObject, applied: JsonObject): void {
  if (!lastAppliedOf(object)) return;
  const config = deepCopy(applied);
  if (isObject(config.metadata) && isObject(config.metadata.annotations)) {
    delete config.metadata.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(config.metadata.annotations).length === 0) delete config.metadata.annotations;
  }
  const annotations = (object.metadata as JsonObject).annotations as Record<string, string>;
  annotations[LAST_APPLIED_ANNOTATION] = `${goJsonSorted(config)}\n`;
  let size = 0;
  for (const [k, v] of Object.entries(annotations))
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  if (size > ANNOTATIONS_SIZE_LIMIT) delete annotations[LAST_APPLIED_ANNOTATION];
}
