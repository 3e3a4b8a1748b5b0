// `k8ts agent`: only the node (containerd under k8ts plus the kubelet), joined to a remote API server.
import { mkdirSync } from 'node:fs';
import { type FlagSpec, parseFlags, usage } from './flags.js';
import { KUBELET_FLAGS, kubeletSettings } from './kubelet-flags.js';
import { defaultNodeName, nodeUnavailableReason, startNode } from './node.js';
import { defaultDataDir } from './server.js';

export const AGENT_FLAGS: FlagSpec = {
  server: { type: 'string', help: 'the API server URL, e.g. https://10.0.0.1:6443' },
  token: { type: 'string', default: '', help: 'bearer token sent to the API server' },
  'data-dir': { type: 'string', help: 'where containerd state, pod logs and images live' },
  'node-name': { type: 'string', help: 'name of this node (default: the hostname)' },
  'node-ip': { type: 'string', help: "this node's address (default: the first non-loopback IPv4)" },
  'kubelet-port': { type: 'number', default: 10250, help: 'the kubelet port (0 picks one)' },
  'cni-bridge': { type: 'string', default: 'k8ts0', help: 'the Linux bridge pods attach to' },
  'cgroup-root': { type: 'string', default: '/kubepods', help: "parent cgroup of the pods' cgroups" },
  'cluster-domain': { type: 'string', default: 'cluster.local', help: 'the cluster DNS domain' },
  'cluster-dns': {
    type: 'string',
    help: "pods' nameserver (default: the node's own DNS server on its pod bridge address)",
  },
  ...KUBELET_FLAGS,
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export async function runAgent(args: string[]): Promise<void> {
  const flags = parseFlags(args, AGENT_FLAGS);
  if (flags.help) {
    console.log(`usage: k8ts agent --server URL [flags]\n${usage(AGENT_FLAGS)}`);
    return;
  }
  const server = flags.server as string | undefined;
  if (!server) throw new Error('k8ts agent needs --server URL (the API server to join)');
  const reason = nodeUnavailableReason();
  if (reason) throw new Error(reason.replace(/; running the control plane alone$/, ''));
  const dataDir = (flags['data-dir'] as string | undefined) ?? defaultDataDir();
  mkdirSync(dataDir, { recursive: true });
  const nodeName = (flags['node-name'] as string | undefined) ?? defaultNodeName();
  const started = Date.now();
  const node = await startNode({
    apiServer: server,
    token: (flags.token as string) || undefined,
    dataDir,
    nodeName,
    kubeletPort: flags['kubelet-port'] as number,
    nodeIP: flags['node-ip'] as string | undefined,
    bridge: flags['cni-bridge'] as string,
    cgroupRoot: flags['cgroup-root'] as string,
    clusterDomain: flags['cluster-domain'] as string,
    clusterDNS: flags['cluster-dns'] as string | undefined,
    kubelet: kubeletSettings(flags),
  });
  console.log(`k8ts: node ${nodeName} started against ${server} (kubelet port ${node.kubelet.port})`);
  void node.kubelet.ready.then(() =>
    console.log(`k8ts: node ${nodeName} is ready in ${Date.now() - started} ms`),
  );
  if (process.env.K8TS_MEMLOG) {
    setInterval(() => {
      const m = process.memoryUsage();
      const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)}MiB`;
      console.error(
        `k8ts agent memory: rss ${mib(m.rss)} heapUsed ${mib(m.heapUsed)} heapTotal ${mib(m.heapTotal)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)}`,
      );
    }, 5_000).unref();
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`k8ts: ${signal}: stopping`);
    await node.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
