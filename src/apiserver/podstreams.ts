// `pods/NAME/exec`, `attach` and `portforward`: validates the request as upstream's registry does (the pod,
// its node, the container), then proxies the upgraded connection (SPDY/3.1 or websocket) to the kubelet's
// `/exec/{ns}/{pod}/{container}`, `/attach/...` or `/portForward/{ns}/{pod}` with upstream's query names. The
// streaming protocols pass through unchanged; the kubelet proxies them on to the runtime's streaming server.
import type { IncomingMessage } from 'node:http';
import type { Obj, ResourceDef } from '../api/types.js';
import { K8tsError } from '../errors.js';
import { isUpgradeRequest, proxyUpgrade } from '../streams/upgrade-proxy.js';
import { offersV5, translateExec } from './exec-translator.js';
import type { ApiContext } from './handlers.js';
import { kubeletEndpoint, pickContainer } from './podlogs.js';
import { isWebSocketRequest, tunneledSpdyProtocols, tunnelPortForward } from './portforward-tunnel.js';

export type PodStream = 'exec' | 'attach' | 'portforward';

export interface PodStreamTarget {
  pods: ResourceDef;
  nodes: ResourceDef;
  namespace: string;
  name: string;
  subresource: PodStream;
}

/** Go's strconv.ParseBool, as query parameters are converted upstream. */
function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False', ''].includes(v)) return false;
  throw new K8tsError('BadRequest', `strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** The kubelet path and query for a validated request (upstream's ExecLocation / AttachLocation / PortForwardLocation). */
export function kubeletStreamPath(pod: Obj, t: PodStreamTarget, query: URLSearchParams): string {
  const ns = encodeURIComponent(t.namespace);
  const name = encodeURIComponent(t.name);
  const out = new URLSearchParams();
  if (t.subresource === 'portforward') {
    for (const p of query.getAll('ports')) out.append('port', p);
    const q = out.toString();
    return `/portForward/${ns}/${name}${q ? `?${q}` : ''}`;
  }
  const container = pickContainer(pod, query.get('container') || undefined);
  const stdin = queryBool(query, 'stdin');
  const stdout = queryBool(query, 'stdout');
  const stderr = queryBool(query, 'stderr');
  const tty = queryBool(query, 'tty');
  if (t.subresource === 'exec') {
    const command = query.getAll('command');
    if (command.length === 0)
      throw new K8tsError('BadRequest', 'you must specify at least one command for the container');
    for (const c of command) out.append('command', c);
  }
  if (!stdin && !stdout && !stderr) {
    throw new K8tsError('BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
  }
  if (stdin) out.set('input', '1');
  if (stdout) out.set('output', '1');
  if (stderr) out.set('error', '1');
  if (tty) out.set('tty', '1');
  return `/${t.subresource}/${ns}/${name}/${encodeURIComponent(container)}?${out.toString()}`;
}

export async function servePodStream(
  ctx: ApiContext,
  t: PodStreamTarget,
  query: URLSearchParams,
  req: IncomingMessage,
): Promise<void> {
  const pod = await ctx.store.get(t.pods, t.namespace, t.name);
  const nodeName: string | undefined = pod.spec?.nodeName;
  if (!nodeName) throw new K8tsError('BadRequest', `pod ${t.name} does not have a host assigned`);
  const path = kubeletStreamPath(pod, t, query);
  if (!isUpgradeRequest(req)) throw new K8tsError('BadRequest', 'Upgrade request required');
  const phase = pod.status?.phase;
  if (t.subresource !== 'portforward' && (phase === 'Succeeded' || phase === 'Failed')) {
    throw new K8tsError(
      'BadRequest',
      `cannot ${t.subresource} into a container in a completed pod; current phase is ${phase}`,
    );
  }
  const node = await ctx.store.get(t.nodes, undefined, nodeName);
  const { host, port } = kubeletEndpoint(node);
  const target = new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`);
  try {
    const tunneled =
      t.subresource === 'portforward' && isWebSocketRequest(req) ? tunneledSpdyProtocols(req) : [];
    if (tunneled.length > 0) await tunnelPortForward(req, target, tunneled);
    else if (t.subresource !== 'portforward' && isWebSocketRequest(req) && offersV5(req)) {
      await translateExec(req, target, {
        stdin: queryBool(query, 'stdin'),
        stdout: queryBool(query, 'stdout'),
        stderr: queryBool(query, 'stderr'),
        tty: queryBool(query, 'tty'),
      });
    } else await proxyUpgrade(req, target);
  } catch (err) {
    throw new K8tsError(
      'ServiceUnavailable',
      `cannot reach the kubelet of node ${nodeName} at ${target.host}: ${(err as Error).message}`,
    );
  }
}
