// Runs a node (containerd under k8ts plus the kubelet) for `k8ts server` and `k8ts agent`, and says in one
// sentence why not when this machine cannot run one.
import { existsSync, readdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { type Kubelet, startKubelet } from '../kubelet/index.js';
import { type PodNetwork, startPodNetwork } from '../network/index.js';
import { type ServiceProxy, serviceProxyUnavailableReason, startServiceProxy } from '../proxy/index.js';
import { DEFAULT_CONTAINERD } from '../runtime/containerd.js';
import { type NodeRuntime, startNodeRuntime } from '../runtime/node-runtime.js';
import type { KubeletSettings } from './kubelet-flags.js';
import { NodeDns } from './node-dns.js';

/** Why no node can run here (with the fix), or undefined when one can. */
export function nodeUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'the node agent needs Linux; running the control plane alone';
  if (process.getuid?.() !== 0)
    return 'the node agent needs root to run containers (start k8ts with sudo, or pass --disable-agent); running the control plane alone';
  const containerd = process.env.K8TS_CONTAINERD_BIN ?? DEFAULT_CONTAINERD;
  // nft and ip program the pod network across nodes (src/network).
  const missing = [
    containerd,
    '/usr/sbin/runc',
    '/usr/lib/cni/bridge',
    '/bin/busybox',
    '/usr/sbin/nft',
    '/usr/sbin/ip',
  ].filter((p) => !existsSync(p));
  if (missing.length > 0)
    return `the node agent needs ${missing.join(', ')} (apt-get install containerd runc containernetworking-plugins busybox-static nftables iproute2, or run ./scripts/setup.sh); running the control plane alone`;
  // `ip netns exec` mounts a fresh /sys for the namespace, without the cgroup filesystems runc needs.
  if (!hasCgroupFs())
    return 'the node agent needs the cgroup filesystem at /sys/fs/cgroup (under `ip netns exec`? enter only the network namespace instead: nsenter --net=/run/netns/NAME); running the control plane alone';
  return undefined;
}

function hasCgroupFs(): boolean {
  try {
    return readdirSync('/sys/fs/cgroup').length > 0;
  } catch {
    return false;
  }
}

export function defaultNodeName(): string {
  return hostname().toLowerCase();
}

export interface RunningNode {
  runtime: NodeRuntime;
  kubelet: Kubelet;
  /** Routes to other nodes' pods and the pods' masquerade rule. */
  network: PodNetwork;
  dns: NodeDns;
  /** kube-proxy (undefined where nftables is missing). */
  proxy?: ServiceProxy;
  stop(): Promise<void>;
}

export interface NodeOptions {
  apiServer: string;
  token?: string;
  dataDir: string;
  nodeName: string;
  kubeletPort?: number;
  nodeIP?: string;
  /** CNI bridge (default k8ts0); the network is named after it. */
  bridge?: string;
  cgroupRoot?: string;
  /** The cluster domain (default cluster.local). */
  clusterDomain?: string;
  /** Pods' nameserver instead of this node's own DNS server (which runs either way). */
  clusterDNS?: string;
  /** Eviction and image GC settings (src/cmd/kubelet-flags.ts). */
  kubelet?: KubeletSettings;
}

/** containerd and the images, which need no API server: `k8ts server` starts them while it opens its store. */
export function startRuntimeFor(opts: Pick<NodeOptions, 'dataDir' | 'bridge'>): Promise<NodeRuntime> {
  const bridge = opts.bridge ?? 'k8ts0';
  return startNodeRuntime({
    dataDir: opts.dataDir,
    containerd: { stopGraceMs: 3_000 },
    // The pod network module masquerades instead, leaving traffic to other nodes' pods unNATed.
    cni: { bridge, networkName: bridge === 'k8ts0' ? 'k8ts' : `k8ts-${bridge}`, ipMasq: false },
  });
}

export async function startNode(
  opts: NodeOptions,
  runtimeStarting?: Promise<NodeRuntime>,
): Promise<RunningNode> {
  const runtime = await (runtimeStarting ?? startRuntimeFor(opts));
  if (opts.clusterDNS && !isIP(opts.clusterDNS)) {
    await runtime.stop();
    throw new Error(`--cluster-dns needs an IP address, not ${JSON.stringify(opts.clusterDNS)}`);
  }
  const clusterDomain = opts.clusterDomain ?? 'cluster.local';
  const dns = new NodeDns({
    apiServer: opts.apiServer,
    token: opts.token,
    bridge: opts.bridge ?? 'k8ts0',
    domain: clusterDomain,
    clusterDNS: opts.clusterDNS,
  });
  let kubelet: Kubelet;
  try {
    kubelet = await startKubelet({
      apiServer: opts.apiServer,
      bearerToken: opts.token,
      nodeName: opts.nodeName,
      dataDir: opts.dataDir,
      cri: runtime.cri,
      setPodCIDR: (cidr) => {
        runtime.setPodCIDR(cidr);
        dns.onPodCIDR(cidr);
      },
      clusterDomain,
      clusterDNS: () => dns.servers(),
      port: opts.kubeletPort,
      nodeIP: opts.nodeIP,
      cgroupRoot: opts.cgroupRoot,
      parallelStarts: Number(process.env.K8TS_PARALLEL_POD_STARTS) || undefined,
      ...opts.kubelet,
    });
  } catch (err) {
    await dns.stop();
    await runtime.stop();
    throw err;
  }
  const bridge = opts.bridge ?? 'k8ts0';
  const network = startPodNetwork({ rest: kubelet.rest, nodeName: opts.nodeName, bridge });
  // kube-proxy runs in the node process, next to the kubelet, in an nftables table of its own.
  const proxyUnavailable = serviceProxyUnavailableReason();
  if (proxyUnavailable) console.log(`k8ts: kube-proxy not started: ${proxyUnavailable}`);
  const proxy = proxyUnavailable
    ? undefined
    : await startServiceProxy({
        apiServer: opts.apiServer,
        bearerToken: opts.token,
        nodeName: opts.nodeName,
        bridge,
      });
  return {
    runtime,
    kubelet,
    network,
    dns,
    proxy,
    async stop() {
      await proxy?.stop();
      await network.stop();
      await kubelet.stop();
      await dns.stop();
      // Containers keep running in their shims; the next start adopts them.
      await runtime.stop();
    },
  };
}
