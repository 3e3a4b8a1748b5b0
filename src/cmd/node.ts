// Runs a node (containerd under k8ts plus the kubelet) for `k8ts server` and `k8ts agent`, and says in one
// sentence why not when this machine cannot run one.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Kubelet, startKubelet } from '../kubelet/index.js';
import { DEFAULT_CONTAINERD } from '../runtime/containerd.js';
import { type NodeRuntime, startNodeRuntime } from '../runtime/node-runtime.js';

/** Why no node can run here (with the fix), or undefined when one can. */
export function nodeUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'the node agent needs Linux; running the control plane alone';
  if (process.getuid?.() !== 0)
    return 'the node agent needs root to run containers (start k8ts with sudo, or pass --disable-agent); running the control plane alone';
  const containerd = process.env.K8TS_CONTAINERD_BIN ?? DEFAULT_CONTAINERD;
  const missing = [containerd, '/usr/sbin/runc', '/usr/lib/cni/bridge', '/bin/busybox'].filter(
    (p) => !existsSync(p),
  );
  if (missing.length > 0)
    return `the node agent needs ${missing.join(', ')} (apt-get install containerd runc containernetworking-plugins busybox-static, or run ./scripts/setup.sh); running the control plane alone`;
  return undefined;
}

export function defaultNodeName(): string {
  return hostname().toLowerCase();
}

export interface RunningNode {
  runtime: NodeRuntime;
  kubelet: Kubelet;
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
  /** Static pod manifests (default `<dataDir>/manifests`) and how often they are read (seconds). */
  podManifestPath?: string;
  fileCheckFrequencySeconds?: number;
}

/** containerd and the images, which need no API server: `k8ts server` starts them while it opens its store. */
export function startRuntimeFor(opts: Pick<NodeOptions, 'dataDir' | 'bridge'>): Promise<NodeRuntime> {
  const bridge = opts.bridge ?? 'k8ts0';
  return startNodeRuntime({
    dataDir: opts.dataDir,
    containerd: { stopGraceMs: 3_000 },
    cni: { bridge, networkName: bridge === 'k8ts0' ? 'k8ts' : `k8ts-${bridge}` },
  });
}

export async function startNode(
  opts: NodeOptions,
  runtimeStarting?: Promise<NodeRuntime>,
): Promise<RunningNode> {
  const runtime = await (runtimeStarting ?? startRuntimeFor(opts));
  let kubelet: Kubelet;
  try {
    kubelet = await startKubelet({
      apiServer: opts.apiServer,
      bearerToken: opts.token,
      nodeName: opts.nodeName,
      dataDir: opts.dataDir,
      cri: runtime.cri,
      setPodCIDR: (cidr) => runtime.setPodCIDR(cidr),
      port: opts.kubeletPort,
      nodeIP: opts.nodeIP,
      cgroupRoot: opts.cgroupRoot,
      podManifestPath: opts.podManifestPath,
      fileCheckFrequencyMs:
        opts.fileCheckFrequencySeconds !== undefined ? opts.fileCheckFrequencySeconds * 1000 : undefined,
      parallelStarts: Number(process.env.K8TS_PARALLEL_POD_STARTS) || undefined,
    });
  } catch (err) {
    await runtime.stop();
    throw err;
  }
  return {
    runtime,
    kubelet,
    async stop() {
      await kubelet.stop();
      // Containers keep running in their shims; the next start adopts them.
      await runtime.stop();
    },
  };
}
