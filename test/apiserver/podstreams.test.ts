// exec, attach and port-forward through an in-process API server and a real kubelet server to a fake runtime
// streaming server on loopback (it answers 101 and echoes): validation with upstream's messages, the kubelet
// query, raw splicing after the upgrade, kubelet errors passed through, and the SPDY-in-websocket tunnel.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { type KubeletServer, startKubeletServer } from '../../src/kubelet/server.js';
import { type StreamOptions, StreamRequestError } from '../../src/kubelet/streams.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';

const NS = '/api/v1/namespaces/default/pods';

/** Reads from a socket until the HTTP head is complete; returns the head and what followed it. */
function readHead(sock: Socket): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      sock.pause();
      resolve({ head: buf.subarray(0, end).toString('latin1'), rest: buf.subarray(end + 4) });
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.once('end', () => reject(new Error(`connection ended after ${JSON.stringify(buf.toString())}`)));
  });
}

function readBytes(sock: Socket, n: number, already: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = already;
    if (buf.length >= n) return resolve(buf);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= n) {
        sock.off('data', onData);
        resolve(buf);
      }
    };
    sock.on('data', onData);
    sock.resume();
    sock.once('error', reject);
  });
}

/** Opens a raw connection and sends a request head. */
async function rawRequest(port: number, lines: string[]): Promise<Socket> {
  const sock = connect({ host: '127.0.0.1', port });
  await new Promise((r) => sock.once('connect', r));
  sock.write(`${lines.join('\r\n')}\r\n\r\n`);
  return sock;
}

/**
 * A remotecommand v4 server over SPDY, scripted: once the error, stdin, stdout and stderr streams are open and
 * stdin has ended, it writes `echo:<stdin>` on stdout, a failure Status on the error stream and hangs up.
 */
function scriptedPeer(sock: Socket, early: Buffer): void {
  let buf = early;
  const streams = new Map<string, number>();
  let stdin = '';
  const frame = (id: number, flags: number, data: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id, 0);
    h.writeUInt32BE(data.length, 4);
    h[4] = flags;
    return Buffer.concat([h, data]);
  };
  const onFrame = (f: Buffer) => {
    const first = f.readUInt32BE(0);
    if (first & 0x80000000) {
      if ((first & 0xffff) !== 1) return;
      // SYN_STREAM: the stored-block header block names the stream type.
      const text = f.toString('latin1');
      const at = text.indexOf('streamtype') + 'streamtype'.length;
      const type = text.slice(at + 4, at + 4 + f.readUInt32BE(at));
      streams.set(type, f.readUInt32BE(8));
      return;
    }
    if ((first & 0x7fffffff) !== streams.get('stdin')) return;
    stdin += f.subarray(8).toString();
    if (f[4] & 1) {
      sock.write(frame(streams.get('stdout')!, 0, Buffer.from(`echo:${stdin}`)));
      const status = {
        metadata: {},
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      };
      sock.write(frame(streams.get('error')!, 1, Buffer.from(JSON.stringify(status))));
      sock.end();
    }
  };
  const onData = (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4) & 0xffffff;
      if (buf.length < 8 + len) return;
      onFrame(buf.subarray(0, 8 + len));
      buf = buf.subarray(8 + len);
    }
  };
  sock.on('data', onData);
  sock.resume();
  onData(Buffer.alloc(0));
}

describe('pods/exec, attach, portforward', () => {
  let t: TestApi;
  let kubelet: KubeletServer;
  let runtime: Server;
  let runtimePort = 0;
  const runtimeHeads: string[] = [];
  const calls: { kind: string; args: unknown[] }[] = [];
  const sockets = new Set<Socket>();
  let apiPort = 0;

  before(async () => {
    // The fake runtime streaming server: 101 with the first offered protocol, then an echo.
    runtime = createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      readHead(sock).then(
        ({ head, rest }) => {
          runtimeHeads.push(head);
          const offered = /X-Stream-Protocol-Version: (\S+)/i.exec(head)?.[1] ?? '';
          sock.write(
            `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${offered}\r\n\r\n`,
          );
          if (head.startsWith('POST /exec/script ')) {
            scriptedPeer(sock, rest);
            return;
          }
          if (rest.length > 0) sock.write(rest);
          sock.pipe(sock);
          sock.resume();
        },
        () => sock.destroy(),
      );
    });
    await new Promise<void>((r) => runtime.listen(0, '127.0.0.1', () => r()));
    runtimePort = (runtime.address() as { port: number }).port;
    kubelet = await startKubeletServer({
      host: '127.0.0.1',
      port: 0,
      logs: { resolve: async () => undefined },
      streams: {
        async execOrAttach(
          ns: string,
          pod: string,
          container: string,
          cmd: string[] | undefined,
          opts: StreamOptions,
        ) {
          calls.push({ kind: cmd ? 'exec' : 'attach', args: [ns, pod, container, cmd, opts] });
          if (container === 'side') throw new StreamRequestError(404, 'container not found ("side")');
          return `http://127.0.0.1:${runtimePort}/exec/${cmd?.[0] === 'script' ? 'script' : 'tok1'}`;
        },
        async portForward(ns: string, pod: string, ports: number[]) {
          calls.push({ kind: 'portforward', args: [ns, pod, ports] });
          return `http://127.0.0.1:${runtimePort}/portforward/tok2`;
        },
      },
    });
    t = await startTestApi();
    apiPort = Number(new URL(t.url).port);
    const node = await t.req('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
    });
    await t.req('PUT', '/api/v1/nodes/n1/status', {
      ...node.body,
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
      },
    });
    for (const name of ['web', 'pending']) {
      await t.req('POST', NS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          containers: [
            { name: 'app', image: 'busybox' },
            { name: 'side', image: 'busybox' },
          ],
        },
      });
    }
    await t.req('POST', `${NS}/web/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'web' },
      target: { kind: 'Node', name: 'n1' },
    });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await t.close();
    await kubelet.close();
    await new Promise((r) => runtime.close(r));
  });

  const spdyHead = (path: string, method = 'POST') => [
    `${method} ${path} HTTP/1.1`,
    'Host: api',
    'Authorization: Bearer secret',
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    'X-Stream-Protocol-Version: v4.channel.k8s.io',
    'X-Stream-Protocol-Version: channel.k8s.io',
  ];

  it('proxies a SPDY exec to the runtime and splices bytes both ways', async () => {
    calls.length = 0;
    runtimeHeads.length = 0;
    const sock = await rawRequest(
      apiPort,
      spdyHead(
        `${NS}/web/exec?command=sh&command=-c&command=exit+3&container=app&stdin=true&stdout=true&stderr=true`,
      ),
    );
    const { head, rest } = await readHead(sock);
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /X-Stream-Protocol-Version: v4\.channel\.k8s\.io/);
    sock.write('spdy frames');
    const echoed = await readBytes(sock, 11, rest);
    assert.equal(echoed.toString(), 'spdy frames');
    sock.destroy();
    assert.deepEqual(calls, [
      {
        kind: 'exec',
        args: [
          'default',
          'web',
          'app',
          ['sh', '-c', 'exit 3'],
          { stdin: true, stdout: true, stderr: true, tty: false },
        ],
      },
    ]);
    assert.match(runtimeHeads[0], /^POST \/exec\/tok1 HTTP\/1\.1/);
    assert.doesNotMatch(runtimeHeads[0], /Authorization/i, 'credentials are not forwarded');
  });

  it('attach with a TTY drops stderr, as upstream', async () => {
    calls.length = 0;
    const sock = await rawRequest(
      apiPort,
      spdyHead(`${NS}/web/attach?container=app&stdin=1&stdout=1&stderr=1&tty=1`),
    );
    const { head } = await readHead(sock);
    sock.destroy();
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.deepEqual(calls[0], {
      kind: 'attach',
      args: ['default', 'web', 'app', undefined, { stdin: true, stdout: true, stderr: false, tty: true }],
    });
  });

  it('answers upstream errors as Status before any upgrade', async () => {
    const cases: [string, number, RegExp][] = [
      [
        `${NS}/web/exec?command=ls&stdout=true`,
        400,
        /a container name must be specified for pod web, choose one of: \[app side\]/,
      ],
      [
        `${NS}/web/exec?command=ls&container=nope&stdout=true`,
        400,
        /container nope is not valid for pod web/,
      ],
      [`${NS}/web/exec?container=app&stdout=true`, 400, /at least one command/],
      [`${NS}/web/exec?command=ls&container=app`, 400, /at least 1 of stdin, stdout, stderr/],
      [
        `${NS}/pending/exec?command=ls&container=app&stdout=true`,
        400,
        /pod pending does not have a host assigned/,
      ],
      [`${NS}/missing/exec?command=ls&stdout=true`, 404, /pods "missing" not found/],
    ];
    for (const [path, code, msg] of cases) {
      const sock = await rawRequest(apiPort, spdyHead(path));
      const { head, rest } = await readHead(sock);
      assert.match(head, new RegExp(`^HTTP/1\\.1 ${code} `), path);
      const body = await new Promise<string>((resolve) => {
        let b = rest.toString();
        sock.on('data', (c: Buffer) => (b += c.toString()));
        sock.once('close', () => resolve(b));
        sock.resume();
      });
      const status = JSON.parse(body);
      assert.equal(status.kind, 'Status');
      assert.equal(status.code, code);
      assert.match(status.message, msg, path);
    }
    // Without an upgrade: a plain request is refused.
    const plain = await t.req('POST', `${NS}/web/exec?command=ls&container=app&stdout=true`);
    assert.equal(plain.status, 400);
    assert.equal(plain.body.message, 'Upgrade request required');
  });

  it("passes the kubelet's own error through", async () => {
    const sock = await rawRequest(apiPort, spdyHead(`${NS}/web/exec?command=ls&container=side&stdout=true`));
    const { head, rest } = await readHead(sock);
    assert.match(head, /^HTTP\/1\.1 404 /);
    const body = await readBytes(sock, 1, rest);
    assert.match(body.toString(), /container not found \("side"\)/);
    sock.destroy();
  });

  it('translates websocket v5 to SPDY: channels, stdin close signal, the exit Status', async () => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${apiPort}${NS}/web/exec?command=script&container=app&stdin=true&stdout=true&stderr=true`,
      ['v5.channel.k8s.io'],
    );
    const messages: string[] = [];
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (d: Buffer) => messages.push(`${d[0]}:${d.subarray(1).toString()}`));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('typed')]));
    ws.send(Buffer.from([255, 0])); // v5: close stdin
    assert.equal(await closed, 1000);
    assert.equal(messages[0], '1:echo:typed');
    assert.match(messages[1], /^3:.*"reason":"NonZeroExitCode".*"message":"3"/);
    assert.equal(messages.length, 2);
  });

  it('tunnels SPDY in a websocket for port-forward (kubectl 1.31+)', async () => {
    calls.length = 0;
    runtimeHeads.length = 0;
    const key = Buffer.from('0123456789abcdef').toString('base64');
    const sock = await rawRequest(apiPort, [
      `GET ${NS}/web/portforward?ports=8080 HTTP/1.1`,
      'Host: api',
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io',
    ]);
    const { head, rest } = await readHead(sock);
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /Sec-WebSocket-Protocol: SPDY\/3\.1\+portforward\.k8s\.io/i);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    assert.match(head, new RegExp(`Sec-WebSocket-Accept: ${accept.replace(/[+/]/g, '\\$&')}`, 'i'));
    // The kubelet got a SPDY upgrade for the negotiated protocol and the port.
    assert.deepEqual(calls, [{ kind: 'portforward', args: ['default', 'web', [8080]] }]);
    assert.match(runtimeHeads[0], /^POST \/portforward\/tok2 HTTP\/1\.1/);
    assert.match(runtimeHeads[0], /Upgrade: SPDY\/3\.1/);
    assert.match(runtimeHeads[0], /X-Stream-Protocol-Version: portforward\.k8s\.io/);
    // A masked binary frame (zero mask) carries bytes; the echo comes back as an unmasked binary frame.
    const payload = Buffer.from('spdy in ws');
    sock.write(Buffer.concat([Buffer.from([0x82, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
    const frame = await readBytes(sock, 2 + payload.length, rest);
    assert.equal(frame[0], 0x82);
    assert.equal(frame[1], payload.length);
    assert.equal(frame.subarray(2, 2 + payload.length).toString(), 'spdy in ws');
    sock.destroy();
  });
});
