// The SPDY/3.1 client's wire format: header blocks as upstream lays them out, zlib streams that a standard
// inflater reads frame by frame (stored blocks ending in a sync flush), DATA framing with FIN, PING echo and
// stream dispatch of incoming DATA, SYN_REPLY FIN and RST_STREAM.
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { constants, createInflate } from 'node:zlib';
import { encodeHeaderBlock, SpdyClientSession, storedBlocks } from '../../src/streams/spdy.js';

/** A connected socket pair on loopback. */
async function socketPair(): Promise<{ a: Socket; b: Socket; close(): void }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const a = connect({ host: '127.0.0.1', port });
  const b = await accepted;
  return {
    a,
    b,
    close() {
      a.destroy();
      b.destroy();
      server.close();
    },
  };
}

function readFrames(sock: Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const frames: Buffer[] = [];
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 8) {
        const len = buf.readUInt32BE(4) & 0xffffff;
        if (buf.length < 8 + len) break;
        frames.push(buf.subarray(0, 8 + len));
        buf = buf.subarray(8 + len);
      }
      if (frames.length >= count) {
        sock.off('data', onData);
        resolve(frames);
      }
    };
    sock.on('data', onData);
  });
}

/** Inflates successive chunks of one zlib stream, each ended by a sync flush, as a SPDY peer does. */
function inflater() {
  const inf = createInflate({ finishFlush: constants.Z_SYNC_FLUSH });
  let out = Buffer.alloc(0);
  inf.on('data', (d: Buffer) => (out = Buffer.concat([out, d])));
  return (chunk: Buffer) =>
    new Promise<Buffer>((resolve) => {
      inf.write(chunk);
      inf.flush(constants.Z_SYNC_FLUSH, () => {
        const r = out;
        out = Buffer.alloc(0);
        resolve(r);
      });
    });
}

describe('SPDY/3.1 client session', () => {
  it('encodes header blocks with lowercase names, sorted, 32-bit lengths', () => {
    const block = encodeHeaderBlock({ streamType: 'error', Port: '80' });
    assert.equal(block.readUInt32BE(0), 2);
    assert.equal(block.toString('latin1', 8, 12), 'port');
    assert.equal(block.readUInt32BE(12), 2);
    assert.equal(block.toString('latin1', 16, 18), '80');
    assert.equal(block.readUInt32BE(18), 10);
    assert.equal(block.toString('latin1', 22, 32), 'streamtype');
  });

  it('stored blocks carry data of any size and end with a sync flush', () => {
    const big = Buffer.alloc(70_000, 7);
    const blocks = storedBlocks(big);
    assert.equal(blocks.length, 70_000 + 5 * 2 + 5);
    assert.deepEqual([...blocks.subarray(-5)], [0, 0, 0, 0xff, 0xff]);
  });

  it('opens streams whose header blocks a zlib inflater reads frame by frame, and frames DATA', async () => {
    const { a, b, close } = await socketPair();
    try {
      const session = new SpdyClientSession(a);
      const got = readFrames(b, 4);
      const s1 = session.open({ streamtype: 'error' }, { onData() {}, onEnd() {} });
      const s3 = session.open({ streamtype: 'stdin' }, { onData() {}, onEnd() {} });
      s3.write(Buffer.from('hello'));
      s3.end();
      assert.equal(s1.id, 1);
      assert.equal(s3.id, 3);
      const [syn1, syn3, data, fin] = await got;
      const inflate = inflater();
      for (const [frame, id, type] of [
        [syn1, 1, 'error'],
        [syn3, 3, 'stdin'],
      ] as const) {
        assert.equal(frame.readUInt16BE(0), 0x8003); // control, version 3
        assert.equal(frame.readUInt16BE(2), 1); // SYN_STREAM
        assert.equal(frame.readUInt32BE(8), id);
        const headers = await inflate(frame.subarray(18));
        assert.deepEqual(headers, encodeHeaderBlock({ streamtype: type }));
      }
      assert.equal(data.readUInt32BE(0), 3);
      assert.equal(data[4], 0);
      assert.equal(data.subarray(8).toString(), 'hello');
      assert.equal(fin.readUInt32BE(0), 3);
      assert.equal(fin[4], 1); // FIN
      assert.equal(fin.length, 8);
    } finally {
      close();
    }
  });

  it('hands DATA to its stream, ends streams on FIN or RST_STREAM, and echoes PING', async () => {
    const { a, b, close } = await socketPair();
    try {
      const session = new SpdyClientSession(a);
      const seen: string[] = [];
      session.open(
        { streamtype: 'stdout' },
        { onData: (d) => seen.push(`1:${d}`), onEnd: () => seen.push('1:end') },
      );
      session.open(
        { streamtype: 'stderr' },
        { onData: (d) => seen.push(`3:${d}`), onEnd: () => seen.push('3:end') },
      );
      await readFrames(b, 2);
      const data = (id: number, flags: number, text: string) => {
        const h = Buffer.alloc(8);
        h.writeUInt32BE(id, 0);
        h.writeUInt32BE(text.length, 4);
        h[4] = flags;
        return Buffer.concat([h, Buffer.from(text)]);
      };
      const control = (type: number, payload: Buffer) => {
        const h = Buffer.alloc(8);
        h.writeUInt16BE(0x8003, 0);
        h.writeUInt16BE(type, 2);
        h.writeUInt32BE(payload.length, 4);
        return Buffer.concat([h, payload]);
      };
      const rst = Buffer.alloc(8);
      rst.writeUInt32BE(3, 0);
      rst.writeUInt32BE(5, 4);
      const ping = Buffer.from([0, 0, 0, 2]);
      const echoed = readFrames(b, 1);
      // One write split mid-frame, to exercise reassembly.
      const all = Buffer.concat([
        data(1, 0, 'out'),
        data(3, 0, 'err'),
        data(1, 1, '!'),
        control(3, rst),
        control(6, ping),
      ]);
      b.write(all.subarray(0, 5));
      b.write(all.subarray(5));
      const [pong] = await echoed;
      assert.equal(pong.readUInt16BE(2), 6);
      assert.deepEqual([...pong.subarray(8)], [0, 0, 0, 2]);
      assert.deepEqual(seen, ['1:out', '3:err', '1:!', '1:end', '3:end']);
    } finally {
      close();
    }
  });
});
