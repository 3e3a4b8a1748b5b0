// `k8ts server`: the control plane (API server over the embedded store or etcd), ready for kubectl.
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration } from '../api/protobuf/timefmt.js';
import { ApiServer } from '../apiserver/server.js';
import { checkMaxTokenExpiration } from '../apiserver/serviceaccounttoken.js';
import { startControllerManager } from '../controllers/manager.js';
import { startScheduler } from '../scheduler/index.js';
import { loadOrCreateSigningKeys } from '../serviceaccount/keys.js';
import { TokenSigner } from '../serviceaccount/tokens.js';
import type { Backend } from '../storage/backend.js';
import { startCompactor } from '../storage/compactor.js';
import { openBackend } from '../storage/index.js';
import { runElected } from './elected.js';
import { type FlagSpec, parseFlags, usage } from './flags.js';
import { clusterDnsSettings, KUBELET_FLAGS, kubeletSettings } from './kubelet-flags.js';
import {
  defaultNodeName,
  nodeUnavailableReason,
  type RunningNode,
  startNode,
  startRuntimeFor,
} from './node.js';

export const SERVER_FLAGS: FlagSpec = {
  'data-dir': { type: 'string', help: 'where state, keys and kubeconfig live' },
  port: { type: 'number', default: 6443, help: 'API server port (0 picks a free one)' },
  'bind-address': { type: 'string', default: '127.0.0.1', help: 'address the API server listens on' },
  'datastore-endpoint': {
    type: 'string',
    default: '',
    help: 'empty: SQLite in the data dir; etcd://host:port[,host:port]',
  },
  'service-cidr': { type: 'string', default: '10.43.0.0/16', help: 'IPv4 range for Service cluster IPs' },
  'service-account-extend-token-expiration': {
    type: 'boolean',
    default: true,
    help: "issue the kubelet's pod-bound tokens for a year, with a warnafter claim at the asked expiry",
  },
  'service-account-max-token-expiration': {
    type: 'string',
    default: '',
    help: 'longest token lifetime issued, a duration such as 48h (empty: no cap)',
  },
  'min-request-timeout': {
    type: 'number',
    default: 1800,
    help: 'watches end after 1x..2x this many seconds',
  },
  'metric-resolution': {
    type: 'number',
    default: 15,
    help: 'seconds between scrapes of the kubelets for metrics.k8s.io (kubectl top)',
  },
  'node-monitor-period': { type: 'number', default: 5, help: 'seconds between node health checks' },
  'node-monitor-grace-period': {
    type: 'number',
    default: 50,
    help: 'seconds without node status or lease renewal before its conditions turn Unknown',
  },
  'node-startup-grace-period': {
    type: 'number',
    default: 60,
    help: 'the same for a node that never posted status',
  },
  'node-eviction-rate': { type: 'number', default: 0.1, help: 'nodes/s tainted NoExecute per healthy zone' },
  'secondary-node-eviction-rate': {
    type: 'number',
    default: 0.01,
    help: 'nodes/s in a partially disrupted zone of a large cluster',
  },
  'unhealthy-zone-threshold': {
    type: 'number',
    default: 0.55,
    help: 'fraction of not-Ready nodes (at least 3) that makes a zone partially disrupted',
  },
  'large-cluster-size-threshold': {
    type: 'number',
    default: 50,
    help: 'zones with more nodes use the secondary eviction rate when partially disrupted',
  },
  'disable-agent': { type: 'boolean', default: false, help: 'run the control plane only, no local node' },
  'cluster-cidr': {
    type: 'string',
    default: '10.42.0.0/16',
    help: 'IPv4 range node podCIDRs (a /24 each) come from',
  },
  'node-name': { type: 'string', help: 'name of the local node (default: the hostname)' },
  'node-ip': { type: 'string', help: "the local node's address (default: the first non-loopback IPv4)" },
  'kubelet-port': { type: 'number', default: 10250, help: "the local node's kubelet port (0 picks one)" },
  'cni-bridge': { type: 'string', default: 'k8ts0', help: 'the Linux bridge pods attach to' },
  'cgroup-root': { type: 'string', default: '/kubepods', help: "parent cgroup of the pods' cgroups" },
  ...KUBELET_FLAGS,
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/k8ts' : join(homedir(), '.k8ts');
}

export function kubeconfig(server: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: k8ts
  cluster:
    server: ${server}
users:
- name: admin
  user: {}
contexts:
- name: k8ts
  context:
    cluster: k8ts
    user: admin
current-context: k8ts
`;
}

export async function runServer(args: string[]): Promise<void> {
  const flags = parseFlags(args, SERVER_FLAGS);
  const maxTokenSeconds = maxTokenExpirationSeconds(flags['service-account-max-token-expiration'] as string);
  if (flags.help) {
    console.log(`usage: k8ts server [flags]\n${usage(SERVER_FLAGS)}`);
    return;
  }
  const dataDir = (flags['data-dir'] as string | undefined) ?? defaultDataDir();
  // Bad eviction or image GC flags stop the start here, before anything runs.
  const kubelet = kubeletSettings(flags);
  mkdirSync(dataDir, { recursive: true });
  const endpoint = (flags['datastore-endpoint'] as string) || `sqlite://${join(dataDir, 'state.db')}`;
  const started = Date.now();
  // The node's containerd needs no API server: start it now, alongside the store and the API server.
  const agentUnavailable = flags['disable-agent'] ? undefined : nodeUnavailableReason();
  const runtimeStarting =
    flags['disable-agent'] || agentUnavailable
      ? undefined
      : startRuntimeFor({ dataDir, bridge: flags['cni-bridge'] as string });
  runtimeStarting?.catch(() => {});
  const backend: Backend = await openBackend(endpoint);
  const compactor = startCompactor(backend);
  // Service-account tokens are signed with a key made at first start and kept in the data dir.
  const tokenSigner = new TokenSigner(loadOrCreateSigningKeys(dataDir));
  const api = new ApiServer({
    backend,
    tokenSigner,
    minRequestTimeoutSeconds: flags['min-request-timeout'] as number,
    serviceCidr: flags['service-cidr'] as string,
    tokenLifetime: {
      extendExpiration: flags['service-account-extend-token-expiration'] as boolean,
      maxExpirationSeconds: maxTokenSeconds,
    },
    metricResolutionMs: (flags['metric-resolution'] as number) * 1000,
  });
  const addr = await api.listen(flags.port as number, flags['bind-address'] as string);
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
  // The controllers talk to the API server over loopback like any other client; they sync in the background.
  // Each runs only while this server holds its Lease, so several servers can share one etcd.
  const controllers = runElected({
    baseUrl: url,
    lease: 'kube-controller-manager',
    start: () =>
      startControllerManager({
        baseUrl: url,
        config: {
          tokenSigner,
          clusterCidr: flags['cluster-cidr'] as string,
          localPathDir: resolve(dataDir, 'storage'),
          nodeLifecycle: {
            nodeMonitorPeriodMs: (flags['node-monitor-period'] as number) * 1000,
            nodeMonitorGracePeriodMs: (flags['node-monitor-grace-period'] as number) * 1000,
            nodeStartupGracePeriodMs: (flags['node-startup-grace-period'] as number) * 1000,
            evictionLimiterQPS: flags['node-eviction-rate'] as number,
            secondaryEvictionLimiterQPS: flags['secondary-node-eviction-rate'] as number,
            unhealthyZoneThreshold: flags['unhealthy-zone-threshold'] as number,
            largeClusterSizeThreshold: flags['large-cluster-size-threshold'] as number,
          },
        },
      }),
  });
  const scheduler = runElected({
    baseUrl: url,
    lease: 'kube-scheduler',
    start: () => startScheduler({ baseUrl: url }),
  });
  const kubeconfigPath = join(dataDir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(url), { mode: 0o600 });
  console.log(`k8ts: API server ready at ${url} (store: ${backend.name}) in ${Date.now() - started} ms`);
  console.log(
    `k8ts: kubeconfig written to ${kubeconfigPath}; try: KUBECONFIG=${kubeconfigPath} kubectl get ns`,
  );
  let node: RunningNode | undefined;
  let nodeStarting: Promise<void> | undefined;
  if (!flags['disable-agent']) {
    if (agentUnavailable) console.log(`k8ts: ${agentUnavailable}`);
    else {
      const nodeName = (flags['node-name'] as string | undefined) ?? defaultNodeName();
      nodeStarting = startNode(
        {
          apiServer: url,
          dataDir,
          nodeName,
          kubeletPort: flags['kubelet-port'] as number,
          nodeIP: flags['node-ip'] as string | undefined,
          bridge: flags['cni-bridge'] as string,
          cgroupRoot: flags['cgroup-root'] as string,
          ...clusterDnsSettings(flags),
          kubelet,
        },
        runtimeStarting,
      ).then(
        async (n) => {
          node = n;
          console.log(`k8ts: node ${nodeName} started (kubelet port ${n.kubelet.port})`);
          await n.kubelet.ready;
          console.log(`k8ts: node ${nodeName} is ready in ${Date.now() - started} ms`);
        },
        (err) => {
          console.log(
            `k8ts: the local node could not start (${(err as Error).message.split('\n')[0]}); running the control plane alone`,
          );
        },
      );
    }
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`k8ts: ${signal}: stopping`);
    compactor.stop();
    await nodeStarting?.catch(() => {});
    await node?.stop();
    await Promise.all([controllers.stop(), scheduler.stop()]);
    await api.close();
    await backend.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** --service-account-max-token-expiration as seconds (undefined when unset); a bad value stops the start. */
function maxTokenExpirationSeconds(flag: string): number | undefined {
  if (!flag) return undefined;
  let seconds: number;
  try {
    seconds = Number(parseDuration(flag) / 1_000_000_000n);
  } catch {
    throw new Error(
      `--service-account-max-token-expiration: ${JSON.stringify(flag)} is not a duration such as 48h`,
    );
  }
  checkMaxTokenExpiration(seconds);
  return seconds;
}
