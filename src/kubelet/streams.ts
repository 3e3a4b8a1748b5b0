// exec, attach and port-forward on the kubelet (upstream's /exec, /attach, /portForward handlers): finds the
// container or sandbox in CRI, asks the runtime for a streaming URL and proxies the upgraded connection there.
// containerd's streaming server speaks the same SPDY / websocket protocols as kubectl, so bytes pass through.
import type { IncomingMessage } from 'node:http';
import { type CriClient, CriError, isCriNotFound } from '../runtime/cri/client.js';
import { isUpgradeRequest, proxyUpgrade } from '../streams/upgrade-proxy.js';
import type { Obj } from './refs.js';
import { instancesOf, readPodRuntime } from './runtime-state.js';

/** An answer the kubelet gives as plain text with this status, before any upgrade. */
export class StreamRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface StreamResolver {
  /** The runtime's streaming URL for exec (cmd set) or attach (cmd undefined) in the container. */
  execOrAttach(
    namespace: string,
    pod: string,
    container: string,
    cmd: string[] | undefined,
    opts: StreamOptions,
  ): Promise<string>;
  portForward(namespace: string, pod: string, ports: number[]): Promise<string>;
}

export function streamResolver(
  cri: CriClient,
  findPod: (namespace: string, name: string) => Obj | undefined,
): StreamResolver {
  const podOf = (namespace: string, name: string) => {
    const pod = findPod(namespace, name);
    if (!pod) throw new StreamRequestError(404, `pod does not exist`);
    return pod;
  };
  return {
    async execOrAttach(namespace, podName, container, cmd, opts) {
      const pod = podOf(namespace, podName);
      const { latest } = instancesOf(await readPodRuntime(cri, pod.metadata.uid), container);
      if (!latest) throw new StreamRequestError(404, `container not found (${JSON.stringify(container)})`);
      if (latest.state !== 'CONTAINER_RUNNING') {
        throw new StreamRequestError(
          400,
          `container ${container} is not running (state: ${latest.state.replace('CONTAINER_', '')})`,
        );
      }
      const req = { containerId: latest.id, ...opts };
      return cmd ? cri.exec({ ...req, cmd }) : cri.attach(req);
    },
    async portForward(namespace, podName, ports) {
      const pod = podOf(namespace, podName);
      const rt = await readPodRuntime(cri, pod.metadata.uid);
      const sandbox = rt.sandboxes.find((s) => s.ready);
      if (!sandbox) throw new StreamRequestError(400, `pod ${podName} has no running sandbox`);
      return cri.portForward(sandbox.id, ports);
    },
  };
}

const truthy = (v: string | null) => v === '1' || v === 'true';

/**
 * Serves `/exec/{ns}/{pod}/{container}`, `/attach/{ns}/{pod}/{container}` and `/portForward/{ns}/{pod}`
 * (upstream also allows a trailing pod uid). Throws StreamRequestError for answers before the upgrade.
 */
export async function serveStream(
  req: IncomingMessage,
  parts: string[],
  query: URLSearchParams,
  resolver: StreamResolver,
): Promise<void> {
  const [kind, namespace, pod, third] = parts;
  if (req.method !== 'GET' && req.method !== 'POST') {
    throw new StreamRequestError(405, 'Method Not Allowed');
  }
  let url: string;
  if (kind === 'portForward') {
    if (parts.length < 3 || parts.length > 4) {
      throw new StreamRequestError(400, 'expected /portForward/{namespace}/{pod}');
    }
    const ports = query.getAll('port').map(Number);
    if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
      throw new StreamRequestError(400, `invalid port in ${JSON.stringify(query.getAll('port'))}`);
    }
    if (!isUpgradeRequest(req)) throw new StreamRequestError(400, 'Upgrade request required');
    url = await resolver
      .portForward(namespace, pod, ports)
      .catch((err) => Promise.reject(runtimeStreamError(err)));
  } else {
    if (parts.length < 4 || parts.length > 5) {
      throw new StreamRequestError(400, `expected /${kind}/{namespace}/{pod}/{container}`);
    }
    const opts: StreamOptions = {
      stdin: truthy(query.get('input')),
      stdout: truthy(query.get('output')),
      stderr: truthy(query.get('error')),
      tty: truthy(query.get('tty')),
    };
    // With a TTY stderr is merged into stdout (upstream's remotecommand options).
    if (opts.tty) opts.stderr = false;
    if (!opts.stdin && !opts.stdout && !opts.stderr) {
      throw new StreamRequestError(400, 'you must specify at least 1 of stdin, stdout, stderr');
    }
    const cmd = kind === 'exec' ? query.getAll('command') : undefined;
    if (cmd && cmd.length === 0) throw new StreamRequestError(400, 'missing command');
    if (!isUpgradeRequest(req)) throw new StreamRequestError(400, 'Upgrade request required');
    url = await resolver
      .execOrAttach(namespace, pod, third, cmd, opts)
      .catch((err) => Promise.reject(runtimeStreamError(err)));
  }
  await proxyUpgrade(req, new URL(url));
}

/** A runtime error while asking for the URL, as upstream's streaming.WriteError answers it. */
export function runtimeStreamError(err: unknown): unknown {
  if (!(err instanceof CriError)) return err;
  return new StreamRequestError(isCriNotFound(err) ? 404 : 500, err.message);
}

export const STREAM_PATHS = new Set(['exec', 'attach', 'portForward']);
