// The node's cluster DNS server: started once the node knows its podCIDR, on port 53 of the pod bridge's
// gateway address (made ahead of the first pod), so every pod on the node reaches it over the bridge
// without kube-proxy. Pods with dnsPolicy ClusterFirst get that address (or --cluster-dns) as nameserver.

import { consoleLogger, type Logger, RestClient } from '../client/index.js';
import { type ClusterDNS, DNS_PORT, startClusterDNS } from '../dns/index.js';
import { hostResolvConf } from '../kubelet/host.js';
import { ensureBridgeGateway, gatewayOf } from '../runtime/bridge.js';

const RETRY_MS = 5_000;

export interface NodeDnsOptions {
  apiServer: string;
  token?: string;
  bridge: string;
  domain: string;
  /** Pods' nameserver instead of this node's server (which still runs). */
  clusterDNS?: string;
  port?: number;
  log?: Logger;
}

export class NodeDns {
  private gateway?: string;
  private dns?: ClusterDNS;
  private starting?: Promise<void>;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private readonly rest: RestClient;
  private readonly log: Logger;

  constructor(private readonly opts: NodeDnsOptions) {
    this.log = opts.log ?? consoleLogger;
    this.rest = new RestClient({
      baseUrl: opts.apiServer,
      bearerToken: opts.token,
      userAgent: 'k8ts-node-dns',
    });
  }

  /** The nameservers ClusterFirst pods get: --cluster-dns, else the gateway once the podCIDR is known. */
  servers(): string[] {
    if (this.opts.clusterDNS) return [this.opts.clusterDNS];
    return this.gateway ? [this.gateway] : [];
  }

  /** Where this node's server listens (undefined until it does). */
  get listening(): { host: string; port: number } | undefined {
    return this.dns ? { host: this.dns.host, port: this.dns.port } : undefined;
  }

  /** Called with the node's podCIDR (again with the same one after a restart: no-op). */
  onPodCIDR(podCIDR: string): void {
    const gw = gatewayOf(podCIDR);
    if (this.gateway === gw || this.stopped) return;
    this.gateway = gw;
    this.starting = this.start(podCIDR);
  }

  private async start(podCIDR: string): Promise<void> {
    try {
      const host = ensureBridgeGateway(this.opts.bridge, podCIDR);
      const upstreams = hostResolvConf().servers.map((address) => ({ address, port: DNS_PORT }));
      this.dns = await startClusterDNS({
        rest: this.rest,
        host,
        port: this.opts.port ?? DNS_PORT,
        domain: this.opts.domain,
        upstreams,
        log: this.log,
      });
      if (this.stopped) await this.dns.stop();
      else console.log(`k8ts: cluster DNS for ${this.opts.domain} listening on ${host}:${this.dns.port}`);
    } catch (err) {
      if (this.stopped) return;
      this.log.warn('cluster DNS could not start, retrying', { error: err });
      this.retry = setTimeout(() => {
        this.starting = this.start(podCIDR);
      }, RETRY_MS);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.starting;
    await this.dns?.stop();
    this.rest.close();
  }
}
