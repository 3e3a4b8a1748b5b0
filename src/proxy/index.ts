// kube-proxy for a k8ts node: informers on Services and EndpointSlices (through the API server like
// every other component) feed a Proxier that programs this node's packet path with nftables, in a
// table of its own. Started by the node agent next to the kubelet and stopped with it; a clean stop
// removes the table.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  type Clock,
  consoleLogger,
  ENDPOINT_SLICES,
  type Logger,
  RestClient,
  realClock,
  SERVICES,
  SharedInformerFactory,
} from '../client/index.js';
import { DEFAULT_NFT, type NftRunner, nftAvailable, nftRunner } from './nft.js';
import { Proxier } from './proxier.js';
import type { RulesConfig } from './rules.js';

export { nftAvailable, nftRunner } from './nft.js';
export { Proxier, type SyncResult } from './proxier.js';

type Obj = Record<string, any>;

export const DEFAULT_TABLE = 'k8ts-proxy';
const BRIDGE_NF_CALL = '/proc/sys/net/bridge/bridge-nf-call-iptables';

/** The proxy's table for a node whose pods use `bridge`: k8ts-proxy for k8ts0, k8ts-proxy-BRIDGE otherwise. */
export function proxyTableFor(bridge: string): string {
  return bridge === 'k8ts0' ? DEFAULT_TABLE : `${DEFAULT_TABLE}-${bridge}`;
}

/**
 * Makes bridged IPv4 traffic go through netfilter (br_netfilter), so that a reply from one pod to another
 * on the same bridge meets the conntrack entry of the Service DNAT and is un-NATed. True when it is on.
 */
export function enableBridgeNetfilter(): boolean {
  if (!existsSync(BRIDGE_NF_CALL)) return false;
  try {
    if (readFileSync(BRIDGE_NF_CALL, 'utf8').trim() !== '1') writeFileSync(BRIDGE_NF_CALL, '1\n');
    return true;
  } catch {
    return false;
  }
}

export interface ServiceProxyOptions {
  apiServer: string;
  bearerToken?: string;
  nodeName: string;
  /** The CNI bridge this node's pods are on (pod traffic is what arrives on it). */
  bridge: string;
  /** The table (default proxyTableFor(bridge)). */
  table?: string;
  /** How nft runs (default `nft -f -` on this host). */
  nft?: NftRunner;
  minSyncIntervalMs?: number;
  clock?: Clock;
  log?: Logger;
}

export interface ServiceProxy {
  readonly proxier: Proxier;
  readonly table: string;
  /** Resolves after the first full sync was applied. */
  readonly ready: Promise<void>;
  /** Stops the informers and removes the table. */
  stop(): Promise<void>;
}

/** Why the proxy cannot run here, or undefined when it can. */
export function serviceProxyUnavailableReason(): string | undefined {
  if (!nftAvailable()) return `${DEFAULT_NFT} is missing (apt-get install nftables)`;
  return undefined;
}

export async function startServiceProxy(opts: ServiceProxyOptions): Promise<ServiceProxy> {
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? consoleLogger;
  const table = opts.table ?? proxyTableFor(opts.bridge);
  const brNetfilter = enableBridgeNetfilter();
  if (!brNetfilter)
    log.warn(
      'kube-proxy: br_netfilter is not available; masquerading all traffic to cluster IPs so that replies between pods of this node are un-NATed',
    );
  const config: RulesConfig = { table, localTraffic: { bridge: opts.bridge }, masqueradeAll: !brNetfilter };
  const proxier = new Proxier({
    config,
    nodeName: opts.nodeName,
    nft: opts.nft ?? nftRunner(),
    minSyncIntervalMs: opts.minSyncIntervalMs,
    clock,
    log,
  });
  const rest = new RestClient({
    baseUrl: opts.apiServer,
    bearerToken: opts.bearerToken,
    userAgent: `kube-proxy/${opts.nodeName}`,
  });
  const informers = new SharedInformerFactory(rest, { clock, log });
  const services = informers.informerFor<Obj>(SERVICES);
  const slices = informers.informerFor<Obj>(ENDPOINT_SLICES);
  services.addEventHandler({
    onAdd: (o) => proxier.upsertService(o),
    onUpdate: (_, o) => proxier.upsertService(o),
    onDelete: (o) => proxier.deleteService(o),
  });
  slices.addEventHandler({
    onAdd: (o) => proxier.upsertSlice(o),
    onUpdate: (_, o) => proxier.upsertSlice(o),
    onDelete: (o) => proxier.deleteSlice(o),
  });
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const unsubscribe = proxier.onSync((r) => {
    if (r.full) resolveReady();
  });
  informers.start();
  void informers.waitForSync().then((ok) => {
    if (ok) proxier.setSynced();
  });
  return {
    proxier,
    table,
    ready,
    async stop() {
      unsubscribe();
      await informers.stop();
      await proxier
        .stop({ removeTable: true })
        .catch((err) => log.warn('kube-proxy: removing the nftables table failed', { table, error: err }));
    },
  };
}
