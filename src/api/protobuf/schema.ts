// Parses the compact field table (table.ts) into per-message schemas, lazily and once per message.

import { K8tsError } from '../../errors.js';
import { GROUPLESS_KINDS, KINDS, MESSAGES, PACKAGES } from './table.js';

export type ScalarType = 'string' | 'bool' | 'int32' | 'int64' | 'double' | 'bytes';
export type SpecialType =
  | 'time'
  | 'microtime'
  | 'duration'
  | 'quantity'
  | 'intorstring'
  | 'raw'
  | 'fieldsv1'
  | 'stringlist';

export type ValueType =
  | { kind: 'scalar'; scalar: ScalarType }
  | { kind: 'special'; special: SpecialType }
  | { kind: 'message'; message: string };

export interface FieldSchema {
  num: number;
  /** JSON field name (for inline fields, the Go field's protobuf name; it never shows in JSON). */
  json: string;
  type: ValueType;
  repeated: boolean;
  /** map<string, type>, entries on the wire as {key = 1, value = 2}. */
  map: boolean;
  /** Go pointer: only on the wire when set; a zero value is meaningful. */
  pointer: boolean;
  /** No omitempty: JSON shows a zero scalar, and an unset pointer/list/map as null. */
  required: boolean;
  /** `json:",inline"`: the nested message's fields live in the parent JSON object. */
  inline: boolean;
}

export interface MessageSchema {
  name: string;
  /** Ordered by field number, the order Go's marshaller writes them. */
  fields: readonly FieldSchema[];
  byNumber: ReadonlyMap<number, FieldSchema>;
}

const SCALARS = new Set<string>(['string', 'bool', 'int32', 'int64', 'double', 'bytes']);
const SPECIALS = new Set<string>([
  'time',
  'microtime',
  'duration',
  'quantity',
  'intorstring',
  'raw',
  'fieldsv1',
  'stringlist',
]);

const cache = new Map<string, MessageSchema>();

export function hasMessage(name: string): boolean {
  return Object.hasOwn(MESSAGES, name);
}

/** The schema of a message by table key (`alias.Name`); throws Internal for a name not in the table. */
export function messageSchema(name: string): MessageSchema {
  const hit = cache.get(name);
  if (hit) return hit;
  if (!hasMessage(name)) throw new K8tsError('Internal', `protobuf: no table entry for message ${name}`);
  const alias = name.slice(0, name.indexOf('.'));
  const fields = MESSAGES[name]
    .split(' ')
    .map((entry) => parseField(entry, alias, name))
    .sort((a, b) => a.num - b.num);
  const schema: MessageSchema = { name, fields, byNumber: new Map(fields.map((f) => [f.num, f])) };
  cache.set(name, schema);
  return schema;
}

function parseField(entry: string, alias: string, owner: string): FieldSchema {
  const [numText, json, typeText] = entry.split(':');
  let t = typeText ?? '';
  const inline = t.startsWith('^');
  if (inline) t = t.slice(1);
  let repeated = false;
  let map = false;
  if (t.startsWith('[]')) {
    repeated = true;
    t = t.slice(2);
  } else if (t.startsWith('{') && t.endsWith('}')) {
    map = true;
    t = t.slice(1, -1);
  }
  const required = t.endsWith('!');
  if (required) t = t.slice(0, -1);
  const pointer = t.endsWith('*');
  if (pointer) t = t.slice(0, -1);
  const num = Number(numText);
  if (!Number.isInteger(num) || num <= 0 || !json || !t) {
    throw new K8tsError('Internal', `protobuf: bad table entry '${entry}' in ${owner}`);
  }
  return { num, json, type: valueType(t, alias), repeated, map, pointer, required, inline };
}

function valueType(t: string, alias: string): ValueType {
  if (SCALARS.has(t)) return { kind: 'scalar', scalar: t as ScalarType };
  if (SPECIALS.has(t)) return { kind: 'special', special: t as SpecialType };
  return { kind: 'message', message: t.includes('.') ? t : `${alias}.${t}` };
}

/** The table message for a top-level apiVersion/kind, or undefined when k8ts has no table for it. */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  const alias = PACKAGES[apiVersion];
  if (alias !== undefined && KINDS[alias]?.includes(kind)) return `${alias}.${kind}`;
  if (Object.hasOwn(GROUPLESS_KINDS, kind)) return GROUPLESS_KINDS[kind];
  return undefined;
}
