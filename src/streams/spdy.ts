// A minimal SPDY/3.1 client session, enough to drive the kubelet's remotecommand streams: opens streams with
// SYN_STREAM, sends DATA (FIN to half-close), answers PINGs and hands incoming DATA to its stream. Incoming
// header blocks (SYN_REPLY, HEADERS) are not read, so no inflater is kept. Outgoing header blocks are zlib
// streams of stored (uncompressed) blocks, each frame's ending with an empty one as zlib's sync flush does: the
// peer's reader takes a zlib stream without a preset dictionary, and each frame's block ends byte-aligned.
import type { Socket } from 'node:net';

const CONTROL = 0x8000;
const VERSION = 3;
const TYPE_SYN_STREAM = 1;
const TYPE_RST_STREAM = 3;
const TYPE_PING = 6;
const TYPE_GOAWAY = 7;
const FLAG_FIN = 0x01;
/** Largest DATA payload we send in one frame. */
const MAX_DATA = 32 * 1024;
/** Largest frame we accept (the protocol's 24-bit length allows 16 MiB). */
const MAX_FRAME = 16 * 1024 * 1024;

export interface SpdyStreamHandlers {
  onData(chunk: Buffer): void;
  /** The peer half-closed (FIN) or reset the stream. */
  onEnd(): void;
}

/** The uncompressed SPDY/3 name/value block: a count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const names = Object.keys(headers).sort();
  parts.push(u32(names.length));
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(headers[name], 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

const SYNC_FLUSH = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/** Stored deflate blocks (BFINAL=0), at most 65535 bytes each, then the sync-flush marker. */
export function storedBlocks(data: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let off = 0; off < data.length || off === 0; off += 0xffff) {
    const chunk = data.subarray(off, off + 0xffff);
    const head = Buffer.alloc(5);
    head[0] = 0x00;
    head.writeUInt16LE(chunk.length, 1);
    head.writeUInt16LE(~chunk.length & 0xffff, 3);
    out.push(head, chunk);
    if (data.length === 0) break;
  }
  // An empty stored block, as a sync flush ends: the peer's inflater hands out what it holds only on it.
  out.push(SYNC_FLUSH);
  return Buffer.concat(out);
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(CONTROL | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(payload.length, 4);
  head[4] = flags;
  return Buffer.concat([head, payload]);
}

function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(payload.length, 4);
  head[4] = flags;
  return Buffer.concat([head, payload]);
}

export class SpdyStream {
  private finished = false;
  constructor(
    private readonly session: SpdyClientSession,
    readonly id: number,
  ) {}
  write(data: Buffer): void {
    if (this.finished) return;
    for (let off = 0; off < data.length; off += MAX_DATA) {
      this.session.send(dataFrame(this.id, 0, data.subarray(off, off + MAX_DATA)));
    }
  }
  /** Half-closes our side: an empty DATA frame with FIN. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
  }
}

export class SpdyClientSession {
  private nextId = 1;
  private compressionStarted = false;
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStreamHandlers>();
  /** Called once when the connection ends or a protocol error closes it. */
  onClose: (err?: Error) => void = () => {};

  constructor(
    private readonly socket: Socket,
    early: Buffer = Buffer.alloc(0),
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.once('close', () => this.onClose());
    socket.on('error', () => {});
    if (early.length > 0) this.receive(early);
  }

  send(frame: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(frame);
  }

  /** Opens a stream with these headers (SYN_STREAM, not half-closed). */
  open(headers: Record<string, string>, handlers: SpdyStreamHandlers): SpdyStream {
    const id = this.nextId;
    this.nextId += 2;
    let block = storedBlocks(encodeHeaderBlock(headers));
    if (!this.compressionStarted) {
      // The zlib stream header (deflate, 32K window, no preset dictionary) precedes the first block only.
      block = Buffer.concat([Buffer.from([0x78, 0x01]), block]);
      this.compressionStarted = true;
    }
    const payload = Buffer.alloc(10);
    payload.writeUInt32BE(id, 0);
    payload.writeUInt32BE(0, 4);
    this.streams.set(id, handlers);
    this.send(controlFrame(TYPE_SYN_STREAM, 0, Buffer.concat([payload, block])));
    return new SpdyStream(this, id);
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 8) {
      const length = this.buf.readUInt32BE(4) & 0xffffff;
      if (length > MAX_FRAME) {
        this.socket.destroy();
        this.onClose(new Error(`SPDY frame of ${length} bytes`));
        return;
      }
      if (this.buf.length < 8 + length) return;
      const frame = this.buf.subarray(0, 8 + length);
      this.buf = this.buf.subarray(8 + length);
      this.handle(frame);
    }
  }

  private handle(frame: Buffer): void {
    const first = frame.readUInt32BE(0);
    const flags = frame[4];
    const payload = frame.subarray(8);
    if ((first & 0x80000000) === 0) {
      const s = this.streams.get(first & 0x7fffffff);
      if (!s) return;
      if (payload.length > 0) s.onData(payload);
      if (flags & FLAG_FIN) {
        this.streams.delete(first & 0x7fffffff);
        s.onEnd();
      }
      return;
    }
    const type = first & 0xffff;
    if (type === TYPE_PING) {
      this.send(controlFrame(TYPE_PING, 0, payload)); // echoed as is
    } else if (type === TYPE_RST_STREAM && payload.length >= 4) {
      const id = payload.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      this.streams.delete(id);
      s?.onEnd();
    } else if (type === TYPE_GOAWAY) {
      this.socket.end();
    } else if ((type === 2 || type === 8) && flags & FLAG_FIN && payload.length >= 4) {
      // SYN_REPLY / HEADERS with FIN: the peer will send nothing more on that stream.
      const id = payload.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      this.streams.delete(id);
      s?.onEnd();
    }
    // SETTINGS, WINDOW_UPDATE and the header blocks are not needed here.
  }
}
