// kubectl 1.30+ exec/attach/cp: remotecommand v5 over websocket (`v5.channel.k8s.io`), translated to SPDY towards
// the kubelet as upstream's API server does (its StreamTranslatorHandler): the runtime's streaming server
// (containerd 1.6) knows websocket only up to v4, and v4 cannot half-close stdin. Websocket messages carry a
// channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error (the exit Status), 4 resize, and in v5 255 = "close
// channel N" (stdin EOF). The SPDY side opens one stream per channel with upstream's `streamType` header.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { SpdyClientSession, type SpdyStream } from '../streams/spdy.js';
import { relayRefusal, requestSpdyUpgrade, upgradeHead } from '../streams/upgrade-proxy.js';

export const V5_PROTOCOL = 'v5.channel.k8s.io';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface TranslatedStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Whether the websocket offer includes v5 (which this API server translates). */
export function offersV5(req: IncomingMessage): boolean {
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .some((p) => p.trim() === V5_PROTOCOL);
}

/**
 * Opens a SPDY connection to the kubelet URL (protocol v4) and, once it switched protocols, accepts the
 * websocket as v5 and relays. Rejects when the kubelet cannot be reached (nothing written to the client yet).
 */
export async function translateExec(
  req: IncomingMessage,
  target: URL,
  streams: TranslatedStreams,
): Promise<void> {
  const client = req.socket;
  const upgraded = await requestSpdyUpgrade(client, target, ['v4.channel.k8s.io']);
  if (!upgraded) return;
  const { upstream, answer } = upgraded;
  if (answer.status !== 101) {
    relayRefusal(client, upstream, answer);
    return;
  }
  relay(req, client, upstream, answer.rest, streams);
}

function relay(
  req: IncomingMessage,
  client: Socket,
  kubelet: Socket,
  early: Buffer,
  want: TranslatedStreams,
): void {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: () => V5_PROTOCOL,
  });
  wss.handleUpgrade(req, client, upgradeHead(req), (ws) => {
    client.setNoDelay(true);
    const session = new SpdyClientSession(kubelet, early);
    const send = (channel: number, data: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true });
    };
    const noop = () => {};
    // The command is over once the error stream (its Status) and the output streams have ended: close then,
    // as upstream's client does, rather than wait for the runtime to drop the connection.
    let open = 0;
    const output = (channel: number) => {
      open++;
      return {
        onData: (d: Buffer) => send(channel, d),
        onEnd: () => {
          if (--open === 0) finish();
        },
      };
    };
    const finish = () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      session.close();
    };
    // Upstream's client opens the error stream first, then the others it needs; the server waits for them all.
    session.open({ streamtype: 'error' }, output(ERROR));
    const stdin: SpdyStream | undefined = want.stdin
      ? session.open({ streamtype: 'stdin' }, { onData: noop, onEnd: noop })
      : undefined;
    if (want.stdout) session.open({ streamtype: 'stdout' }, output(STDOUT));
    if (want.stderr && !want.tty) session.open({ streamtype: 'stderr' }, output(STDERR));
    const resize: SpdyStream | undefined = want.tty
      ? session.open({ streamtype: 'resize' }, { onData: noop, onEnd: noop })
      : undefined;
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary || data.length === 0) return;
      const channel = data[0];
      const body = data.subarray(1);
      if (channel === STDIN) stdin?.write(body);
      else if (channel === RESIZE) resize?.write(body);
      else if (channel === CLOSE && body[0] === STDIN) stdin?.end();
    });
    // The remote command ends with its Status on the error stream and the kubelet closing the connection.
    session.onClose = () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
    };
    ws.once('close', () => {
      session.close();
      wss.close();
    });
    ws.on('error', () => session.close());
    kubelet.resume();
  });
}
