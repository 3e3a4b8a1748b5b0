// Decodes a Kubernetes protobuf message into the JSON object the same Go struct would marshal to.

import { K8tsError } from '../../errors.js';
import { type FieldSchema, type MessageSchema, messageSchema, type ValueType } from './schema.js';
import { formatDuration, formatTimestamp } from './timefmt.js';
import { ProtoReader, WireType } from './wire.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

// Nesting deeper than any real object has; a guard against hostile bodies.
const MAX_DEPTH = 64;

function malformed(message: string): K8tsError {
  return new K8tsError('BadRequest', `malformed protobuf body: ${message}`);
}

/** Decodes `bytes` as the table message `name` (e.g. `core.ConfigMap`). */
export function decodeMessage(bytes: Uint8Array, name: string): JsonObject {
  return readMessage(new ProtoReader(bytes), messageSchema(name), 0);
}

function readMessage(r: ProtoReader, schema: MessageSchema, depth: number): JsonObject {
  if (depth > MAX_DEPTH) throw malformed('objects nested too deeply');
  const out: JsonObject = {};
  const inlined: JsonObject[] = [];
  while (!r.done()) {
    const { num, wire } = r.tag();
    const field = schema.byNumber.get(num);
    if (!field) {
      r.skip(wire); // fields newer than our table, as Go's generated code does
      continue;
    }
    if (field.map) {
      const [key, value] = readMapEntry(r, wire, field, schema, depth);
      if (out[field.json] === undefined) out[field.json] = {};
      (out[field.json] as JsonObject)[key] = value;
    } else if (field.repeated) {
      if (out[field.json] === undefined) out[field.json] = [];
      const list = out[field.json] as Json[];
      if (wire === WireType.Bytes && isPackable(field.type)) {
        // packed repeated scalars: one length-delimited run of values
        const [start, end] = r.lengthDelimited();
        const sub = new ProtoReader(r.buf, start, end);
        const elementWire = field.type.kind === 'scalar' && field.type.scalar === 'double' ? 1 : 0;
        while (!sub.done()) list.push(readValue(sub, elementWire, field, schema, depth));
      } else {
        list.push(readValue(r, wire, field, schema, depth));
      }
    } else if (field.inline) {
      expectWire(wire, WireType.Bytes, field, schema);
      const [start, end] = r.lengthDelimited();
      const nested = field.type.kind === 'message' ? messageSchema(field.type.message) : undefined;
      if (!nested) throw malformed(`inline field ${schema.name}.${field.json} is not a message`);
      inlined.push(readMessage(new ProtoReader(r.buf, start, end), nested, depth + 1));
    } else {
      out[field.json] = readValue(r, wire, field, schema, depth);
    }
  }
  for (const field of schema.fields) {
    const value = out[field.json];
    if (value === undefined && isNullWhenUnset(field)) out[field.json] = null;
    else if (isDroppedZero(field, value)) delete out[field.json];
  }
  for (const extra of inlined) Object.assign(out, extra);
  return out;
}

function isPackable(t: ValueType): boolean {
  return t.kind === 'scalar' && t.scalar !== 'string' && t.scalar !== 'bytes';
}

function isBytes(field: FieldSchema): boolean {
  return field.type.kind === 'scalar' && field.type.scalar === 'bytes';
}

/** Go prints a nil pointer, slice ([]byte too) or map without omitempty as null. */
function isNullWhenUnset(field: FieldSchema): boolean {
  return field.required && !field.inline && (field.pointer || field.repeated || field.map || isBytes(field));
}

/** Go's omitempty: a zero value field that is neither a pointer nor required does not show in JSON. */
function isDroppedZero(field: FieldSchema, value: Json): boolean {
  if (value === undefined || field.repeated || field.map || field.pointer || field.required) return false;
  if (field.type.kind !== 'scalar') return false;
  return value === '' || value === 0 || value === false;
}

function expectWire(wire: number, want: number, field: FieldSchema, schema: MessageSchema): void {
  if (wire !== want) {
    throw malformed(`field ${schema.name}.${field.json} (#${field.num}) has wire type ${wire}, want ${want}`);
  }
}

function readValue(
  r: ProtoReader,
  wire: number,
  field: FieldSchema,
  schema: MessageSchema,
  depth: number,
): Json {
  const t = field.type;
  if (t.kind === 'scalar') {
    switch (t.scalar) {
      case 'string':
        expectWire(wire, WireType.Bytes, field, schema);
        return utf8(r.bytes());
      case 'bytes':
        expectWire(wire, WireType.Bytes, field, schema);
        return Buffer.from(r.bytes()).toString('base64');
      case 'bool':
        expectWire(wire, WireType.Varint, field, schema);
        return r.varint() !== 0n;
      case 'int32':
        expectWire(wire, WireType.Varint, field, schema);
        return Number(BigInt.asIntN(32, r.varint()));
      case 'int64':
        expectWire(wire, WireType.Varint, field, schema);
        return Number(BigInt.asIntN(64, r.varint()));
      case 'double':
        expectWire(wire, WireType.Fixed64, field, schema);
        return r.fixed64().getFloat64(0, true);
    }
  }
  expectWire(wire, WireType.Bytes, field, schema);
  const [start, end] = r.lengthDelimited();
  const sub = new ProtoReader(r.buf, start, end);
  if (t.kind === 'message') return readMessage(sub, messageSchema(t.message), depth + 1);
  switch (t.special) {
    case 'time':
    case 'microtime':
      return readTimestamp(sub, t.special === 'microtime');
    case 'duration':
      return formatDuration(readScalarFields(sub).get(1) ?? 0n);
    case 'quantity':
      return readStringField(sub, 1);
    case 'intorstring':
      return readIntOrString(sub);
    case 'raw':
    case 'fieldsv1':
      return embeddedJson(readBytesField(sub, 1), `${schema.name}.${field.json}`);
    case 'stringlist':
      return readStringList(sub);
  }
}

function readMapEntry(
  r: ProtoReader,
  wire: number,
  field: FieldSchema,
  schema: MessageSchema,
  depth: number,
): [string, Json] {
  expectWire(wire, WireType.Bytes, field, schema);
  const [start, end] = r.lengthDelimited();
  const entry = new ProtoReader(r.buf, start, end);
  let key = '';
  let value: Json;
  while (!entry.done()) {
    const tag = entry.tag();
    if (tag.num === 1) {
      expectWire(tag.wire, WireType.Bytes, field, schema);
      key = utf8(entry.bytes());
    } else if (tag.num === 2) {
      value = readValue(entry, tag.wire, field, schema, depth);
    } else {
      entry.skip(tag.wire);
    }
  }
  return [key, value === undefined ? zeroValue(field.type) : value];
}

/** What Go puts in a map entry whose value was left off the wire. */
function zeroValue(t: ValueType): Json {
  if (t.kind === 'message') return {};
  if (t.kind === 'special') return t.special === 'quantity' ? '0' : t.special === 'intorstring' ? 0 : null;
  return t.scalar === 'bool' ? false : t.scalar === 'string' || t.scalar === 'bytes' ? '' : 0;
}

/** Varint fields of a small fixed message (Timestamp, Duration, IntOrString), by number. */
function readScalarFields(r: ProtoReader): Map<number, bigint> {
  const values = new Map<number, bigint>();
  while (!r.done()) {
    const { num, wire } = r.tag();
    if (wire === WireType.Varint) values.set(num, r.varint());
    else r.skip(wire);
  }
  return values;
}

function readTimestamp(r: ProtoReader, micro: boolean): string | null {
  // Go marshals the zero time as an empty message, which reads back as the zero time: JSON null.
  if (r.done()) return null;
  const v = readScalarFields(r);
  const nanos = Number(BigInt.asIntN(32, v.get(2) ?? 0n));
  if (nanos < 0 || nanos > 999_999_999) throw malformed(`timestamp nanos ${nanos} out of range`);
  return formatTimestamp(BigInt.asIntN(64, v.get(1) ?? 0n), nanos, micro);
}

function readIntOrString(r: ProtoReader): number | string {
  let type = 0n;
  let intVal = 0;
  let strVal = '';
  while (!r.done()) {
    const { num, wire } = r.tag();
    if (num === 1 && wire === WireType.Varint) type = r.varint();
    else if (num === 2 && wire === WireType.Varint) intVal = Number(BigInt.asIntN(32, r.varint()));
    else if (num === 3 && wire === WireType.Bytes) strVal = utf8(r.bytes());
    else r.skip(wire);
  }
  return type === 1n ? strVal : intVal;
}

function readBytesField(r: ProtoReader, want: number): Uint8Array | undefined {
  let value: Uint8Array | undefined;
  while (!r.done()) {
    const { num, wire } = r.tag();
    if (num === want && wire === WireType.Bytes) value = r.bytes();
    else r.skip(wire);
  }
  return value;
}

/** ExtraValue: { repeated string items = 1 }; Go reads an empty one back as a nil slice (JSON null). */
function readStringList(r: ProtoReader): string[] | null {
  const items: string[] = [];
  while (!r.done()) {
    const { num, wire } = r.tag();
    if (num === 1 && wire === WireType.Bytes) items.push(utf8(r.bytes()));
    else r.skip(wire);
  }
  return items.length > 0 ? items : null;
}

function readStringField(r: ProtoReader, want: number): string {
  const b = readBytesField(r, want);
  return b ? utf8(b) : '';
}

/** RawExtension and FieldsV1 carry JSON text; Go marshals them verbatim (nil as null). */
function embeddedJson(bytes: Uint8Array | undefined, where: string): Json {
  if (!bytes || bytes.length === 0) return null;
  try {
    return JSON.parse(utf8(bytes));
  } catch {
    throw malformed(`${where} does not hold JSON`);
  }
}

// Not fatal: Go strings may hold any bytes, and Go's JSON encoder writes invalid UTF-8 as U+FFFD too.
const decoder = new TextDecoder('utf-8');

function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
