// bench/node: the node agent on one node with the image present, through the whole control plane.
//   1. `k8ts server` start (fresh data dir, then again warm) until its Node is Ready;
//   2. pod startup latency, creation until a watch sees phase Running: p50/p99 for 30 pods created at once;
//   3. time until 100 pods created at once are all Running;
//   4. the node agent's RSS (run as `k8ts agent` against a `k8ts server --disable-agent` for 2 and 3).
// Runs as root with containerd; its bridge, cgroup root and pod range are its own, and it removes them.
//
//   npm run build && node dist/bench/node.js [--pods 30] [--many 100]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RestClient } from '../src/client/rest.js';
import { containerdPaths } from '../src/runtime/containerd-config.js';
import { CriClient } from '../src/runtime/cri/client.js';
import { cleanupNodeDataDir } from '../test/helpers/node-cleanup.js';
import { nodeFlags } from '../test/helpers/node-cluster.js';
import { pickTestPodCidr, runtimeSkipReason, testBridgeName } from '../test/helpers/node-runtime.js';

type Obj = Record<string, any>;
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PODS = arg('--pods', 30);
const MANY = arg('--many', 100);
const K8TS = resolve('dist/src/cmd/k8ts.js');
const PODS_REF = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
const NODES_REF = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };
const NS = 'default';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [K8TS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return {
    child,
    output: () => out,
    async waitFor(re, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${re} in:\n${out}`);
        await sleep(5);
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function nodeReadyAfter(rest: RestClient, node: string, t0: number): Promise<number> {
  for (;;) {
    try {
      const n = await rest.resource<Obj>(NODES_REF).get(node);
      if (n.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status === 'True')
        return performance.now() - t0;
    } catch {
      // not registered yet
    }
    await sleep(10);
  }
}

function podManifest(name: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'node' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: 'k8ts.local/busybox:latest', command: ['sleep', '3600'] }],
    },
  };
}

/** Creates n pods at once and returns each one's creation-to-Running latency (ms), seen by a watch. */
async function startPods(
  rest: RestClient,
  prefix: string,
  n: number,
): Promise<{ latencies: number[]; allMs: number }> {
  const pods = rest.resource<Obj>(PODS_REF).in(NS);
  const list = await pods.list({ labelSelector: 'bench=node' });
  const watch = await pods.watch({
    labelSelector: 'bench=node',
    resourceVersion: list.metadata.resourceVersion,
  });
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const t0 = performance.now();
  const done = (async () => {
    for await (const ev of watch) {
      const name = ev.object?.metadata?.name as string;
      if (!name?.startsWith(prefix) || running.has(name)) continue;
      if (ev.object?.status?.phase === 'Running') running.set(name, performance.now());
      if (running.size === n) break;
    }
  })();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const name = `${prefix}-${i}`;
      created.set(name, performance.now());
      await pods.create(podManifest(name));
    }),
  );
  await Promise.race([
    done,
    sleep(120_000).then(() =>
      Promise.reject(new Error(`only ${running.size}/${n} pods Running after 120 s`)),
    ),
  ]);
  watch.stop();
  const latencies = [...running].map(([name, t]) => t - created.get(name)!).sort((a, b) => a - b);
  return { latencies, allMs: Math.max(...running.values()) - t0 };
}

/** Deletes the bench pods and waits until the runtime has no sandbox left, so phases do not overlap. */
async function deleteAll(rest: RestClient, cri: CriClient): Promise<void> {
  const pods = rest.resource<Obj>(PODS_REF).in(NS);
  await pods.deleteCollection({ labelSelector: 'bench=node', gracePeriodSeconds: 0 });
  for (;;) {
    const left = (await pods.list({ labelSelector: 'bench=node' })).items.length;
    if (left === 0 && (await cri.listPodSandbox()).length === 0) return;
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const skip = runtimeSkipReason();
  if (skip) {
    console.log(`bench/node: skipped: ${skip}`);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-bench-node-'));
  const bridge = testBridgeName();
  const cgroupRoot = `/k8ts-bench-${process.pid}`;
  const nodeName = `bench-node-${process.pid}`;
  // The cluster CIDR is one /24, which the node gets whole: room for 250 pods.
  const cidr = pickTestPodCidr(2);
  const nodeArgs = nodeFlags({ bridge, cgroupRoot, nodeName });
  const serverArgs = ['server', '--data-dir', dataDir, '--port', '0', '--cluster-cidr', cidr];
  const procs: Proc[] = [];
  console.log(
    `bench/node: ${PODS} pods at once, then ${MANY}; load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  try {
    // 1. Node Ready after `k8ts server` start, fresh then warm.
    for (const label of ['fresh data dir', 'warm restart']) {
      const t0 = performance.now();
      const server = run([...serverArgs, ...nodeArgs]);
      procs.push(server);
      const url = (await server.waitFor(/API server ready at (http:\/\/\S+)/))[1];
      const rest = new RestClient({ baseUrl: url });
      const ms = await nodeReadyAfter(rest, nodeName, t0);
      console.log(`node Ready after k8ts server start (${label}): ${ms.toFixed(0)} ms`);
      rest.close();
      await server.stop();
    }

    // 2-4. The control plane alone, and the node as a separate `k8ts agent` process.
    const server = run([...serverArgs, '--disable-agent']);
    procs.push(server);
    const url = (await server.waitFor(/API server ready at (http:\/\/\S+)/))[1];
    const agent = run(['agent', '--server', url, '--data-dir', dataDir, ...nodeArgs]);
    procs.push(agent);
    const rest = new RestClient({ baseUrl: url, qps: 1000, burst: 1000 });
    await nodeReadyAfter(rest, nodeName, performance.now());
    const cri = new CriClient(containerdPaths(dataDir).socket);
    await sleep(1_000);
    const idleRss = rssMiB(agent.child.pid!);
    let peakRss = idleRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(agent.child.pid!))), 100);

    const a = await startPods(rest, 'lat', PODS);
    console.log(
      `${PODS} pods at once, creation to Running: p50 ${percentile(a.latencies, 50).toFixed(0)} ms, p99 ${percentile(a.latencies, 99).toFixed(0)} ms, max ${a.latencies.at(-1)!.toFixed(0)} ms`,
    );
    await deleteAll(rest, cri);
    const b = await startPods(rest, 'many', MANY);
    console.log(
      `${MANY} pods at once: all Running after ${(b.allMs / 1000).toFixed(2)} s (p50 ${percentile(b.latencies, 50).toFixed(0)} ms, p99 ${percentile(b.latencies, 99).toFixed(0)} ms)`,
    );
    const runningRss = rssMiB(agent.child.pid!);
    clearInterval(sampler);
    // K8TS_MEMLOG=1: the agent logs its heap every 5 s; show the last reading.
    const memlog = agent
      .output()
      .split('\n')
      .filter((l) => l.includes('agent memory'));
    if (memlog.length > 0) console.log(memlog.at(-1));
    console.log(
      `node agent (k8ts agent) RSS: idle ${idleRss.toFixed(0)} MiB, with ${MANY} pods ${runningRss.toFixed(0)} MiB, peak ${peakRss.toFixed(0)} MiB`,
    );
    await deleteAll(rest, cri);
    rest.close();
    cri.close();
    console.log(
      `load average after: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
