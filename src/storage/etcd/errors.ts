// Maps gRPC / etcd failures onto the error catalog. etcd reports its own errors as gRPC statuses whose
// details carry a stable "etcdserver: ..." / "mvcc: ..." message; we key on those texts.

import { status } from '@grpc/grpc-js';
import { K8tsError } from '../../errors.js';

interface GrpcLikeError {
  code?: number;
  details?: string;
  message?: string;
}

/** Errors that mean "the cluster could not be reached or could not serve the request right now". */
const UNAVAILABLE_TEXTS = [
  'no leader',
  'leader changed',
  'request timed out',
  'timed out',
  'not capable',
  'server stopped',
  'too many requests',
];

export function fromGrpcError(err: unknown): K8tsError {
  if (err instanceof K8tsError) return err;
  const e = (err ?? {}) as GrpcLikeError;
  const text = e.details || e.message || String(err);
  if (text.includes('required revision has been compacted')) {
    return new K8tsError('Compacted', `etcd: ${text}`);
  }
  if (text.includes('required revision is a future revision')) {
    return new K8tsError('FutureRevision', `etcd: ${text}`);
  }
  if (text.includes('request is too large') || e.code === status.RESOURCE_EXHAUSTED) {
    return new K8tsError('ValueTooLarge', `etcd refused the request as too large: ${text}`);
  }
  if (
    e.code === status.UNAVAILABLE ||
    e.code === status.DEADLINE_EXCEEDED ||
    e.code === status.CANCELLED ||
    UNAVAILABLE_TEXTS.some((t) => text.includes(t))
  ) {
    return new K8tsError('StoreUnavailable', `etcd is unavailable: ${text}`);
  }
  return new K8tsError('Internal', `etcd request failed: ${text}`);
}
