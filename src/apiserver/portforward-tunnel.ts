// kubectl 1.31+ port-forward: SPDY tunnelled in a websocket (subprotocol `SPDY/3.1+portforward.k8s.io`).
// As upstream's TunnelingHandler does, the API server turns the request into a SPDY/3.1 upgrade to the kubelet,
// and once the kubelet switches protocols it accepts the websocket with the matching tunnel protocol and
// carries the SPDY bytes in binary messages both ways (no framing of its own). A kubelet error is passed through.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { relayRefusal, requestSpdyUpgrade, upgradeHead } from '../streams/upgrade-proxy.js';

export const TUNNEL_PREFIX = 'SPDY/3.1+';
const KUBERNETES_SUFFIX = '.k8s.io';

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

/**
 * Tunnels the websocket request to the kubelet URL. Rejects when the kubelet cannot be reached (nothing was
 * written to the client yet); otherwise resolves once the connection is set up or the kubelet's answer relayed.
 */
export async function tunnelPortForward(
  req: IncomingMessage,
  target: URL,
  protocols: string[],
): Promise<void> {
  const client = req.socket;
  const upgraded = await requestSpdyUpgrade(client, target, protocols);
  if (!upgraded) return;
  const { upstream, answer } = upgraded;
  const switched =
    answer.status === 101 &&
    (answer.headers.get('upgrade') ?? '').toLowerCase().includes('spdy/3.1') &&
    (answer.headers.get('connection') ?? '').toLowerCase().includes('upgrade');
  if (!switched) {
    relayRefusal(client, upstream, answer);
    return;
  }
  const chosen = answer.headers.get('x-stream-protocol-version');
  acceptTunnel(req, client, upstream, chosen ? `${TUNNEL_PREFIX}${chosen}` : undefined, answer.rest);
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
