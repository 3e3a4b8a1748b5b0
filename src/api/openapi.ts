// OpenAPI documents served at /openapi/v3 (an index plus one document per group-version) and
// /openapi/v2 (Swagger 2.0 as JSON, and as the gnostic protobuf kubectl asks for). Built from the
// registry's operations (openapi-ops.ts) and the generated definitions (schema.ts), computed once per
// registry and cached with a content hash for ETag / `?hash=` URLs.
import { createHash } from 'node:crypto';
import { listSchema } from './crd/custom-resource.js';
import {
  DELETE_OPTIONS,
  type GVK,
  gvPrefix,
  type Operation,
  PATCH,
  type Param,
  type PathItem,
  referencedSchemas,
  resourcePaths,
  STATUS,
  WATCH_EVENT,
} from './openapi-ops.js';
import { encodeOpenAPIv2 } from './openapi-proto.js';
import type { Registry } from './registry.js';
import { definitions, REF_PREFIX, type Schema } from './schema.js';
import type { ResourceDef } from './types.js';

/** The Kubernetes API level we describe (the server reports the same in /version). */
export const OPENAPI_INFO = { title: 'Kubernetes', version: 'v1.33.0' };

export const OPENAPI_V2_PROTOBUF_TYPE = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The Content-Type upstream answers protobuf OpenAPI v2 requests with. */
export const OPENAPI_V2_PROTOBUF_RESPONSE_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

export interface ServedDocument {
  /** Serialized document. */
  body: Buffer;
  /** Upper-case hex SHA-512 of body, as upstream uses in `?hash=`. */
  hash: string;
  /** Quoted hash for the ETag header. */
  etag: string;
}

export interface OpenAPIv3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

interface Cache {
  /** The registry revision the documents were built for. */
  revision: number;
  v3: Map<string, ServedDocument | null>;
  index?: OpenAPIv3Index;
  indexDoc?: ServedDocument;
  v2?: ServedDocument;
  v2doc?: Record<string, unknown>;
  v2pb?: ServedDocument;
}

const caches = new WeakMap<Registry, Cache>();
function cacheOf(reg: Registry): Cache {
  const key = reg.documentsKey();
  let c = caches.get(key);
  if (!c || c.revision !== key.revision) {
    c = { revision: key.revision, v3: new Map() };
    caches.set(key, c);
  }
  return c;
}

function served(body: Buffer): ServedDocument {
  const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
  return { body, hash, etag: `"${hash}"` };
}

/** `api/v1` or `apis/apps/v1`: the key of a group-version in the v3 index. */
export function gvKey(group: string, version: string): string {
  return gvPrefix(group, version).slice(1);
}

/** The /openapi/v3 discovery document. */
export function openapiV3Index(reg: Registry): OpenAPIv3Index {
  const c = cacheOf(reg);
  if (!c.index) {
    const paths: OpenAPIv3Index['paths'] = {};
    for (const { group, version } of reg.groupVersions()) {
      const doc = openapiV3Document(reg, group, version);
      if (!doc) continue;
      const key = gvKey(group, version);
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
    }
    c.index = { paths };
  }
  return c.index;
}

/** The index serialized, with its hash (for the ETag). */
export function openapiV3IndexDocument(reg: Registry): ServedDocument {
  const c = cacheOf(reg);
  c.indexDoc ??= served(Buffer.from(JSON.stringify(openapiV3Index(reg))));
  return c.indexDoc;
}

/** The OpenAPI 3.0 document of one group-version, or undefined when no resource is served there. */
export function openapiV3Document(reg: Registry, group: string, version: string): ServedDocument | undefined {
  const c = cacheOf(reg);
  const key = gvKey(group, version);
  let doc = c.v3.get(key);
  if (doc === undefined) {
    const defs = reg.inGroupVersion(group, version);
    const items = defs.flatMap(resourcePaths);
    doc = items.length
      ? served(Buffer.from(JSON.stringify(buildV3(items, [{ group, version }], ownSchemas(defs)))))
      : null;
    c.v3.set(key, doc);
  }
  return doc ?? undefined;
}

/** Swagger 2.0 JSON of every served group-version. */
export function openapiV2Json(reg: Registry): ServedDocument {
  const c = cacheOf(reg);
  c.v2 ??= served(Buffer.from(JSON.stringify(v2Document(reg))));
  return c.v2;
}

/** The same Swagger 2.0 document in gnostic's protobuf form (what kubectl requests at /openapi/v2). */
export function openapiV2Protobuf(reg: Registry): ServedDocument {
  const c = cacheOf(reg);
  c.v2pb ??= served(Buffer.from(encodeOpenAPIv2(v2Document(reg))));
  return c.v2pb;
}

/** The Swagger 2.0 document as an object (cached; do not mutate). */
export function v2Document(reg: Registry): Record<string, unknown> {
  const c = cacheOf(reg);
  c.v2doc ??= buildV2(
    reg.resources.flatMap(resourcePaths),
    reg.groupVersions().map(({ group, version }) => ({ group, version })),
    ownSchemas(reg.resources),
  );
  return c.v2doc;
}

// ---- shared: the transitive closure of referenced definitions ----

/** The definition names a schema value refers to through `$ref`. */
function refNames(value: unknown): string[] {
  const found = new Set<string>();
  const scan = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(scan);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith(REF_PREFIX))
          found.add(x.slice(REF_PREFIX.length));
        else scan(x);
      }
  };
  scan(value);
  return [...found];
}

const refsOf = new Map<string, string[]>();
function directRefs(name: string): string[] {
  let refs = refsOf.get(name);
  if (!refs) {
    refs = refNames(definitions()[name]);
    refsOf.set(name, refs);
  }
  return refs;
}

/** Names reachable from the roots, sorted; names without a definition are dropped. */
export function schemaClosure(roots: Iterable<string>): string[] {
  const defs = definitions();
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name) || !defs[name]) continue;
    seen.add(name);
    queue.push(...directRefs(name));
  }
  return [...seen].sort();
}

const META_ROOTS = [STATUS, DELETE_OPTIONS, WATCH_EVENT, PATCH];

/** Schemas that kinds bring themselves (custom resources): the kind and its list, by definition name. */
function ownSchemas(defs: readonly ResourceDef[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const d of defs) {
    if (!d.schema) continue;
    out[d.schemaName] = d.schema;
    out[`${d.schemaName}List`] = listSchema(d.schemaName, d.group, d.version, d.kind);
  }
  return out;
}

/** Definitions for a document, with the per-group-version GVKs upstream puts on shared meta types. */
function documentSchemas(
  items: PathItem[],
  gvs: { group: string; version: string }[],
  own: Record<string, Schema> = {},
): Record<string, Schema> {
  const defs = definitions();
  const out: Record<string, Schema> = { ...own };
  for (const name of schemaClosure([...referencedSchemas(items), ...META_ROOTS, ...refNames(own)])) {
    let s = defs[name];
    if (name === DELETE_OPTIONS || name === WATCH_EVENT) {
      const kind = name === DELETE_OPTIONS ? 'DeleteOptions' : 'WatchEvent';
      const gvks = [
        { group: '', kind, version: 'v1' },
        ...gvs.map((gv) => ({ group: gv.group, kind, version: gv.version })),
      ];
      const unique = [...new Map(gvks.map((g) => [`${g.group}/${g.version}`, g])).values()];
      s = { ...s, 'x-kubernetes-group-version-kind': unique };
    }
    out[name] = s;
  }
  return out;
}

function gvkExtension(g: GVK): { group: string; kind: string; version: string } {
  return { group: g.group, kind: g.kind, version: g.version };
}

function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}

// ---- OpenAPI v3 ----

function v3Param(p: Param): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name, in: p.in, description: p.description };
  if (p.required) out.required = true;
  out.schema = { type: p.type, uniqueItems: true };
  return out;
}

function v3Schema(name: string): Record<string, unknown> {
  return name === 'string' ? { type: 'string' } : { $ref: REF_PREFIX + name };
}

function v3Operation(o: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = {
    tags: [o.tag],
    description: o.description,
    operationId: o.operationId,
  };
  if (o.params.length) out.parameters = o.params.map(v3Param);
  if (o.body) {
    // kubectl apply sends a strategic merge patch only where the PATCH operation lists that type.
    const types = o.body === PATCH ? o.consumes : ['*/*'];
    out.requestBody = {
      content: Object.fromEntries(types.map((t) => [t, { schema: v3Schema(o.body!) }])),
      ...(o.bodyRequired ? { required: true } : {}),
    };
  }
  const responses: Record<string, unknown> = {};
  for (const r of o.responses) {
    responses[r.code] = r.schema
      ? {
          description: r.description,
          content: Object.fromEntries(o.produces.map((t) => [t, { schema: v3Schema(r.schema!) }])),
        }
      : { description: r.description };
  }
  out.responses = responses;
  out['x-kubernetes-action'] = o.action;
  out['x-kubernetes-group-version-kind'] = gvkExtension(o.gvk);
  return out;
}

function buildV3(
  items: PathItem[],
  gvs: { group: string; version: string }[],
  own: Record<string, Schema>,
): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const entry: Record<string, unknown> = {};
    for (const o of item.ops) entry[o.method] = v3Operation(o);
    if (item.params.length) entry.parameters = item.params.map(v3Param);
    paths[item.path] = entry;
  }
  return {
    openapi: '3.0.0',
    info: OPENAPI_INFO,
    paths,
    components: {
      schemas: sortedKeys(documentSchemas(items, gvs, own)),
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

// ---- Swagger 2.0 ----

const V2_PREFIX = '#/definitions/';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** v3-shaped schema -> v2: `allOf: [{$ref}]` becomes a plain `$ref` with siblings, refs point at #/definitions. */
export function schemaToV2(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(schemaToV2);
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const allOf = o.allOf as Schema[] | undefined;
  const single = allOf?.length === 1 && typeof allOf[0].$ref === 'string' ? allOf[0].$ref : undefined;
  for (const [k, x] of Object.entries(o)) {
    if (k === 'allOf' && single) out.$ref = single.replace(REF_PREFIX, V2_PREFIX);
    else if (k === '$ref' && typeof x === 'string') out.$ref = x.replace(REF_PREFIX, V2_PREFIX);
    else out[k] = schemaToV2(x);
  }
  return out;
}

function v2Param(p: Param): Record<string, unknown> {
  const out: Record<string, unknown> = {
    uniqueItems: true,
    type: p.type,
    description: p.description,
    name: p.name,
    in: p.in,
  };
  if (p.required) out.required = true;
  return out;
}

function v2SchemaRef(name: string): Record<string, unknown> {
  return name === 'string' ? { type: 'string' } : { $ref: V2_PREFIX + name };
}

function v2Operation(o: Operation): Record<string, unknown> {
  const params: Record<string, unknown>[] = [];
  if (o.body)
    params.push({ name: 'body', in: 'body', required: !!o.bodyRequired, schema: v2SchemaRef(o.body) });
  params.push(...o.params.map(v2Param));
  const responses: Record<string, unknown> = {};
  for (const r of o.responses)
    responses[r.code] = r.schema
      ? { description: r.description, schema: v2SchemaRef(r.schema) }
      : { description: r.description };
  const out: Record<string, unknown> = {
    description: o.description,
    consumes: o.consumes,
    produces: o.produces,
    schemes: ['https'],
    tags: [o.tag],
    operationId: o.operationId,
  };
  if (params.length) out.parameters = params;
  out.responses = responses;
  out['x-kubernetes-action'] = o.action;
  out['x-kubernetes-group-version-kind'] = gvkExtension(o.gvk);
  return out;
}

function buildV2(
  items: PathItem[],
  gvs: { group: string; version: string }[],
  own: Record<string, Schema>,
): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const entry: Record<string, unknown> = {};
    for (const o of item.ops) entry[o.method] = v2Operation(o);
    if (item.params.length) entry.parameters = item.params.map(v2Param);
    paths[item.path] = entry;
  }
  const defs: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(sortedKeys(documentSchemas(items, gvs, own)))) {
    const v2 = schemaToV2(s) as Record<string, unknown>;
    // Swagger 2.0 has no oneOf and kubectl's v2 reader wants one type: upstream calls both strings.
    if (name === INT_OR_STRING) v2.type = 'string';
    if (name === QUANTITY) {
      delete v2.oneOf;
      v2.type = 'string';
    }
    defs[name] = v2;
  }
  return {
    swagger: '2.0',
    info: OPENAPI_INFO,
    paths,
    definitions: defs,
    securityDefinitions: {
      BearerToken: {
        description: 'Bearer Token authentication',
        type: 'apiKey',
        name: 'authorization',
        in: 'header',
      },
    },
    security: [{ BearerToken: [] }],
  };
}
