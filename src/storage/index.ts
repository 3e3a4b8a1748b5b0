// Opens the storage backend named by a datastore endpoint (the `--datastore-endpoint` flag):
//   '' or 'sqlite://'       the embedded SQLite store in the data dir (the default)
//   'sqlite:///abs/path.db'  an explicit SQLite file (also 'sqlite://relative/path.db')
//   'memory://'              an in-memory store (tests; nothing survives the process)
//   'etcd://h1:2379[,h2:2379]'  an external etcd v3 cluster

import { K8tsError } from '../errors.js';
import type { Backend } from './backend.js';

export type { Backend } from './backend.js';

export interface OpenBackendOptions {
  /** Data directory for the embedded store when the endpoint names no file. */
  dataDir?: string;
  /** History kept by the periodic compactor (ms); 0 turns it off. Default 5 minutes. */
  compactWindowMs?: number;
}

export async function openBackend(endpoint: string, opts: OpenBackendOptions = {}): Promise<Backend> {
  const scheme = endpoint === '' ? 'sqlite' : /^([a-z0-9]+):\/\//.exec(endpoint)?.[1];
  const rest = scheme && endpoint !== '' ? endpoint.slice(scheme.length + 3) : '';
  switch (scheme) {
    case 'sqlite': {
      const { openSqliteBackend } = await import('./sqlite/index.js');
      if (rest === '' && !opts.dataDir) {
        throw new K8tsError(
          'BadRequest',
          'the sqlite datastore needs a data dir or a file path (sqlite:///path/to.db)',
        );
      }
      return openSqliteBackend({
        ...(rest === '' ? { dataDir: opts.dataDir } : { path: rest }),
        compactWindowMs: opts.compactWindowMs,
      });
    }
    case 'memory': {
      const { openMemoryBackend } = await import('./memory/index.js');
      return openMemoryBackend({ compactWindowMs: opts.compactWindowMs });
    }
    case 'etcd': {
      const endpoints = rest.split(',').filter((e) => e !== '');
      if (endpoints.length === 0)
        throw new K8tsError('BadRequest', `no etcd endpoints in ${JSON.stringify(endpoint)}`);
      // Loaded lazily: the etcd client is only needed when an etcd cluster is configured.
      const etcdModule = './etcd/index.js';
      const { openEtcdBackend } = (await import(etcdModule)) as {
        openEtcdBackend: (o: { endpoints: string[]; compactWindowMs?: number }) => Promise<Backend>;
      };
      return openEtcdBackend({ endpoints, compactWindowMs: opts.compactWindowMs });
    }
    default:
      throw new K8tsError(
        'BadRequest',
        `unsupported datastore endpoint ${JSON.stringify(endpoint)}: use sqlite://PATH, etcd://HOST:PORT[,HOST:PORT] or memory://`,
      );
  }
}
