// The slice of etcd's v3 gRPC API (etcdserverpb, mvccpb) this driver uses, as a protobufjs JSON
// descriptor. Field numbers follow etcd's api/etcdserverpb/rpc.proto and api/mvccpb/kv.proto;
// fields we never send or read are left out (the decoder skips unknown fields).

import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';

const i64 = (id: number) => ({ type: 'int64', id });
const bytes = (id: number) => ({ type: 'bytes', id });
const bool = (id: number) => ({ type: 'bool', id });
const msg = (type: string, id: number) => ({ type, id });
const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' });

const descriptor = {
  nested: {
    mvccpb: {
      nested: {
        KeyValue: {
          fields: {
            key: bytes(1),
            create_revision: i64(2),
            mod_revision: i64(3),
            version: i64(4),
            value: bytes(5),
            lease: i64(6),
          },
        },
        Event: {
          fields: {
            type: msg('EventType', 1),
            kv: msg('KeyValue', 2),
            prev_kv: msg('KeyValue', 3),
          },
          nested: { EventType: { values: { PUT: 0, DELETE: 1 } } },
        },
      },
    },
    etcdserverpb: {
      nested: {
        KV: {
          methods: {
            Range: { requestType: 'RangeRequest', responseType: 'RangeResponse' },
            Put: { requestType: 'PutRequest', responseType: 'PutResponse' },
            DeleteRange: { requestType: 'DeleteRangeRequest', responseType: 'DeleteRangeResponse' },
            Txn: { requestType: 'TxnRequest', responseType: 'TxnResponse' },
            Compact: { requestType: 'CompactionRequest', responseType: 'CompactionResponse' },
          },
        },
        Watch: {
          methods: {
            Watch: {
              requestType: 'WatchRequest',
              requestStream: true,
              responseType: 'WatchResponse',
              responseStream: true,
            },
          },
        },
        ResponseHeader: {
          fields: {
            cluster_id: { type: 'uint64', id: 1 },
            member_id: { type: 'uint64', id: 2 },
            revision: i64(3),
          },
        },
        RangeRequest: {
          fields: {
            key: bytes(1),
            range_end: bytes(2),
            limit: i64(3),
            revision: i64(4),
            serializable: bool(7),
            keys_only: bool(8),
            count_only: bool(9),
          },
        },
        RangeResponse: {
          fields: {
            header: msg('ResponseHeader', 1),
            kvs: repeated('mvccpb.KeyValue', 2),
            more: bool(3),
            count: i64(4),
          },
        },
        PutRequest: { fields: { key: bytes(1), value: bytes(2), prev_kv: bool(4) } },
        PutResponse: { fields: { header: msg('ResponseHeader', 1), prev_kv: msg('mvccpb.KeyValue', 2) } },
        DeleteRangeRequest: { fields: { key: bytes(1), range_end: bytes(2), prev_kv: bool(3) } },
        DeleteRangeResponse: {
          fields: {
            header: msg('ResponseHeader', 1),
            deleted: i64(2),
            prev_kvs: repeated('mvccpb.KeyValue', 3),
          },
        },
        RequestOp: {
          oneofs: { request: { oneof: ['request_range', 'request_put', 'request_delete_range'] } },
          fields: {
            request_range: msg('RangeRequest', 1),
            request_put: msg('PutRequest', 2),
            request_delete_range: msg('DeleteRangeRequest', 3),
          },
        },
        ResponseOp: {
          oneofs: { response: { oneof: ['response_range', 'response_put', 'response_delete_range'] } },
          fields: {
            response_range: msg('RangeResponse', 1),
            response_put: msg('PutResponse', 2),
            response_delete_range: msg('DeleteRangeResponse', 3),
          },
        },
        Compare: {
          oneofs: { target_union: { oneof: ['version', 'create_revision', 'mod_revision', 'value'] } },
          fields: {
            result: msg('CompareResult', 1),
            target: msg('CompareTarget', 2),
            key: bytes(3),
            version: i64(4),
            create_revision: i64(5),
            mod_revision: i64(6),
            value: bytes(7),
          },
          nested: {
            CompareResult: { values: { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } },
            CompareTarget: { values: { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } },
          },
        },
        TxnRequest: {
          fields: {
            compare: repeated('Compare', 1),
            success: repeated('RequestOp', 2),
            failure: repeated('RequestOp', 3),
          },
        },
        TxnResponse: {
          fields: {
            header: msg('ResponseHeader', 1),
            succeeded: bool(2),
            responses: repeated('ResponseOp', 3),
          },
        },
        CompactionRequest: { fields: { revision: i64(1), physical: bool(2) } },
        CompactionResponse: { fields: { header: msg('ResponseHeader', 1) } },
        WatchRequest: {
          oneofs: { request_union: { oneof: ['create_request', 'cancel_request'] } },
          fields: {
            create_request: msg('WatchCreateRequest', 1),
            cancel_request: msg('WatchCancelRequest', 2),
          },
        },
        WatchCreateRequest: {
          fields: {
            key: bytes(1),
            range_end: bytes(2),
            start_revision: i64(3),
            progress_notify: bool(4),
            prev_kv: bool(6),
          },
        },
        WatchCancelRequest: { fields: { watch_id: i64(1) } },
        WatchResponse: {
          fields: {
            header: msg('ResponseHeader', 1),
            watch_id: i64(2),
            created: bool(3),
            canceled: bool(4),
            compact_revision: i64(5),
            cancel_reason: { type: 'string', id: 6 },
            events: repeated('mvccpb.Event', 11),
          },
        },
      },
    },
  },
};

// ---- decoded shapes (keepCase, longs as Number, enums as String, defaults filled in) ----

export interface PbHeader {
  revision: number;
}

export interface PbKeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
}

export interface PbRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  count_only?: boolean;
  keys_only?: boolean;
}

export interface PbRangeResponse {
  header: PbHeader;
  kvs: PbKeyValue[];
  more: boolean;
  count: number;
}

export interface PbPutRequest {
  key: Buffer;
  value: Buffer;
  prev_kv?: boolean;
}

export interface PbPutResponse {
  header: PbHeader;
  prev_kv: PbKeyValue | null;
}

export interface PbDeleteRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}

export interface PbDeleteRangeResponse {
  header: PbHeader;
  deleted: number;
  prev_kvs: PbKeyValue[];
}

export interface PbRequestOp {
  request_range?: PbRangeRequest;
  request_put?: PbPutRequest;
  request_delete_range?: PbDeleteRangeRequest;
}

export interface PbResponseOp {
  response_range?: PbRangeResponse;
  response_put?: PbPutResponse;
  response_delete_range?: PbDeleteRangeResponse;
}

export interface PbCompare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
  key: Buffer;
  create_revision?: number;
  mod_revision?: number;
}

export interface PbTxnRequest {
  compare: PbCompare[];
  success: PbRequestOp[];
  failure: PbRequestOp[];
}

export interface PbTxnResponse {
  header: PbHeader;
  succeeded: boolean;
  responses: PbResponseOp[];
}

export interface PbWatchRequest {
  create_request?: {
    key: Buffer;
    range_end: Buffer;
    start_revision: number;
    prev_kv: boolean;
    progress_notify?: boolean;
  };
  cancel_request?: { watch_id: number };
}

export interface PbEvent {
  type: 'PUT' | 'DELETE';
  kv: PbKeyValue;
  prev_kv: PbKeyValue | null;
}

export interface PbWatchResponse {
  header: PbHeader;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  events: PbEvent[];
}

type ServiceCtor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => grpc.Client;

let services: { KV: ServiceCtor; Watch: ServiceCtor } | undefined;

/** gRPC client constructors for etcd's KV and Watch services (built once per process). */
export function etcdServices(): { KV: ServiceCtor; Watch: ServiceCtor } {
  if (!services) {
    const def = fromJSON(descriptor as unknown as Parameters<typeof fromJSON>[0], {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      etcdserverpb: { KV: ServiceCtor; Watch: ServiceCtor };
    };
    services = { KV: pkg.etcdserverpb.KV, Watch: pkg.etcdserverpb.Watch };
  }
  return services;
}
