// How the OpenAPI endpoints answer, as plain data for the HTTP layer: which document, which
// Content-Type, and upstream's caching rules (kube-openapi): a `?hash=` URL that matches is immutable
// for a year, a stale hash redirects to the current one, everything carries an ETag and
// `If-None-Match` gets a 304.
import {
  OPENAPI_V2_PROTOBUF_RESPONSE_TYPE,
  openapiV2Json,
  openapiV2Protobuf,
  openapiV3Document,
  openapiV3IndexDocument,
  type ServedDocument,
} from './openapi.js';
import type { Registry } from './registry.js';

export interface OpenAPIResponse {
  status: 200 | 301 | 304 | 404;
  headers: Record<string, string>;
  body?: Buffer;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

function answer(
  doc: ServedDocument,
  contentType: string,
  ifNoneMatch: string | undefined,
  immutable: boolean,
  now: number,
): OpenAPIResponse {
  const headers: Record<string, string> = {
    'content-type': contentType,
    etag: doc.etag,
    'cache-control': immutable ? 'public, immutable' : 'no-cache, private',
  };
  if (immutable) headers.expires = new Date(now + YEAR_MS).toUTCString();
  if (ifNoneMatch?.split(',').some((t) => t.trim() === doc.etag)) return { status: 304, headers };
  return { status: 200, headers, body: doc.body };
}

/**
 * GET /openapi/v3 or /openapi/v3/<api/v1 | apis/G/V>: `subpath` is what follows `/openapi/v3`
 * ('' or '/' for the index), `hash` the `?hash=` query value.
 */
export function serveOpenAPIv3(
  reg: Registry,
  subpath: string,
  hash: string | undefined,
  ifNoneMatch?: string,
  now: number = Date.now(),
): OpenAPIResponse {
  const key = subpath.replace(/^\/+|\/+$/g, '');
  if (key === '') return answer(openapiV3IndexDocument(reg), 'application/json', ifNoneMatch, false, now);
  const m = key.match(/^api\/([^/]+)$|^apis\/([^/]+)\/([^/]+)$/);
  const doc = m ? (m[1] ? openapiV3Document(reg, '', m[1]) : openapiV3Document(reg, m[2], m[3])) : undefined;
  if (!doc)
    return {
      status: 404,
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('404 page not found\n'),
    };
  if (hash !== undefined && hash !== doc.hash)
    return {
      status: 301,
      headers: { location: `/openapi/v3/${key}?hash=${doc.hash}`, 'cache-control': 'no-cache, private' },
    };
  return answer(doc, 'application/json', ifNoneMatch, hash !== undefined, now);
}

/** GET /openapi/v2: gnostic protobuf when the Accept header asks for it (kubectl does), JSON otherwise. */
export function serveOpenAPIv2(
  reg: Registry,
  accept: string | undefined,
  ifNoneMatch?: string,
): OpenAPIResponse {
  const proto = (accept ?? '').includes('application/com.github.proto-openapi.spec.v2');
  return proto
    ? answer(openapiV2Protobuf(reg), OPENAPI_V2_PROTOBUF_RESPONSE_TYPE, ifNoneMatch, false, 0)
    : answer(openapiV2Json(reg), 'application/json', ifNoneMatch, false, 0);
}
