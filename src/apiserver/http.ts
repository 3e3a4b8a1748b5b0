// Small HTTP helpers: bounded body reading, decoding JSON/YAML/protobuf bodies, and writing JSON or Status replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { decodeKubernetesProtobuf, PROTOBUF_MEDIA_TYPE } from '../api/protobuf/index.js';
import { isK8tsError, K8tsError } from '../errors.js';

/** Upstream rejects request bodies over 3 MiB with 413. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(limit: number): K8tsError {
  return new K8tsError('RequestEntityTooLarge', `the request body is too large: the limit is ${limit} bytes`);
}

/** Media type without parameters, lower-cased. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** Decode a JSON, YAML or Kubernetes protobuf request body into an object. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  // typed Go clients (kubectl create ..., client-go) send protobuf; JSON answers are fine for them
  if (type === PROTOBUF_MEDIA_TYPE) return decodeKubernetesProtobuf(body).object;
  const text = body.toString('utf8');
  if (text.trim() === '') throw new K8tsError('BadRequest', 'the request body is empty');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text);
    } catch (err) {
      throw new K8tsError('BadRequest', `the request body is not valid YAML: ${(err as Error).message}`);
    }
  }
  if (type.includes('protobuf')) {
    throw new K8tsError(
      'UnsupportedMediaType',
      `the media type ${JSON.stringify(type)} is not supported; send JSON or YAML`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new K8tsError('BadRequest', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

const responseWarnings = new WeakMap<ServerResponse, string[]>();

/** Warnings collected while handling a request go out as `Warning: 299 - "..."` headers. */
export function attachWarnings(res: ServerResponse, warnings: string[]): void {
  responseWarnings.set(res, warnings);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  const warnings = responseWarnings.get(res);
  if (warnings && warnings.length > 0)
    res.setHeader(
      'Warning',
      warnings.map((w) => `299 - ${JSON.stringify(w)}`),
    );
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

export function errorToStatus(err: unknown): K8tsError {
  if (isK8tsError(err)) return err;
  console.error('k8ts apiserver: internal error:', err);
  return new K8tsError('Internal', `an internal error occurred: ${(err as Error)?.message ?? String(err)}`);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = errorToStatus(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (e.details?.retryAfterSeconds) headers['Retry-After'] = String(e.details.retryAfterSeconds);
  sendJson(res, e.httpStatus, e.toStatus(), headers);
}
