// The Kubernetes protobuf envelope: the 4-byte magic `k8s\0`, then a runtime.Unknown message
// { typeMeta = 1 { apiVersion = 1, kind = 2 }, raw = 2 (the object's message), contentEncoding = 3,
//   contentType = 4 }.

import { K8tsError } from '../../errors.js';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { messageForKind } from './schema.js';
import { ProtoReader, ProtoWriter, WireType } from './wire.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** The object as its JSON form would have it, apiVersion and kind included. */
  object: Record<string, unknown>;
}

/** True for `application/vnd.kubernetes.protobuf` with or without parameters. */
export function isKubernetesProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

function malformed(message: string): K8tsError {
  return new K8tsError('BadRequest', `malformed protobuf body: ${message}`);
}

function readUnknown(body: Uint8Array): Unknown {
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  const out: Unknown = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  const r = new ProtoReader(body, PROTOBUF_MAGIC.length);
  while (!r.done()) {
    const { num, wire } = r.tag();
    if (num >= 1 && num <= 4 && wire !== WireType.Bytes)
      throw malformed(`envelope field ${num} has wire type ${wire}`);
    if (num === 1) {
      const [start, end] = r.lengthDelimited();
      const tm = new ProtoReader(body, start, end);
      while (!tm.done()) {
        const t = tm.tag();
        if (t.num === 1 && t.wire === WireType.Bytes) out.apiVersion = text(tm.bytes());
        else if (t.num === 2 && t.wire === WireType.Bytes) out.kind = text(tm.bytes());
        else tm.skip(t.wire);
      }
    } else if (num === 2) out.raw = r.bytes();
    else if (num === 3) out.contentEncoding = text(r.bytes());
    else if (num === 4) out.contentType = text(r.bytes());
    else r.skip(wire);
  }
  return out;
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the object's JSON form.
 * Throws BadRequest for a malformed body, UnsupportedMediaType for a kind k8ts has no table for.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedObject {
  if (
    body.length < PROTOBUF_MAGIC.length ||
    !PROTOBUF_MAGIC.equals(body.subarray(0, PROTOBUF_MAGIC.length))
  ) {
    throw malformed("missing the 'k8s\\0' prefix");
  }
  const env = readUnknown(body);
  if (!env.apiVersion || !env.kind) throw malformed('envelope has no apiVersion/kind');
  if (env.contentEncoding) {
    throw new K8tsError(
      'UnsupportedMediaType',
      `protobuf content encoding '${env.contentEncoding}' is not supported`,
    );
  }
  if (env.contentType && env.contentType !== PROTOBUF_MEDIA_TYPE) {
    throw new K8tsError(
      'UnsupportedMediaType',
      `protobuf envelope content type '${env.contentType}' is not supported`,
    );
  }
  const message = messageForKind(env.apiVersion, env.kind);
  if (!message) {
    throw new K8tsError(
      'UnsupportedMediaType',
      `${env.kind} in ${env.apiVersion} cannot be sent as protobuf to this server; send it as application/json`,
    );
  }
  const fields = decodeMessage(env.raw, message);
  const object = { apiVersion: env.apiVersion, kind: env.kind, ...fields };
  return { apiVersion: env.apiVersion, kind: env.kind, object };
}

/**
 * Encodes a JSON object (with apiVersion and kind) as a Kubernetes protobuf body, byte for byte
 * what Go clients send for the same object.
 */
export function encodeKubernetesProtobuf(obj: Record<string, unknown>): Buffer {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind) {
    throw new K8tsError('BadRequest', 'cannot encode as protobuf: object has no apiVersion/kind');
  }
  const message = messageForKind(apiVersion, kind);
  if (!message) throw new K8tsError('UnsupportedMediaType', `${kind} in ${apiVersion} has no protobuf table`);
  const typeMeta = new ProtoWriter();
  typeMeta.string(1, apiVersion);
  typeMeta.string(2, kind);
  const env = new ProtoWriter();
  env.bytes(1, typeMeta.finish());
  env.bytes(2, encodeMessage(obj, message));
  env.string(3, '');
  env.string(4, '');
  return Buffer.concat([PROTOBUF_MAGIC, env.finish()]);
}
