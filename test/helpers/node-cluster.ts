// A real `k8ts server` with its local node for e2e tests, named after the test so that test files running
// side by side never share a data dir, bridge, cgroup root, pod range or node name; and a stop that leaves
// nothing behind (the server's pid gone, its pods, mounts, bridge, cgroups and data dir removed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cluster, startCluster } from './cluster.js';
import { eventually } from './eventually.js';
import { cleanupNodeDataDir } from './node-cleanup.js';
import { mountsUnder, pickTestPodCidr, testBridgeName } from './node-runtime.js';

type Obj = Record<string, any>;

export interface NodeClusterOptions {
  /** Names the data dir (`k8ts-<name>-e2e-`), the cgroup root (`/k8ts-e2e-<name>-<pid>`) and the node. */
  name: string;
  /** Which test pod range (pickTestPodCidr), unless --cluster-cidr is in args. */
  podCidrSlot?: number;
  /** The pod bridge (default testBridgeName(): give a second node in the same process another). */
  bridge?: string;
  /** More server flags, after the node's own. */
  args?: string[];
  /** Run on the data dir before the server starts (images to import, say). */
  prepare?(dataDir: string): void | Promise<void>;
}

export interface NodeCluster {
  cluster: Cluster;
  dataDir: string;
  nodeName: string;
  bridge: string;
  cgroupRoot: string;
  /** The Node once its Ready condition is True. */
  nodeReady(timeoutMs?: number): Promise<Obj>;
  /** Stops the server and removes everything its node made; checks the process and the mounts are gone. */
  stop(): Promise<void>;
}

/** The server flags that keep a test node to itself (its bridge, cgroup root, name; any kubelet port). */
export function nodeFlags(n: { bridge: string; cgroupRoot: string; nodeName: string }): string[] {
  return [
    '--cni-bridge',
    n.bridge,
    '--cgroup-root',
    n.cgroupRoot,
    '--kubelet-port',
    '0',
    '--node-name',
    n.nodeName,
  ];
}

export async function startNodeCluster(o: NodeClusterOptions): Promise<NodeCluster> {
  const bridge = o.bridge ?? testBridgeName();
  const cgroupRoot = `/k8ts-e2e-${o.name}-${process.pid}`;
  const nodeName = `e2e-${o.name}-${process.pid}`;
  const dataDir = mkdtempSync(join(tmpdir(), `k8ts-${o.name}-e2e-`));
  const extra = o.args ?? [];
  const cidr = extra.includes('--cluster-cidr')
    ? []
    : ['--cluster-cidr', pickTestPodCidr(o.podCidrSlot ?? 0)];
  const args = [...cidr, ...nodeFlags({ bridge, cgroupRoot, nodeName }), ...extra];
  const clean = async () => {
    await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
    assert.deepEqual(mountsUnder(dataDir), []);
    rmSync(dataDir, { recursive: true, force: true });
  };
  let cluster: Cluster;
  try {
    await o.prepare?.(dataDir);
    cluster = await startCluster({ agent: true, dataDir, args });
  } catch (err) {
    await clean();
    throw err;
  }
  return {
    cluster,
    dataDir,
    nodeName,
    bridge,
    cgroupRoot,
    nodeReady: (timeoutMs = 30_000) =>
      eventually(
        'the node to be Ready',
        async () => {
          const r = await cluster.kubectl('1.33', ['get', 'node', nodeName, '-o', 'json']);
          if (r.code !== 0) return undefined;
          const n: Obj = JSON.parse(r.stdout);
          return n.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status === 'True'
            ? n
            : undefined;
        },
        { timeoutMs },
      ),
    async stop() {
      const pid = cluster.pid;
      try {
        await cluster.stop();
        assert.throws(() => process.kill(pid, 0), 'k8ts server still running');
      } finally {
        await clean();
      }
    },
  };
}
