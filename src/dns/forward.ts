// Forwarding to the upstream resolvers (the host's resolv.conf nameservers): the client's query bytes go
// out unchanged on a fresh socket per query (so IDs of different clients never collide and a stray answer
// cannot be matched to the wrong query), one upstream after the other until one answers within the
// timeout. UDP queries go out over UDP, TCP ones over TCP (a truncated UDP answer is passed on as is; the
// client retries over TCP).
import { createSocket } from 'node:dgram';
import { isIPv6, Socket } from 'node:net';

export interface Upstream {
  address: string;
  port: number;
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Per upstream attempt (default 2 s, CoreDNS forward's read timeout). */
  timeoutMs?: number;
}

export class Forwarder {
  readonly upstreams: Upstream[];
  private readonly timeoutMs: number;

  constructor(opts: ForwarderOptions) {
    this.upstreams = opts.upstreams;
    this.timeoutMs = opts.timeoutMs ?? 2_000;
  }

  /** The upstream's answer to `query`, or undefined when none answered in time. */
  async forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    for (const up of this.upstreams) {
      try {
        const answer = await (tcp ? this.overTcp(query, up) : this.overUdp(query, up));
        if (answer && answer.length >= 12 && answer.readUInt16BE(0) === query.readUInt16BE(0)) return answer;
      } catch {
        // try the next upstream
      }
    }
    return undefined;
  }

  private overUdp(query: Buffer, up: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = createSocket(isIPv6(up.address) ? 'udp6' : 'udp4');
      const done = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        sock.close();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      sock.on('error', () => done(undefined));
      sock.on('message', (msg, rinfo) => {
        if (rinfo.port === up.port && msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0))
          done(msg);
      });
      sock.send(query, up.port, up.address);
    });
  }

  private overTcp(query: Buffer, up: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = new Socket();
      let buf = Buffer.alloc(0);
      const done = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      sock.on('error', () => done(undefined));
      sock.on('close', () => done(undefined));
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
          done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
      sock.connect(up.port, up.address, () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
    });
  }
}
