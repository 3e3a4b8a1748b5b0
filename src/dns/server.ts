// The DNS server: UDP and TCP on one address and port, answering cluster names from a record source and
// forwarding every other name upstream (SERVFAIL when no upstream answers in time). UDP answers larger
// than the client can take (512 bytes, or its EDNS payload size) lose their additional records first, and
// if still too large go out truncated (TC) so the client retries over TCP (RFC 1035, 2181, 6891).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { Answer, DecodedPacket, Question } from 'dns-packet';
import * as packet from 'dns-packet';
import { consoleLogger, type Logger } from '../client/log.js';
import type { Forwarder } from './forward.js';
import type { Rcode, Reply } from './records.js';
import { encodeResponse, type Response } from './wire.js';

const FLAG_AA = 0x400;
const FLAG_TC = 0x200;
const FLAG_RD = 0x100;
const FLAG_RA = 0x80;
const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const OUR_EDNS_PAYLOAD = 1232;
const TCP_IDLE_MS = 10_000;

export interface RecordSource {
  lookup(q: Question): Reply;
}

export interface DnsServerOptions {
  host: string;
  /** 53 in a node; 0 picks a free port (tests). UDP and TCP use the same port. */
  port: number;
  records: RecordSource;
  forwarder: Forwarder;
  log?: Logger;
}

export interface DnsServerStats {
  queries: number;
  forwarded: number;
  servfail: number;
}

export class DnsServer {
  readonly stats: DnsServerStats = { queries: 0, forwarded: 0, servfail: 0 };
  private udp?: UdpSocket;
  private tcp?: Server;
  private readonly conns = new Set<Socket>();
  private readonly log: Logger;
  private boundPort = 0;
  private closed = false;

  constructor(private readonly opts: DnsServerOptions) {
    this.log = opts.log ?? consoleLogger;
  }

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.opts.host;
  }

  /**
   * Binds UDP, then TCP on the port UDP got (so port 0 means one free port for both). With port 0 the TCP
   * side of the port UDP got may be taken (another socket's ephemeral port): then another port is tried.
   */
  async listen(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bindBoth();
      } catch (err) {
        const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (this.opts.port !== 0 || !taken || attempt >= 10) throw err;
      }
    }
  }

  private async bindBoth(): Promise<void> {
    const udp = createSocket({ type: isIPv6(this.opts.host) ? 'udp6' : 'udp4' });
    udp.on('message', (msg, rinfo) => {
      this.handle(msg, false)
        .then((out) => {
          if (out && !this.closed) udp.send(out, rinfo.port, rinfo.address);
        })
        .catch((err) => this.log.warn('dns: answering a UDP query failed', { error: err }));
    });
    udp.bind(this.opts.port, this.opts.host);
    try {
      await Promise.race([once(udp, 'listening'), once(udp, 'error').then(([e]) => Promise.reject(e))]);
    } catch (err) {
      try {
        udp.close();
      } catch {
        // never bound: nothing to close
      }
      throw err;
    }
    udp.on('error', (err) => this.log.warn('dns: UDP socket error', { error: err }));
    const port = udp.address().port;
    const tcp = createServer((sock) => this.serveTcp(sock));
    tcp.listen(port, this.opts.host);
    try {
      await Promise.race([once(tcp, 'listening'), once(tcp, 'error').then(([e]) => Promise.reject(e))]);
    } catch (err) {
      udp.close();
      throw err;
    }
    this.udp = udp;
    this.tcp = tcp;
    this.boundPort = port;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.udp?.close();
    for (const c of this.conns) c.destroy();
    if (this.tcp) await new Promise((r) => this.tcp!.close(r));
  }

  private serveTcp(sock: Socket): void {
    this.conns.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        this.handle(msg, true)
          .then((out) => {
            if (!out || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            sock.write(Buffer.concat([len, out]));
          })
          .catch((err) => this.log.warn('dns: answering a TCP query failed', { error: err }));
      }
    });
  }

  /** The answer to one wire-format query, or undefined to stay silent (not a query at all). */
  async handle(msg: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    if (msg.length < 12 || msg[2] & 0x80) return undefined; // too short, or a response
    this.stats.queries++;
    let query: DecodedPacket;
    try {
      query = packet.decode(msg);
    } catch {
      return headerOnly(msg, RCODES.FORMERR);
    }
    const opcode = (query as { opcode?: string }).opcode;
    if (opcode !== 'QUERY') return headerOnly(msg, RCODES.NOTIMP);
    const q = query.questions?.[0];
    if (!q || query.questions!.length !== 1) return headerOnly(msg, RCODES.FORMERR);
    const reply = this.opts.records.lookup(q);
    if (reply.forward) return this.forward(msg, query, tcp);
    if (reply.chase) await this.chase(reply, q, query);
    if (reply.rcode === 'SERVFAIL') this.stats.servfail++;
    return this.encode(query, reply, tcp);
  }

  private async forward(msg: Buffer, query: DecodedPacket, tcp: boolean): Promise<Buffer> {
    this.stats.forwarded++;
    const answer = await this.opts.forwarder.forward(msg, tcp);
    if (answer) return answer;
    this.stats.servfail++;
    // With the question echoed: stub resolvers drop a SERVFAIL whose question does not match theirs.
    const fail: Reply = {
      forward: false,
      authoritative: false,
      rcode: 'SERVFAIL',
      answers: [],
      authorities: [],
      additionals: [],
    };
    return this.encode(query, fail, tcp);
  }

  /** An ExternalName's target outside the zone: ask upstream for it and add what it answers. */
  private async chase(reply: Reply, q: Question, query: DecodedPacket): Promise<void> {
    const sub = packet.encode({
      type: 'query',
      id: (query.id! ^ 0x5a5a) & 0xffff,
      flags: FLAG_RD,
      questions: [{ type: q.type, name: reply.chase!, class: 'IN' }],
    });
    const answer = await this.opts.forwarder.forward(sub, false);
    if (!answer) return;
    try {
      const decoded = packet.decode(answer);
      if ((decoded as { rcode?: string }).rcode === 'NOERROR') reply.answers.push(...(decoded.answers ?? []));
    } catch {
      // a malformed upstream answer adds nothing
    }
  }

  private encode(query: DecodedPacket, reply: Reply, tcp: boolean): Buffer {
    const rcode: Rcode = reply.rcode;
    const clientOpt = query.additionals?.find((a) => a.type === 'OPT') as
      | { udpPayloadSize?: number }
      | undefined;
    const additionals: Answer[] = [...reply.additionals];
    if (clientOpt)
      additionals.push({
        type: 'OPT',
        name: '.',
        udpPayloadSize: OUR_EDNS_PAYLOAD,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      } as Answer);
    const flags = (reply.authoritative ? FLAG_AA : 0) | (query.flags! & FLAG_RD) | FLAG_RA | RCODES[rcode];
    const out: Response = {
      id: query.id ?? 0,
      flags,
      questions: query.questions ?? [],
      answers: reply.answers,
      authorities: reply.authorities,
      additionals,
    };
    const buf = encodeResponse(out);
    const limit = tcp ? 65_535 : Math.max(512, Math.min(clientOpt?.udpPayloadSize ?? 512, OUR_EDNS_PAYLOAD));
    if (buf.length <= limit) return buf;
    // Additional records may be left out without saying so (RFC 2181 9): try without them first.
    const opt = clientOpt ? additionals.slice(-1) : [];
    const lean = encodeResponse({ ...out, additionals: opt });
    if (lean.length <= limit) return lean;
    // Too big for this transport: the header and question only, with TC set.
    return encodeResponse({
      ...out,
      flags: flags | FLAG_TC,
      answers: [],
      authorities: [],
      additionals: opt,
    });
  }
}

/** A reply carrying only the query's header with an rcode, for queries that could not be read. */
function headerOnly(msg: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  msg.copy(out, 0, 0, 2);
  const flags = msg.readUInt16BE(2);
  out.writeUInt16BE(0x8000 | (flags & 0x7800) | (flags & FLAG_RD) | FLAG_RA | rcode, 2);
  return out;
}
