// `nodes/NAME/proxy/PATH`: forwards the request to the node's kubelet at /PATH and streams the answer back,
// as upstream's node proxy does (e.g. `kubectl get --raw /api/v1/nodes/NAME/proxy/metrics`).
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ResourceDef } from '../api/types.js';
import { K8tsError } from '../errors.js';
import type { ApiContext } from './handlers.js';
import { sendError } from './http.js';
import { kubeletEndpoint } from './podlogs.js';

/** Request headers not passed on (hop-by-hop, and the client's credentials for this server). */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'upgrade',
  'transfer-encoding',
  'host',
  'authorization',
]);

export async function proxyToNode(
  ctx: ApiContext,
  nodes: ResourceDef,
  nodeName: string,
  rest: string[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const node = await ctx.store.get(nodes, undefined, nodeName);
  const { host, port } = kubeletEndpoint(node);
  const search = new URL(req.url ?? '/', 'http://x').search;
  const path = `/${rest.map(encodeURIComponent).join('/')}${search}`;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROPPED.has(k)) headers[k] = v;
  await new Promise<void>((resolve) => {
    const out = httpRequest({ host, port, path, method: req.method, headers }, (answer) => {
      const h: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !DROPPED.has(k)) h[k] = v;
      res.writeHead(answer.statusCode ?? 502, h);
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', () => resolve());
    });
    out.on('error', (err) => {
      sendError(res, new K8tsError('ServiceUnavailable', `error trying to reach service: ${err.message}`));
      resolve();
    });
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
}
