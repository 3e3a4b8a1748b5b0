// The kubelet's HTTP server: container logs at upstream's path, exec/attach/port-forward, /metrics,
// /metrics/resource, /stats/summary and /healthz. The API server proxies
// `pods/NAME/log` here. Plain HTTP for now: TLS (the serving certificate) and authenticating the API server
// as a client arrive with the authentication issue; until then bind it to an address only the control plane
// reaches.
import { createServer, type IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, realClock } from '../client/clock.js';
import { METRICS_CONTENT_TYPE } from '../metrics/process.js';
import { responseForUpgrade } from '../streams/upgrade-proxy.js';
import { streamCriLog } from './crilog.js';
import { LogQueryError, parseLogQuery } from './logquery.js';
import { STREAM_PATHS, StreamRequestError, type StreamResolver, serveStream } from './streams.js';

export interface LogResolver {
  /** Path of the container's CRI log file (the previous instance's when `previous`), or undefined. */
  resolve(
    namespace: string,
    podName: string,
    container: string,
    previous: boolean,
  ): Promise<string | undefined>;
  /**
   * Optional: whether the container still runs, so `follow` ends when it stops (as upstream's does). Without
   * it, following ends when `resolve` starts answering another file (a new instance) or none.
   */
  running?(namespace: string, podName: string, container: string): Promise<boolean>;
}

export interface KubeletServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logs: LogResolver;
  /** exec, attach and port-forward; without it those paths answer 404. */
  streams?: StreamResolver;
  clock?: Clock;
  /** /metrics, /metrics/resource and /stats/summary; without it those paths answer 404. */
  metrics?: MetricsSource;
  /** How often a follower looks for new data without a file event (default 1000 ms). */
  followPollMs?: number;
}

export interface MetricsSource {
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** The Prometheus text of /metrics/resource. */
  resourceMetrics(): Promise<string>;
  /** The Summary API document of /stats/summary. */
  summary(): Promise<object>;
}

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const clock = opts.clock ?? realClock;
  const server = createServer((req, res) => {
    handle(req, res, opts, clock).catch((err) => {
      if (!res.headersSent) sendText(res, 500, `internal error: ${(err as Error).message}`);
      else res.destroy(err as Error);
    });
  });
  // exec, attach and port-forward arrive as upgrade requests; errors are answered on the raw socket.
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    const res = new ServerResponse(req);
    responseForUpgrade(req, socket, head, res);
    handle(req, res, opts, clock).catch((err) => {
      if (!res.headersSent) sendText(res, 500, `internal error: ${(err as Error).message}`);
      else res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: KubeletServerOptions,
  clock: Clock,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://kubelet');
  let parts: string[];
  try {
    parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    sendText(res, 400, `malformed path: ${url.pathname}`);
    return;
  }
  if (url.pathname === '/healthz') {
    sendText(res, 200, 'ok');
    return;
  }
  if (opts.metrics && (parts[0] === 'metrics' || parts[0] === 'stats')) {
    await serveMetrics(req, res, url.pathname.replace(/\/+$/, ''), opts.metrics);
    return;
  }
  if (opts.streams && STREAM_PATHS.has(parts[0])) {
    try {
      await serveStream(req, parts, url.searchParams, opts.streams);
    } catch (err) {
      if (!(err instanceof StreamRequestError)) throw err;
      sendText(res, err.status, err.message);
    }
    return;
  }
  if (parts[0] !== 'containerLogs') {
    sendText(res, 404, `404 page not found: ${url.pathname}`);
    return;
  }
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    sendText(res, 405, 'Method Not Allowed');
    return;
  }
  if (parts.length !== 4) {
    sendText(res, 400, 'expected /containerLogs/{namespace}/{pod}/{container}');
    return;
  }
  const [, namespace, podName, container] = parts;
  let query: ReturnType<typeof parseLogQuery>;
  try {
    query = parseLogQuery(url.searchParams, clock.now());
  } catch (err) {
    if (err instanceof LogQueryError) {
      sendText(res, err.status, err.message);
      return;
    }
    throw err;
  }
  const path = await opts.logs.resolve(namespace, podName, container, query.previous);
  if (!path) {
    sendText(
      res,
      404,
      query.previous
        ? `previous terminated container "${container}" in pod "${podName}" not found`
        : `no log found for container "${container}" in pod "${namespace}/${podName}"`,
    );
    return;
  }
  // Following a previous instance ends at its end; the current one is followed while it runs.
  const running = query.previous
    ? async () => false
    : opts.logs.running
      ? () => opts.logs.running!(namespace, podName, container)
      : async () => (await opts.logs.resolve(namespace, podName, container, false)) === path;
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
  };
  try {
    if (query.options.follow) start(); // a follower sees the headers at once, before any line
    await streamCriLog(
      path,
      query.options,
      (chunk) => {
        start();
        if (abort.signal.aborted) return;
        if (!res.write(chunk)) {
          return new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          });
        }
      },
      { running, signal: abort.signal, clock, pollMs: opts.followPollMs },
    );
  } catch (err) {
    if (!started && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      sendText(res, 404, `log file of container "${container}" in pod "${namespace}/${podName}" is gone`);
      return;
    }
    throw err;
  }
  start();
  res.end();
}

async function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  src: MetricsSource,
): Promise<void> {
  const route =
    path === '/metrics'
      ? 'metrics'
      : path === '/metrics/resource'
        ? 'resource'
        : path === '/stats/summary'
          ? 'summary'
          : undefined;
  if (!route) {
    sendText(res, 404, `404 page not found: ${path}`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET');
    sendText(res, 405, 'Method Not Allowed');
    return;
  }
  if (route === 'summary') {
    const body = Buffer.from(JSON.stringify(await src.summary(), null, 2));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
    return;
  }
  const body = Buffer.from(route === 'metrics' ? await src.metrics() : await src.resourceMetrics());
  res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': body.length });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}
