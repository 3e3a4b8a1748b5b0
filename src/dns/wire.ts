// Response encoding with name compression (RFC 1035 4.1.4). dns-packet writes every name in full, so a
// headless Service with ten endpoints (ten A records owned by one long name) would already overflow a
// 512-byte UDP answer; here every owner name after the first is a two-byte pointer. Record data comes from
// dns-packet's per-type encoders, with the names in CNAME, PTR, NS, SOA and SRV data compressed too (SRV
// targets as CoreDNS's miekg/dns does: RFC 2782 says not to, every stub resolver reads them anyway, and the
// additional records then point at them).

import type { Answer, Question } from 'dns-packet';
import * as packet from 'dns-packet';

interface RecordCodec {
  encode(data: unknown, buf?: Buffer, offset?: number): Buffer;
}
interface Codecs {
  record(type: string): RecordCodec;
  answer: { encode(a: Answer): Buffer };
}
const codecs = packet as unknown as Codecs;

const CLASS_IN = 1;
const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 };
const CLASSES: Record<string, number> = { IN: 1, CS: 2, CH: 3, HS: 4, ANY: 255 };

export interface Response {
  id: number;
  /** Header flags without QR (set here). */
  flags: number;
  questions: Question[];
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

class Writer {
  private readonly parts: Buffer[] = [];
  private readonly names = new Map<string, number>();
  length = 0;

  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }

  u16(n: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    this.push(b);
  }

  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.push(b);
  }

  /** A name, ending in a pointer to an earlier occurrence of its longest known suffix. */
  name(name: string): void {
    const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.names.get(suffix);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x3fff) this.names.set(suffix, this.length);
      const label = Buffer.from(labels[i]);
      this.push(Buffer.from([label.length]));
      this.push(label);
    }
    this.push(Buffer.from([0]));
  }

  /** Record data with its length, compressing the names in the types whose data are names. */
  rdata(a: Answer): void {
    const lenAt = this.parts.length;
    this.u16(0);
    const start = this.length;
    const d = (a as { data: any }).data;
    switch (a.type) {
      case 'CNAME':
      case 'PTR':
      case 'NS':
        this.name(d);
        break;
      case 'SRV':
        this.u16(d.priority ?? 0);
        this.u16(d.weight ?? 0);
        this.u16(d.port ?? 0);
        this.name(d.target);
        break;
      case 'SOA':
        this.name(d.mname);
        this.name(d.rname);
        for (const k of ['serial', 'refresh', 'retry', 'expire', 'minimum']) this.u32(d[k] ?? 0);
        break;
      default: {
        const enc = codecs.record(a.type).encode(d);
        this.push(enc.subarray(2)); // its own length prefix is replaced by ours
      }
    }
    this.parts[lenAt].writeUInt16BE(this.length - start);
  }

  rr(a: Answer): void {
    if (a.type === 'OPT') {
      this.push(codecs.answer.encode(a));
      return;
    }
    const r = a as Answer & { ttl?: number; class?: string };
    this.name(r.name);
    this.u16(TYPES[r.type] ?? typeNumber(r.type));
    this.u16(CLASSES[r.class ?? 'IN'] ?? CLASS_IN);
    this.u32(r.ttl ?? 0);
    this.rdata(a);
  }

  done(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

/** Type numbers dns-packet knows but the table above does not (answers relayed from upstream). */
function typeNumber(type: string): number {
  const q = packet.encode({
    type: 'query',
    id: 0,
    questions: [{ type: type as Question['type'], name: '.' }],
  });
  return q.readUInt16BE(q.length - 4);
}

export function encodeResponse(r: Response): Buffer {
  const w = new Writer();
  w.u16(r.id);
  w.u16(0x8000 | (r.flags & 0x7fff));
  w.u16(r.questions.length);
  w.u16(r.answers.length);
  w.u16(r.authorities.length);
  w.u16(r.additionals.length);
  for (const q of r.questions) {
    w.name(q.name);
    w.u16(TYPES[q.type] ?? typeNumber(q.type));
    w.u16(CLASSES[q.class ?? 'IN'] ?? CLASS_IN);
  }
  for (const a of r.answers) w.rr(a);
  for (const a of r.authorities) w.rr(a);
  for (const a of r.additionals) w.rr(a);
  return w.done();
}
