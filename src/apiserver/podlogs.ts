// `GET pods/NAME/log`: validates the PodLogOptions, picks the container, finds the pod's node and its kubelet,
// checks the container has logs (the kubelet's validateContainerLogStatus, answered from the pod status the
// kubelet wrote) and streams the kubelet's answer through. Following streams stay open until either side ends.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { invalidMessage } from '../api/field.js';
import { decodePodLogOptions, kubeletLogQuery, validatePodLogOptions } from '../api/podlogoptions.js';
import type { Obj, ResourceDef } from '../api/types.js';
import { K8tsError } from '../errors.js';
import type { ApiContext } from './handlers.js';

/** The port a kubelet serves on when its Node does not say (upstream's default). */
export const DEFAULT_KUBELET_PORT = 10250;
/** Address types tried in order to reach a kubelet (k3s's --kubelet-preferred-address-types). */
const PREFERRED_ADDRESS_TYPES = ['InternalIP', 'ExternalIP', 'Hostname'];

export interface PodLogTarget {
  pods: ResourceDef;
  nodes: ResourceDef;
  namespace: string;
  name: string;
}

export async function servePodLog(
  ctx: ApiContext,
  t: PodLogTarget,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const opts = decodePodLogOptions(query);
  const errs = validatePodLogOptions(opts);
  if (errs.length > 0) {
    throw new K8tsError('Invalid', invalidMessage('PodLogOptions', t.name, errs), {
      name: t.name,
      kind: 'PodLogOptions',
      causes: errs.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    });
  }
  const pod = await ctx.store.get(t.pods, t.namespace, t.name);
  const container = pickContainer(pod, opts.container);
  const nodeName: string | undefined = pod.spec?.nodeName;
  if (!nodeName) {
    // Upstream has no location for an unscheduled pod and answers an empty stream.
    res.writeHead(204);
    res.end();
    return;
  }
  const node = await ctx.store.get(t.nodes, undefined, nodeName);
  const { host, port } = kubeletEndpoint(node);
  checkContainerLogStatus(pod, container, opts.previous);
  const path = `/containerLogs/${enc(t.namespace)}/${enc(t.name)}/${enc(container)}`;
  const q = kubeletLogQuery(opts).toString();
  await proxyLogStream(
    `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}${q ? `?${q}` : ''}`,
    {
      nodeName,
      pod: t.name,
      req,
      res,
    },
  );
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

const names = (list: any[] | undefined): string => (list ?? []).map((c) => c.name).join(' ');

/** Upstream's LogLocation: the one container, or the named one, which must exist. */
export function pickContainer(pod: Obj, requested: string | undefined): string {
  const name = pod.metadata.name;
  const containers: any[] = pod.spec?.containers ?? [];
  if (!requested) {
    if (containers.length === 1) return containers[0].name;
    if (containers.length === 0) {
      throw new K8tsError('BadRequest', `a container name must be specified for pod ${name}`);
    }
    let msg = `a container name must be specified for pod ${name}, choose one of: [${names(containers)}]`;
    const init = names(pod.spec?.initContainers);
    if (init) msg += ` or one of the init containers: [${init}]`;
    throw new K8tsError('BadRequest', msg);
  }
  const all = [...containers, ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
  if (!all.some((c) => c.name === requested)) {
    throw new K8tsError('BadRequest', `container ${requested} is not valid for pod ${name}`);
  }
  return requested;
}

/** Upstream's node connection info: the preferred address and `daemonEndpoints.kubeletEndpoint.Port`. */
export function kubeletEndpoint(node: Obj): { host: string; port: number } {
  const addresses: { type: string; address: string }[] = node.status?.addresses ?? [];
  let host: string | undefined;
  for (const type of PREFERRED_ADDRESS_TYPES) {
    host = addresses.find((a) => a.type === type && a.address)?.address;
    if (host) break;
  }
  if (!host) {
    const known = addresses.map((a) => `{${a.type} ${a.address}}`).join(' ');
    throw new K8tsError('BadRequest', `no preferred addresses found; known addresses: [${known}]`);
  }
  const port = Number(node.status?.daemonEndpoints?.kubeletEndpoint?.Port) || DEFAULT_KUBELET_PORT;
  return { host, port };
}

/**
 * The kubelet's validateContainerLogStatus, with its messages: which instance has logs, or why none does.
 * Our kubelet's log server knows files, not pod status, so the API server asks the status the kubelet wrote.
 */
function checkContainerLogStatus(pod: Obj, container: string, previous: boolean): void {
  const podName = pod.metadata.name;
  const statuses: any[] = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  const s = statuses.find((c) => c.name === container);
  const fail = (msg: string) => new K8tsError('BadRequest', msg);
  if (!s) throw fail(`container "${container}" in pod "${podName}" is not available`);
  const last = s.lastState?.terminated;
  const { waiting, running, terminated } = s.state ?? {};
  if (previous) {
    if (!last?.containerID)
      throw fail(`previous terminated container "${container}" in pod "${podName}" not found`);
    return;
  }
  if (running) return;
  if (terminated) {
    if (!terminated.containerID && !last?.containerID) {
      throw fail(`container "${container}" in pod "${podName}" is terminated`);
    }
    return;
  }
  if (last) {
    if (!last.containerID) throw fail(`container "${container}" in pod "${podName}" is terminated`);
    return;
  }
  if (waiting) {
    const why =
      waiting.reason === 'ErrImagePull'
        ? "image can't be pulled"
        : waiting.reason === 'ImagePullBackOff'
          ? 'trying and failing to pull image'
          : (waiting.reason ?? '');
    throw fail(`container "${container}" in pod "${podName}" is waiting to start: ${why}`);
  }
  throw fail(`container "${container}" in pod "${podName}" is waiting to start - no logs yet`);
}

/** Bodies of kubelet errors are short plain text; read at most this much of one. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * Streams the kubelet's answer to the client: chunked, each chunk written as it arrives (so `-f` is live);
 * the client going away closes the kubelet request. A kubelet error before any data becomes a Status.
 */
function proxyLogStream(
  url: string,
  ctx: { nodeName: string; pod: string; req: IncomingMessage; res: ServerResponse },
): Promise<void> {
  const { res } = ctx;
  return new Promise<void>((resolve, reject) => {
    const upstream = httpRequest(url, { method: 'GET', headers: { Accept: 'text/plain' } });
    const onClientGone = () => upstream.destroy();
    res.once('close', onClientGone);
    upstream.once('error', (err) => {
      res.off('close', onClientGone);
      if (res.headersSent || res.destroyed) {
        res.destroy();
        resolve();
        return;
      }
      reject(
        new K8tsError(
          'ServiceUnavailable',
          `cannot reach the kubelet of node ${ctx.nodeName} at ${new URL(url).host}: ${(err as Error).message}`,
        ),
      );
    });
    upstream.once('response', (kubelet) => {
      const code = kubelet.statusCode ?? 500;
      if (code < 200 || code > 206) {
        readText(kubelet).then((text) => {
          res.off('close', onClientGone);
          reject(kubeletError(code, text.trim(), ctx.pod));
        }, reject);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      kubelet.on('data', (chunk: Buffer) => {
        if (!res.write(chunk)) {
          kubelet.pause();
          res.once('drain', () => kubelet.resume());
        }
      });
      kubelet.once('end', () => {
        res.off('close', onClientGone);
        res.end();
        resolve();
      });
      kubelet.once('error', () => {
        res.destroy();
        resolve();
      });
      kubelet.once('close', () => {
        if (!res.writableEnded) res.destroy();
        resolve();
      });
    });
    upstream.end();
  });
}

function readText(msg: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    msg.on('data', (c: Buffer) => {
      if (size < MAX_ERROR_BODY) chunks.push(c);
      size += c.length;
    });
    msg.once('end', () => resolve(Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8')));
    msg.once('error', reject);
  });
}

/** Upstream's GenericHttpResponseChecker: the kubelet's status and text become a Status. */
function kubeletError(code: number, text: string, pod: string): K8tsError {
  const message =
    text || `the server responded with the status code ${code} but did not return more information`;
  switch (code) {
    case 400:
      return new K8tsError('BadRequest', message);
    case 404:
      return new K8tsError('NotFound', message, { name: pod, kind: 'pods/log' });
    case 422:
      return new K8tsError('Invalid', message, { name: pod, kind: 'pods/log' });
    case 503:
      return new K8tsError('ServiceUnavailable', message);
    default:
      return new K8tsError('Internal', message);
  }
}
