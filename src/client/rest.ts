// The REST transport every component uses to reach the API server: one keep-alive agent, JSON in and
// out, Status bodies turned into ApiErrors, an optional client-side QPS limit (client-go's QPS/Burst).
// TLS, bearer tokens and custom agents plug in through the options; nothing here knows about kinds.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { K8tsError } from '../errors.js';
import { ApiError } from './apierror.js';
import { type Clock, realClock, sleep } from './clock.js';
import { TokenBucket } from './ratelimit.js';
import { type ResourceClient, type ResourceRef, resourceClient } from './resource.js';

export interface TlsOptions {
  ca?: string | Buffer | (string | Buffer)[];
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface RestClientOptions {
  /** `http://host:port` or `https://host:port`, optionally with a path prefix. */
  baseUrl: string;
  /** Sent on every request (e.g. Authorization, impersonation). */
  headers?: Record<string, string>;
  /** Shorthand for `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** The connection pool to use; by default a keep-alive agent owned (and closed) by this client. */
  agent?: http.Agent;
  /** For https without an agent: trust and client certificate for the default agent. */
  tls?: TlsOptions;
  /** Per-request timeout for non-watch calls, ms (default 60 s; 0 disables). */
  timeoutMs?: number;
  userAgent?: string;
  /** Client-side limit on requests per second (default: none); `burst` defaults to qps. */
  qps?: number;
  burst?: number;
  clock?: Clock;
}

export type QueryValue = string | number | boolean | undefined | null;
export type Query = Record<string, QueryValue | readonly string[]>;

export interface RequestOptions {
  method?: string;
  /** Path below the base URL, starting with '/'. */
  path: string;
  query?: Query;
  /** Serialized as JSON unless a string or Buffer. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ClientStats {
  requests: number;
  failures: number;
  inFlight: number;
  /** Total time requests waited for the client-side rate limit. */
  throttledMs: number;
}

/** `?a=1&b=x` from a query object, skipping undefined/null/''. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  let out = '';
  for (const k in query) {
    const v = query[k];
    if (v === undefined || v === null || v === '') continue;
    const values = Array.isArray(v) ? v : [v];
    for (const x of values)
      out += `${out ? '&' : '?'}${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`;
  }
  return out;
}

export class RestClient {
  readonly baseUrl: URL;
  readonly stats: ClientStats = { requests: 0, failures: 0, inFlight: 0, throttledMs: 0 };
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly ownsAgent: boolean;
  private readonly prefix: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly limiter?: TokenBucket;
  private readonly clock: Clock;
  private closed = false;

  constructor(opts: RestClientOptions) {
    this.baseUrl = new URL(opts.baseUrl);
    const secure = this.baseUrl.protocol === 'https:';
    if (!secure && this.baseUrl.protocol !== 'http:') {
      throw new K8tsError('BadRequest', `unsupported API server URL scheme ${this.baseUrl.protocol}`);
    }
    this.transport = secure ? https : http;
    this.ownsAgent = !opts.agent;
    this.agent =
      opts.agent ??
      (secure
        ? new https.Agent({ keepAlive: true, maxFreeSockets: 64, ...opts.tls })
        : new http.Agent({ keepAlive: true, maxFreeSockets: 64 }));
    this.prefix = this.baseUrl.pathname.replace(/\/+$/, '');
    this.headers = { 'user-agent': opts.userAgent ?? 'k8ts-client/0.1', ...lowerKeys(opts.headers) };
    if (opts.bearerToken) this.headers.authorization = `Bearer ${opts.bearerToken}`;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.clock = opts.clock ?? realClock;
    if (opts.qps && opts.qps > 0)
      this.limiter = new TokenBucket(opts.qps, opts.burst ?? opts.qps, this.clock);
  }

  /** A typed client for one resource (a registry ResourceDef or a plain descriptor). */
  resource<T extends Record<string, any> = Record<string, any>>(ref: ResourceRef): ResourceClient<T> {
    return resourceClient<T>(this, ref);
  }

  /** Sends a request and returns the parsed JSON body (undefined when empty); non-2xx throws ApiError. */
  async request<T = any>(o: RequestOptions): Promise<T> {
    const { res, body } = await this.send(o, false);
    if (!body || body.length === 0) return undefined as T;
    const type = res.headers['content-type'] ?? '';
    const text = body.toString('utf8');
    if (!type.includes('json')) return text as T;
    return JSON.parse(text) as T;
  }

  /** Sends a request and returns the live response stream of a 2xx answer (watch, logs); non-2xx throws. */
  async stream(o: RequestOptions): Promise<{ res: IncomingMessage; cancel: () => void }> {
    const { res, req } = await this.send(o, true);
    return { res, cancel: () => req.destroy() };
  }

  /** Closes idle pooled connections of the agent this client created (a supplied agent is left alone). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsAgent) this.agent.destroy();
  }

  /**
   * One HTTP exchange. Non-streaming calls resolve after the whole body arrived (the timeout covers it);
   * streaming calls resolve at the response headers and the timeout stops there.
   */
  private async send(o: RequestOptions, streaming: boolean): Promise<Exchange> {
    if (this.closed) throw new K8tsError('ServiceUnavailable', 'the client is closed');
    if (this.limiter) {
      const wait = this.limiter.reserve();
      if (wait > 0) {
        this.stats.throttledMs += wait;
        await sleep(this.clock, wait, o.signal);
      }
    }
    const method = o.method ?? 'GET';
    const path = this.prefix + o.path + encodeQuery(o.query);
    const headers: Record<string, string | number> = {
      ...this.headers,
      accept: o.accept ?? 'application/json',
    };
    if (o.headers) Object.assign(headers, lowerKeys(o.headers));
    let payload: Buffer | undefined;
    if (o.body !== undefined) {
      payload = Buffer.isBuffer(o.body)
        ? o.body
        : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body), 'utf8');
      headers['content-type'] = o.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    this.stats.requests++;
    this.stats.inFlight++;
    return new Promise<Exchange>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (err: Error | undefined, ex?: Exchange) => {
        if (settled) return;
        settled = true;
        this.stats.inFlight--;
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        if (err) {
          this.stats.failures++;
          reject(err);
        } else resolve(ex!);
      };
      const req = this.transport.request(
        {
          hostname: this.baseUrl.hostname,
          port: this.baseUrl.port,
          method,
          path,
          headers,
          agent: this.agent,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          if (ok && streaming) {
            settle(undefined, { req, res });
            return;
          }
          readAll(res).then(
            (body) =>
              ok
                ? settle(undefined, { req, res, body })
                : settle(ApiError.fromResponse(status, body.toString('utf8'), { method, path })),
            (err) => settle(err),
          );
        },
      );
      const onAbort = () => {
        const reason = o.signal?.reason;
        req.destroy(reason instanceof Error ? reason : new Error('request aborted'));
      };
      req.on('error', (err) => settle(err));
      const timeout = o.timeoutMs ?? this.timeoutMs;
      if (timeout > 0) {
        timer = setTimeout(
          () => req.destroy(new K8tsError('Timeout', `${method} ${path}: no response within ${timeout} ms`)),
          timeout,
        );
      }
      if (o.signal) {
        if (o.signal.aborted) {
          onAbort();
          return;
        }
        o.signal.addEventListener('abort', onAbort, { once: true });
      }
      req.end(payload);
    });
  }
}

interface Exchange {
  req: http.ClientRequest;
  res: IncomingMessage;
  body?: Buffer;
}

function lowerKeys(h: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h) for (const k in h) out[k.toLowerCase()] = h[k];
  return out;
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the response was cut off')));
  });
}
