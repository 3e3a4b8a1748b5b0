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

/** Opens a TCP connection to target's host and port; rejects when it cannot be reached. */
function connectTo(target: URL): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 80),
    });
    const failEarly = (err: Error) => reject(err);
    socket.once('error', failEarly);
    socket.once('connect', () => {
      socket.off('error', failEarly);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * Connects to target and forwards the upgrade request there. Resolves once connected (from then on the two
 * sockets are spliced and errors just close both); rejects when the target cannot be reached, before anything
 * was written to the client, so the caller can still answer with a Status.
 */
export async function proxyUpgrade(req: IncomingMessage, target: URL): Promise<void> {
  const client = req.socket;
  const head = upgradeHead(req);
  const upstream = await connectTo(target);
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
}

/** The longest response head waited for from the target of a SPDY upgrade. */
const MAX_HEADER_BYTES = 1 << 20;

/** The target's answer to a SPDY upgrade request: status, headers, the head's bytes and what followed it. */
export interface UpgradeAnswer {
  status: number;
  headers: Map<string, string>;
  head: Buffer;
  rest: Buffer;
}

/** Splits an HTTP response head off the bytes read so far, or undefined while incomplete. */
function splitHead(buf: Buffer): UpgradeAnswer | undefined {
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
 * Asks target for a SPDY/3.1 upgrade of its own (a POST offering `protocols`), on behalf of `client`, whose
 * request is answered in another protocol (the websocket translations of the API server). Resolves with the
 * paused target socket and its answer once the response head arrived. Rejects when the target cannot be
 * reached (nothing was written to the client yet). Resolves undefined when the connection failed later or
 * the head grew past 1 MiB: both sockets are closed then.
 */
export async function requestSpdyUpgrade(
  client: Socket,
  target: URL,
  protocols: string[],
): Promise<{ upstream: Socket; answer: UpgradeAnswer } | undefined> {
  const upstream = await connectTo(target);
  return new Promise((resolve) => {
    const closeBoth = () => {
      upstream.destroy();
      client.destroy();
      resolve(undefined);
    };
    upstream.once('error', closeBoth);
    const lines = [
      `POST ${target.pathname}${target.search} HTTP/1.1`,
      `Host: ${target.host}`,
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      ...protocols.map((p) => `X-Stream-Protocol-Version: ${p}`),
      'Content-Length: 0',
    ];
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const answer = splitHead(buf);
      if (!answer) {
        if (buf.length > MAX_HEADER_BYTES) closeBoth();
        return;
      }
      upstream.off('data', onData);
      upstream.pause();
      resolve({ upstream, answer });
    };
    upstream.on('data', onData);
  });
}

/**
 * The target did not switch protocols: its answer goes back to the client as it is (the client sees a
 * failed handshake), then the connection ends.
 */
export function relayRefusal(client: Socket, upstream: Socket, answer: UpgradeAnswer): void {
  client.write(answer.head);
  if (answer.rest.length > 0) client.write(answer.rest);
  upstream.pipe(client);
  upstream.resume();
  client.once('close', () => upstream.destroy());
}
