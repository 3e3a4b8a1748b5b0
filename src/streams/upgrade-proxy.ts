// Proxies an HTTP/1.1 upgrade (SPDY/3.1 or websocket) to another server as raw bytes: the request line and
// headers are written again for the target (its path and Host), then both sockets are spliced. The streaming
// protocols (remotecommand, portforward) pass through unchanged, and so does the target's answer, the 101 or
// an error. Used by the API server (to the kubelet) and by the kubelet (to the runtime's streaming server).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Hop-by-hop or credential headers never forwarded to the target. */
const DROPPED = new Set(['host', 'authorization', 'proxy-authorization', 'content-length']);

/** Whether the request asks to switch protocols (`Connection: Upgrade` with an `Upgrade` header). */
export function isUpgradeRequest(req: IncomingMessage): boolean {
  const conn = String(req.headers.connection ?? '').toLowerCase();
  return Boolean(req.headers.upgrade) && conn.split(',').some((t) => t.trim() === 'upgrade');
}

const HEADS = new WeakMap<IncomingMessage, Buffer>();

/**
 * Lets an HTTP server's `upgrade` event go through the ordinary request handler: `res` writes to the socket
 * (errors become normal responses, closing the connection), and `upgradeHead` gives the bytes read past the
 * headers to whoever takes the socket over.
 */
export function responseForUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  res: ServerResponse,
): void {
  HEADS.set(req, head);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
}

export function upgradeHead(req: IncomingMessage): Buffer {
  return HEADS.get(req) ?? Buffer.alloc(0);
}

/**
 * Connects to target and forwards the upgrade request there. Resolves once connected (from then on the two
 * sockets are spliced and errors just close both); rejects when the target cannot be reached, before anything
 * was written to the client, so the caller can still answer with a Status.
 */
export function proxyUpgrade(req: IncomingMessage, target: URL): Promise<void> {
  const client = req.socket;
  const head = upgradeHead(req);
  return new Promise<void>((resolve, reject) => {
    const upstream = connect({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 80),
    });
    const failEarly = (err: Error) => reject(err);
    upstream.once('error', failEarly);
    upstream.once('connect', () => {
      upstream.off('error', failEarly);
      upstream.setNoDelay(true);
      client.setNoDelay(true);
      client.setTimeout(0);
      const lines = [
        `${req.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`,
        `Host: ${target.host}`,
      ];
      const raw = req.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if (!DROPPED.has(raw[i].toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      // Any bytes still buffered in the client's request stream belong to the new protocol.
      client.pipe(upstream);
      upstream.pipe(client);
      const closeBoth = () => {
        client.destroy();
        upstream.destroy();
      };
      client.once('error', closeBoth);
      upstream.once('error', closeBoth);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      resolve();
    });
  });
}
