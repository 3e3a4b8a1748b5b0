// kubectl 1.31+ port-forward: SPDY tunnelled in a websocket (subprotocol `SPDY/3.1+portforward.k8s.io`).
// As upstream's TunnelingHandler does, the API server turns the request into a SPDY/3.1 upgrade to the kubelet,
// and once the kubelet switches protocols it accepts the websocket with the matching tunnel protocol and
// carries the SPDY bytes in binary messages both ways (no framing of its own). A kubelet error is passed through.
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { upgradeHead } from '../streams/upgrade-proxy.js';

export const TUNNEL_PREFIX = 'SPDY/3.1+';
const KUBERNETES_SUFFIX = '.k8s.io';
/** The longest kubelet response header we wait for. */
const MAX_HEADER_BYTES = 1 << 20;

/** The SPDY protocols asked for through the websocket subprotocols (`SPDY/3.1+X.k8s.io` gives `X.k8s.io`). */
export function tunneledSpdyProtocols(req: IncomingMessage): string[] {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  return offered
    .filter((p) => p.startsWith(TUNNEL_PREFIX) && p.endsWith(KUBERNETES_SUFFIX))
    .map((p) => p.slice(TUNNEL_PREFIX.length));
}

export function isWebSocketRequest(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** Splits an HTTP response head off the bytes read so far, or undefined while incomplete. */
function splitHead(
  buf: Buffer,
): { status: number; headers: Map<string, string>; head: Buffer; rest: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.subarray(0, end + 4);
  const lines = head.toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  return { status, headers, head, rest: buf.subarray(end + 4) };
}

/**
 * Tunnels the websocket request to the kubelet URL. Rejects when the kubelet cannot be reached (nothing was
 * written to the client yet); otherwise resolves once the connection is set up or the kubelet's answer relayed.
 */
export function tunnelPortForward(req: IncomingMessage, target: URL, protocols: string[]): Promise<void> {
  const client = req.socket;
  return new Promise<void>((resolve, reject) => {
    const kubelet = connect({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 80),
    });
    const failEarly = (err: Error) => reject(err);
    kubelet.once('error', failEarly);
    kubelet.once('connect', () => {
      kubelet.off('error', failEarly);
      kubelet.once('error', () => {
        kubelet.destroy();
        client.destroy();
        resolve();
      });
      const lines = [
        `POST ${target.pathname}${target.search} HTTP/1.1`,
        `Host: ${target.host}`,
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        ...protocols.map((p) => `X-Stream-Protocol-Version: ${p}`),
        'Content-Length: 0',
      ];
      kubelet.write(`${lines.join('\r\n')}\r\n\r\n`);
      let buf = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const parsed = splitHead(buf);
        if (!parsed) {
          if (buf.length > MAX_HEADER_BYTES) {
            kubelet.destroy();
            client.destroy();
            resolve();
          }
          return;
        }
        kubelet.off('data', onData);
        kubelet.pause();
        const upgraded =
          parsed.status === 101 &&
          (parsed.headers.get('upgrade') ?? '').toLowerCase().includes('spdy/3.1') &&
          (parsed.headers.get('connection') ?? '').toLowerCase().includes('upgrade');
        if (!upgraded) {
          // Not switching: the kubelet's answer goes back as it is, then the connection ends.
          client.write(parsed.head);
          if (parsed.rest.length > 0) client.write(parsed.rest);
          kubelet.pipe(client);
          kubelet.resume();
          client.once('close', () => kubelet.destroy());
          resolve();
          return;
        }
        const chosen = parsed.headers.get('x-stream-protocol-version');
        acceptTunnel(req, client, kubelet, chosen ? `${TUNNEL_PREFIX}${chosen}` : undefined, parsed.rest);
        resolve();
      };
      kubelet.on('data', onData);
    });
  });
}

function acceptTunnel(
  req: IncomingMessage,
  client: Socket,
  kubelet: Socket,
  protocol: string | undefined,
  early: Buffer,
): void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  // `SPDY/3.1+portforward.k8s.io` is not an RFC 7230 token (the `/`), which `ws` refuses in the offer: the
  // offer was read already, so it is dropped and the chosen protocol added to the answer by hand.
  delete req.headers['sec-websocket-protocol'];
  if (protocol) wss.once('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${protocol}`));
  wss.handleUpgrade(req, client, upgradeHead(req), (ws) => {
    if (early.length > 0) ws.send(early, { binary: true });
    kubelet.on('data', (chunk: Buffer) => {
      ws.send(chunk, { binary: true });
      // Back-pressure: stop reading from the kubelet while the websocket's buffer is large.
      if (ws.bufferedAmount > 1 << 20) {
        kubelet.pause();
        const wait = () => (ws.bufferedAmount > 1 << 18 ? setTimeout(wait, 5) : kubelet.resume());
        setTimeout(wait, 5);
      }
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        ws.close(1003, 'invalid message type received');
        return;
      }
      kubelet.write(data);
    });
    kubelet.once('end', () => ws.close(1000));
    kubelet.once('close', () => ws.close(1000));
    ws.once('close', () => {
      kubelet.destroy();
      wss.close();
    });
    ws.once('error', () => kubelet.destroy());
    kubelet.resume();
  });
}
