// Cluster DNS for one node: Service, EndpointSlice and Namespace caches (list+watch through the API server)
// behind a DNS server on UDP and TCP, forwarding other names to the host's resolvers.
import {
  type Clock,
  consoleLogger,
  ENDPOINT_SLICES,
  type Logger,
  NAMESPACES,
  type RestClient,
  SERVICES,
  SharedInformerFactory,
} from '../client/index.js';
import { Forwarder, type Upstream } from './forward.js';
import { ClusterRecords, serviceIndexers, sliceIndexers } from './records.js';
import { DnsServer } from './server.js';

export { Forwarder, type Upstream } from './forward.js';
export { type ClusterData, ClusterRecords, DEFAULT_TTL, type Reply } from './records.js';
export { DnsServer } from './server.js';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DNS_PORT = 53;

export interface ClusterDNSOptions {
  rest: RestClient;
  /** Address to listen on (a node: its pod bridge's gateway address). */
  host: string;
  /** Default 53; 0 picks a free port. */
  port?: number;
  domain?: string;
  /** Where other names go (the host's resolv.conf nameservers, port 53). */
  upstreams: Upstream[];
  forwardTimeoutMs?: number;
  clock?: Clock;
  log?: Logger;
}

export interface ClusterDNS {
  readonly host: string;
  readonly port: number;
  readonly server: DnsServer;
  readonly records: ClusterRecords;
  /** Resolves once the caches listed (before that, cluster names get SERVFAIL). */
  synced(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startClusterDNS(opts: ClusterDNSOptions): Promise<ClusterDNS> {
  const log = opts.log ?? consoleLogger;
  const factory = new SharedInformerFactory(opts.rest, { clock: opts.clock, log });
  const services = factory.informerFor(SERVICES, { indexers: serviceIndexers() });
  const slices = factory.informerFor(ENDPOINT_SLICES, { indexers: sliceIndexers() });
  const namespaces = factory.informerFor(NAMESPACES);
  const records = new ClusterRecords(
    {
      services: services.store,
      slices: slices.store,
      namespaces: namespaces.store,
      synced: () => services.hasSynced() && slices.hasSynced() && namespaces.hasSynced(),
    },
    { domain: opts.domain ?? DEFAULT_CLUSTER_DOMAIN, serial: Math.floor(Date.now() / 1000) },
  );
  const port = opts.port ?? DNS_PORT;
  // Never forward to ourselves (a host resolv.conf naming this very address would loop).
  const upstreams = opts.upstreams.filter((u) => !(u.address === opts.host && u.port === port));
  const server = new DnsServer({
    host: opts.host,
    port,
    records,
    forwarder: new Forwarder({ upstreams, timeoutMs: opts.forwardTimeoutMs }),
    log,
  });
  await server.listen();
  factory.start();
  return {
    host: opts.host,
    port: server.port,
    server,
    records,
    synced: () => factory.waitForSync(),
    async stop() {
      await server.close();
      await factory.stop();
    },
  };
}
