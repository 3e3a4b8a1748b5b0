// Protobuf wire format: a bounds-checked reader and an append-only writer.
// Varints are read as bigint so int64 values (and negative int32s, sent as 10-byte varints) are exact.

import { K8tsError } from '../../errors.js';

export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;

function malformed(message: string): K8tsError {
  return new K8tsError('BadRequest', `malformed protobuf body: ${message}`);
}

export class ProtoReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw malformed('varint longer than 10 bytes');
  }

  /** A varint known to be small (tags, lengths); rejects values past 2^31. */
  smallVarint(what: string): number {
    const v = this.varint();
    if (v > 0x7fffffffn) throw malformed(`${what} out of range`);
    return Number(v);
  }

  tag(): { num: number; wire: number } {
    const t = this.smallVarint('field tag');
    const num = t >>> 3;
    if (num === 0) throw malformed('field number 0');
    return { num, wire: t & 7 };
  }

  /** The [start, end) of a length-delimited value, advancing past it. */
  lengthDelimited(): [number, number] {
    const len = this.smallVarint('length');
    const start = this.pos;
    if (start + len > this.end) throw malformed('length past end of message');
    this.pos += len;
    return [start, start + len];
  }

  bytes(): Uint8Array {
    const [s, e] = this.lengthDelimited();
    return this.buf.subarray(s, e);
  }

  fixed64(): DataView {
    if (this.pos + 8 > this.end) throw malformed('truncated fixed64');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view;
  }

  skip(wire: number): void {
    switch (wire) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.fixed64();
        return;
      case WireType.Bytes:
        this.lengthDelimited();
        return;
      case WireType.Fixed32:
        if (this.pos + 4 > this.end) throw malformed('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw malformed(`unsupported wire type ${wire}`);
    }
  }
}

export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(part: Uint8Array): void {
    this.parts.push(part);
    this.length += part.length;
  }

  varint(value: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  tag(num: number, wire: number): void {
    this.varint((num << 3) | wire);
  }

  bytes(num: number, value: Uint8Array): void {
    this.tag(num, WireType.Bytes);
    this.varint(value.length);
    this.push(value);
  }

  string(num: number, value: string): void {
    this.bytes(num, Buffer.from(value, 'utf8'));
  }

  double(num: number, value: number): void {
    this.tag(num, WireType.Fixed64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.push(b);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}
