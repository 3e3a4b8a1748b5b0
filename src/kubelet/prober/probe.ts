// One probe or lifecycle-hook action, carried out once (upstream's pkg/kubelet/prober and pkg/probe):
// exec runs the command in the container through CRI ExecSync with the probe's timeout and passes on exit
// code 0; httpGet passes on a status from 200 to 399, following redirects on the same host; tcpSocket
// passes when a connection opens. The kubelet runs in the host's network namespace and reaches the pod's
// IP over the node's bridge.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Obj } from '../refs.js';
import { grpcProbe } from './grpc.js';

export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeOutcome {
  result: ProbeResult;
  /** What a failure says (the command's output, the HTTP status, the dial error). */
  output: string;
}

/** What an action needs from the runtime and the pod: ExecSync, and where the pod is. */
export interface ProbeTarget {
  execSync(
    containerId: string,
    cmd: string[],
    timeoutSeconds: number,
  ): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
}

export interface ActionContext {
  containerId: string;
  /** The container's spec (its named ports). */
  container: Obj;
  podIP: string;
  timeoutSeconds: number;
}

/** Upstream sends this as User-Agent; k8ts answers as the Kubernetes version it follows. */
export const PROBE_USER_AGENT = 'kube-probe/1.33';
const MAX_BODY = 10 * 1024;
const MAX_REDIRECTS = 10;

/** A port given as a number, a numeric string, or the name of one of the container's ports. */
export function resolvePort(port: unknown, container: Obj): number {
  const s = String(port ?? '');
  const named = (container.ports ?? []).find((p: Obj) => p.name === s);
  const n =
    typeof port === 'number' ? port : named ? Number(named.containerPort) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (Number.isNaN(n)) throw new Error(`couldn't find port: ${s} in ${container.name ?? 'container'}`);
  if (!(n > 0 && n < 65536)) throw new Error(`invalid port number: ${n}`);
  return n;
}

/**
 * Runs a probe's or hook's action. A hook's httpGet passes on any response (upstream does not look at
 * its status), a probe's only on 2xx and 3xx.
 */
export async function runAction(
  target: ProbeTarget,
  action: Obj,
  ctx: ActionContext,
  opts: { anyHttpStatus?: boolean; userAgent?: string } = {},
): Promise<ProbeOutcome> {
  try {
    if (action.exec) return await execAction(target, action.exec, ctx);
    if (action.httpGet)
      return await httpAction(action.httpGet, ctx, !!opts.anyHttpStatus, opts.userAgent ?? PROBE_USER_AGENT);
    if (action.tcpSocket) return await tcpAction(action.tcpSocket, ctx);
    if (action.grpc)
      return await grpcProbe(
        ctx.podIP,
        resolvePort(action.grpc.port, ctx.container),
        action.grpc.service ?? '',
        Math.max(1, ctx.timeoutSeconds),
      );
  } catch (err) {
    return { result: 'unknown', output: (err as Error).message };
  }
  return { result: 'unknown', output: 'missing probe handler' };
}

async function execAction(target: ProbeTarget, exec: Obj, ctx: ActionContext): Promise<ProbeOutcome> {
  const cmd: string[] = exec.command ?? [];
  try {
    const r = await target.execSync(ctx.containerId, cmd, ctx.timeoutSeconds);
    const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8');
    return r.exitCode === 0 ? { result: 'success', output } : { result: 'failure', output };
  } catch (err) {
    const msg = (err as Error).message;
    if (/deadline|timed? ?out|timeout/i.test(msg))
      return { result: 'failure', output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
    throw err;
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The URL an httpGet action asks for: scheme (HTTP), host (the pod IP), port, path. */
export function httpUrl(httpGet: Obj, ctx: ActionContext): URL {
  const scheme = String(httpGet.scheme ?? 'HTTP').toLowerCase();
  const host = httpGet.host || ctx.podIP;
  const port = resolvePort(httpGet.port, ctx.container);
  let path: string = httpGet.path ?? '';
  if (path && !path.startsWith('/')) path = `/${path}`;
  return new URL(`${scheme}://${hostForUrl(host)}:${port}${path}`);
}

async function httpAction(
  httpGet: Obj,
  ctx: ActionContext,
  anyStatus: boolean,
  userAgent: string,
): Promise<ProbeOutcome> {
  let url = httpUrl(httpGet, ctx);
  const headers: Record<string, string> = { 'User-Agent': userAgent, Accept: '*/*' };
  let hostHeader: string | undefined;
  for (const h of httpGet.httpHeaders ?? []) {
    if (!h?.name) continue;
    if (h.name.toLowerCase() === 'host') hostHeader = h.value;
    else {
      // A header given in the spec replaces the default of the same name, whatever its case.
      for (const k of Object.keys(headers)) if (k.toLowerCase() === h.name.toLowerCase()) delete headers[k];
      headers[h.name] = h.value;
    }
  }
  const deadline = Date.now() + Math.max(1, ctx.timeoutSeconds) * 1000;
  for (let hops = 0; ; hops++) {
    let res: { status: number; location?: string; body: string };
    try {
      res = await get(url, { ...headers, ...(hostHeader ? { Host: hostHeader } : {}) }, deadline);
    } catch (err) {
      // A target that cannot be reached is a failed probe, not an error (as upstream).
      return { result: 'failure', output: (err as Error).message };
    }
    const code = res.status;
    if (code >= 300 && code < 400 && res.location && hops < MAX_REDIRECTS) {
      const next = new URL(res.location, url);
      // Redirects are followed only on the same host; another host counts as success (with a warning
      // upstream).
      if (next.hostname !== url.hostname)
        return { result: 'success', output: `Probe terminated redirects, Response body: ${res.body}` };
      url = next;
      continue;
    }
    if (anyStatus || (code >= 200 && code < 400)) return { result: 'success', output: res.body };
    return { result: 'failure', output: `HTTP probe failed with statuscode: ${code}` };
  }
}

function get(
  url: URL,
  headers: Record<string, string>,
  deadline: number,
): Promise<{ status: number; location?: string; body: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const timeoutMs = Math.max(1, deadline - Date.now());
  return new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
    const req = send(
      url,
      { method: 'GET', headers, rejectUnauthorized: false, agent: false },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
          size += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(
        new Error(
          `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        ),
      );
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.message.startsWith('Get "') ? err : new Error(`Get "${url.href}": ${dialError(url, err)}`)),
    );
    req.end();
  });
}

function dialError(url: URL, err: NodeJS.ErrnoException): string {
  const addr = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  if (err.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${addr}: connect: no route to host`;
  return err.message;
}

async function tcpAction(tcpSocket: Obj, ctx: ActionContext): Promise<ProbeOutcome> {
  const host: string = tcpSocket.host || ctx.podIP;
  const port = resolvePort(tcpSocket.port, ctx.container);
  const timeoutMs = Math.max(1, ctx.timeoutSeconds) * 1000;
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ result: 'failure', output: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ result: 'success', output: '' });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const addr = `${host}:${port}`;
      resolve({
        result: 'failure',
        output:
          err.code === 'ECONNREFUSED'
            ? `dial tcp ${addr}: connect: connection refused`
            : `dial tcp ${addr}: ${err.message}`,
      });
    });
  });
}
