// Typed verbs on one resource, keyed by {group, version, plural, namespaced}: URL building, list/watch
// query options, patch content types, DeleteOptions bodies and subresources. A registry ResourceDef
// satisfies ResourceRef, and so does a plain descriptor for kinds the registry does not know.
import { K8tsError } from '../errors.js';
import type { Query, RestClient } from './rest.js';
import { WatchStream } from './watch.js';

type Obj = Record<string, any>;

export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  kind?: string;
}

export interface ObjectList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this version; empty or '0' starts with the current state as ADDED events. */
  resourceVersion?: string;
  /** Ask the server to end the stream after this long. */
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  /** Watch one object by name (sent as a metadata.name field selector). */
  name?: string;
  signal?: AbortSignal;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  signal?: AbortSignal;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  /** Default 'merge'. 'apply' needs fieldManager. */
  type?: PatchType;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  /** Patch a subresource (e.g. 'status', 'scale') instead of the object. */
  subresource?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface SubresourceOptions extends WriteOptions {
  query?: Query;
}

export function apiVersionOf(ref: ResourceRef): string {
  return ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
}

/** `/api/v1` or `/apis/group/version`. */
export function groupVersionPath(ref: ResourceRef): string {
  return ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
}

/** The URL path of a collection, object or subresource. `namespace` is ignored for cluster-scoped kinds. */
export function resourcePath(
  ref: ResourceRef,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = groupVersionPath(ref);
  if (ref.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${ref.plural}`;
  if (name !== undefined) {
    if (name === '') throw new K8tsError('BadRequest', `a ${ref.plural} name is required`);
    p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
  }
  return p;
}

function writeQuery(o: WriteOptions | undefined): Query | undefined {
  if (!o) return undefined;
  return {
    dryRun: o.dryRun ? 'All' : undefined,
    fieldManager: o.fieldManager,
    fieldValidation: o.fieldValidation,
  };
}

export function resourceClient<T extends Obj>(
  rest: RestClient,
  ref: ResourceRef,
  namespace?: string,
): ResourceClient<T> {
  return new ResourceClient<T>(rest, ref, namespace);
}

export class ResourceClient<T extends Obj = Obj> {
  constructor(
    readonly rest: RestClient,
    readonly ref: ResourceRef,
    /** Scope of name-based calls, lists and watches; undefined means all namespaces for lists. */
    readonly namespace?: string,
  ) {}

  /** The same resource scoped to one namespace (a no-op for cluster-scoped kinds). */
  in(namespace: string): ResourceClient<T> {
    if (!this.ref.namespaced) return this;
    return new ResourceClient<T>(this.rest, this.ref, namespace);
  }

  private ns(obj?: Obj): string | undefined {
    if (!this.ref.namespaced) return undefined;
    const ns = this.namespace ?? obj?.metadata?.namespace;
    if (!ns) throw new K8tsError('BadRequest', `${this.ref.plural} is namespaced: a namespace is required`);
    return ns;
  }

  private nameOf(obj: Obj): string {
    const name = obj?.metadata?.name;
    if (typeof name !== 'string' || name === '')
      throw new K8tsError('BadRequest', 'the object has no metadata.name');
    return name;
  }

  async get(name: string, opts: { resourceVersion?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.rest.request<T>({
      path: resourcePath(this.ref, this.ns(), name),
      query: { resourceVersion: opts.resourceVersion },
      signal: opts.signal,
    });
  }

  async list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.rest.request<ObjectList<T>>({
      path: resourcePath(this.ref, this.namespace),
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
        timeoutSeconds: opts.timeoutSeconds,
      },
      signal: opts.signal,
    });
  }

  /** Lists every page (limit = pageSize) and returns one list at the first page's resourceVersion. */
  async listAll(opts: ListOptions & { pageSize?: number } = {}): Promise<ObjectList<T>> {
    const { pageSize = 500, ...rest } = opts;
    const first = await this.list({ ...rest, limit: pageSize });
    const items = first.items;
    let cont = first.metadata.continue;
    while (cont) {
      const page = await this.list({ ...rest, resourceVersion: undefined, limit: pageSize, continue: cont });
      for (const it of page.items) items.push(it);
      cont = page.metadata.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  }

  async create(obj: T, opts?: WriteOptions): Promise<T> {
    return this.rest.request<T>({
      method: 'POST',
      path: resourcePath(this.ref, this.ns(obj)),
      query: writeQuery(opts),
      body: obj,
      signal: opts?.signal,
    });
  }

  /** PUT of the whole object; its metadata.resourceVersion (if set) is the optimistic-concurrency precondition. */
  async update(obj: T, opts?: WriteOptions): Promise<T> {
    return this.rest.request<T>({
      method: 'PUT',
      path: resourcePath(this.ref, this.ns(obj), this.nameOf(obj)),
      query: writeQuery(opts),
      body: obj,
      signal: opts?.signal,
    });
  }

  /** PUT to the status subresource (only status changes are kept by the server). */
  async updateStatus(obj: T, opts?: WriteOptions): Promise<T> {
    return this.rest.request<T>({
      method: 'PUT',
      path: resourcePath(this.ref, this.ns(obj), this.nameOf(obj), 'status'),
      query: writeQuery(opts),
      body: obj,
      signal: opts?.signal,
    });
  }

  async patch(name: string, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    const type = opts.type ?? 'merge';
    if (type === 'apply' && !opts.fieldManager) {
      throw new K8tsError('BadRequest', 'server-side apply needs a fieldManager');
    }
    return this.rest.request<T>({
      method: 'PATCH',
      path: resourcePath(this.ref, this.ns(), name, opts.subresource),
      query: { ...writeQuery(opts), force: opts.force === undefined ? undefined : String(opts.force) },
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      signal: opts.signal,
    });
  }

  /** DELETE with a DeleteOptions body. Answers the object (pending deletion) or a Status. */
  async delete(name: string, opts: DeleteOptions = {}): Promise<Obj> {
    return this.rest.request<Obj>({
      method: 'DELETE',
      path: resourcePath(this.ref, this.ns(), name),
      body: deleteBody(opts),
      signal: opts.signal,
    });
  }

  async deleteCollection(opts: ListOptions & DeleteOptions = {}): Promise<ObjectList<T>> {
    return this.rest.request<ObjectList<T>>({
      method: 'DELETE',
      path: resourcePath(this.ref, this.namespace),
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
      body: deleteBody(opts),
      signal: opts.signal,
    });
  }

  /** Opens a watch; iterate the stream for events, stop() to cancel. A non-2xx answer rejects with ApiError. */
  async watch(opts: WatchOptions = {}): Promise<WatchStream<T>> {
    const path = resourcePath(this.ref, this.namespace);
    let fieldSelector = opts.fieldSelector;
    if (opts.name !== undefined) {
      const byName = `metadata.name=${opts.name}`;
      fieldSelector = fieldSelector ? `${fieldSelector},${byName}` : byName;
    }
    const query: Query = {
      watch: 'true',
      labelSelector: opts.labelSelector,
      fieldSelector,
      resourceVersion: opts.resourceVersion,
      timeoutSeconds: opts.timeoutSeconds,
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      sendInitialEvents: opts.sendInitialEvents === undefined ? undefined : String(opts.sendInitialEvents),
    };
    const { res, cancel } = await this.rest.stream({ path, query, signal: opts.signal });
    return new WatchStream<T>(res, cancel, { method: 'GET', path }, opts.signal);
  }

  /** GET on a subresource, e.g. scale or status. */
  async getSubresource<R = Obj>(
    name: string,
    subresource: string,
    opts: SubresourceOptions = {},
  ): Promise<R> {
    return this.rest.request<R>({
      path: resourcePath(this.ref, this.ns(), name, subresource),
      query: opts.query,
      signal: opts.signal,
    });
  }

  /** POST to a subresource, e.g. pods/NAME/binding or pods/NAME/eviction. */
  async createSubresource<R = Obj>(
    name: string,
    subresource: string,
    body: unknown,
    opts: SubresourceOptions = {},
  ): Promise<R> {
    return this.rest.request<R>({
      method: 'POST',
      path: resourcePath(this.ref, this.ns(), name, subresource),
      query: { ...writeQuery(opts), ...opts.query },
      body,
      signal: opts.signal,
    });
  }

  /** PUT to a subresource, e.g. .../status or .../scale. */
  async updateSubresource<R = Obj>(
    name: string,
    subresource: string,
    body: unknown,
    opts: SubresourceOptions = {},
  ): Promise<R> {
    return this.rest.request<R>({
      method: 'PUT',
      path: resourcePath(this.ref, this.ns(), name, subresource),
      query: { ...writeQuery(opts), ...opts.query },
      body,
      signal: opts.signal,
    });
  }
}

function deleteBody(o: DeleteOptions): Obj | undefined {
  const body: Obj = { kind: 'DeleteOptions', apiVersion: 'v1' };
  let any = false;
  if (o.gracePeriodSeconds !== undefined) {
    body.gracePeriodSeconds = o.gracePeriodSeconds;
    any = true;
  }
  if (o.propagationPolicy) {
    body.propagationPolicy = o.propagationPolicy;
    any = true;
  }
  if (o.preconditions) {
    body.preconditions = o.preconditions;
    any = true;
  }
  if (o.dryRun) {
    body.dryRun = ['All'];
    any = true;
  }
  return any ? body : undefined;
}
