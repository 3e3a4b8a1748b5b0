// Encodes a JSON object as a Kubernetes protobuf message, the way Go's generated marshallers do:
// fields by number, value (non-pointer) fields always written (zero when absent), pointer and
// []byte fields only when set, repeated scalars unpacked, map entries sorted by key.

import { K8tsError } from '../../errors.js';
import { type FieldSchema, type MessageSchema, messageSchema, type ValueType } from './schema.js';
import { parseDuration, parseTimestamp } from './timefmt.js';
import { ProtoWriter, WireType } from './wire.js';

type JsonObject = Record<string, unknown>;

function invalid(path: string, message: string): K8tsError {
  return new K8tsError('BadRequest', `cannot encode ${path} as protobuf: ${message}`);
}

/** Encodes `obj` as the table message `name` (e.g. `core.ConfigMap`). */
export function encodeMessage(obj: JsonObject, name: string): Buffer {
  return writeMessage(obj, messageSchema(name), name);
}

function writeMessage(obj: JsonObject, schema: MessageSchema, path: string): Buffer {
  const w = new ProtoWriter();
  for (const field of schema.fields) {
    const at = `${path}.${field.json}`;
    if (field.inline) {
      // the embedded struct's fields sit in this same JSON object
      if (field.type.kind !== 'message') throw invalid(at, 'inline field is not a message');
      w.bytes(field.num, writeMessage(obj, messageSchema(field.type.message), path));
      continue;
    }
    const value = obj[field.json];
    if (field.map) {
      if (value === undefined || value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(at, 'expected an object');
      const entries = value as JsonObject;
      for (const key of Object.keys(entries).sort(compareUtf8)) {
        const entry = new ProtoWriter();
        entry.string(1, key);
        writeValue(entry, 2, entries[key], field, `${at}[${key}]`);
        w.bytes(field.num, entry.finish());
      }
    } else if (field.repeated) {
      if (value === undefined || value === null) continue;
      if (!Array.isArray(value)) throw invalid(at, 'expected an array');
      value.forEach((item, i) => {
        writeValue(w, field.num, item, field, `${at}[${i}]`);
      });
    } else if (value === undefined || value === null) {
      // a nil []byte is left out like a nil pointer
      const nullable = field.pointer || (field.type.kind === 'scalar' && field.type.scalar === 'bytes');
      if (!nullable) writeValue(w, field.num, zeroJson(field.type), field, at);
    } else {
      writeValue(w, field.num, value, field, at);
    }
  }
  return w.finish();
}

/** The JSON form of a Go zero value: Go writes value fields even when they hold it. */
function zeroJson(t: ValueType): unknown {
  if (t.kind === 'message') return {};
  if (t.kind === 'special') {
    // zero Time, nil RawExtension/FieldsV1 marshal to an empty message, as null does here
    if (t.special === 'quantity') return '0';
    if (t.special === 'duration') return '0s';
    return t.special === 'intorstring' ? 0 : null;
  }
  if (t.scalar === 'bool') return false;
  return t.scalar === 'string' || t.scalar === 'bytes' ? '' : 0;
}

function writeValue(w: ProtoWriter, num: number, value: unknown, field: FieldSchema, at: string): void {
  const t = field.type;
  if (t.kind === 'message') {
    const obj = value === null ? {} : value;
    if (typeof obj !== 'object' || Array.isArray(obj)) throw invalid(at, 'expected an object');
    w.bytes(num, writeMessage(obj as JsonObject, messageSchema(t.message), at));
  } else if (t.kind === 'special') {
    w.bytes(num, specialBytes(t.special, value, at));
  } else if (t.scalar === 'string') {
    if (typeof value !== 'string') throw invalid(at, 'expected a string');
    w.string(num, value);
  } else if (t.scalar === 'bytes') {
    if (typeof value !== 'string') throw invalid(at, 'expected a base64 string');
    w.bytes(num, Buffer.from(value, 'base64'));
  } else if (t.scalar === 'bool') {
    if (typeof value !== 'boolean') throw invalid(at, 'expected a boolean');
    w.tag(num, WireType.Varint);
    w.varint(value ? 1 : 0);
  } else if (t.scalar === 'double') {
    if (typeof value !== 'number') throw invalid(at, 'expected a number');
    w.double(num, value);
  } else {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(at, 'expected an integer');
    w.tag(num, WireType.Varint);
    w.varint(value);
  }
}

function specialBytes(special: string, value: unknown, at: string): Uint8Array {
  const w = new ProtoWriter();
  switch (special) {
    case 'time':
    case 'microtime': {
      if (value === null) break;
      if (typeof value !== 'string') throw invalid(at, 'expected an RFC 3339 time');
      const { seconds, nanos } = parseTimestamp(value);
      w.tag(1, WireType.Varint);
      w.varint(seconds);
      w.tag(2, WireType.Varint);
      w.varint(nanos);
      break;
    }
    case 'duration':
      if (typeof value !== 'string') throw invalid(at, 'expected a duration string');
      w.tag(1, WireType.Varint);
      w.varint(parseDuration(value));
      break;
    case 'quantity':
      if (typeof value !== 'string' && typeof value !== 'number') throw invalid(at, 'expected a quantity');
      w.string(1, String(value));
      break;
    case 'intorstring': {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
        throw invalid(at, 'expected an integer or a string');
      }
      const isString = typeof value === 'string';
      w.tag(1, WireType.Varint);
      w.varint(isString ? 1 : 0);
      w.tag(2, WireType.Varint);
      w.varint(isString ? 0 : value);
      w.string(3, isString ? value : '');
      break;
    }
    case 'raw':
    case 'fieldsv1':
      if (value !== null) w.bytes(1, Buffer.from(JSON.stringify(value), 'utf8'));
      break;
    case 'stringlist':
      if (value === null) break;
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw invalid(at, 'expected a list of strings');
      }
      for (const item of value) w.string(1, item);
      break;
    default:
      throw invalid(at, `unknown special type ${special}`);
  }
  return w.finish();
}

/** Go sorts map keys as byte strings; UTF-16 order differs from UTF-8 order only past the BMP. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
