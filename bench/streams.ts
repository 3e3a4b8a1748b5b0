// bench/streams: exec and port-forward through the API server, the kubelet and containerd's streaming server,
// on one local node (root, containerd). Prints:
//   1. `kubectl exec POD -- true` wall time (p50/p90 of N runs, process start included) for kubectl 1.27
//      (SPDY), 1.33 (websocket v5, translated to SPDY by the API server) and 1.33 with websockets disabled;
//   2. port-forward download throughput of a 64 MiB file from busybox httpd, kubectl 1.27 (SPDY) and 1.33
//      (SPDY tunnelled in a websocket).
//
//   npm run build && node dist/bench/streams.js [--runs 20]
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cluster, kubectlPath, startCluster } from '../test/helpers/cluster.js';
import { cleanupNodeDataDir } from '../test/helpers/node-cleanup.js';
import { pickTestPodCidr, runtimeSkipReason, testBridgeName } from '../test/helpers/node-runtime.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kubectl(
  cluster: Cluster,
  v: '1.27' | '1.33',
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      kubectlPath(v),
      ['--kubeconfig', cluster.kubeconfig, ...args],
      { env: { PATH: process.env.PATH, HOME: cluster.dataDir, ...env }, timeout: 60_000, maxBuffer: 1 << 26 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function execTimes(
  cluster: Cluster,
  v: '1.27' | '1.33',
  env: Record<string, string>,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await kubectl(cluster, v, ['exec', 'bench', '--', 'true'], env);
    if (r.code !== 0) throw new Error(`exec ${v}: ${r.stderr}`);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

async function forwardThroughput(cluster: Cluster, v: '1.27' | '1.33'): Promise<number> {
  const pf = spawn(
    kubectlPath(v),
    ['--kubeconfig', cluster.kubeconfig, 'port-forward', 'pod/bench', ':8080'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: cluster.dataDir },
    },
  );
  try {
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`port-forward printed no port: ${out}`)), 15_000);
      pf.stdout!.on('data', (d) => {
        out += d;
        const m = /127\.0\.0\.1:(\d+) -> 8080/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
    });
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/big`);
    const bytes = (await res.arrayBuffer()).byteLength;
    return bytes / (1 << 20) / ((performance.now() - t0) / 1000);
  } finally {
    const exited = new Promise((r) => pf.once('exit', r));
    process.kill(pf.pid!, 'SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const skip = runtimeSkipReason();
  if (skip) {
    console.log(`bench/streams skipped: ${skip}`);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-bench-streams-'));
  const bridge = testBridgeName();
  const cgroupRoot = `/k8ts-bench-${process.pid}`;
  const cluster = await startCluster({
    agent: true,
    dataDir,
    args: ['--cluster-cidr', pickTestPodCidr(2), '--cni-bridge', bridge, '--cgroup-root', cgroupRoot],
  });
  try {
    console.log(
      `load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bench' },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'httpd',
            image: 'k8ts.local/busybox:latest',
            command: [
              'sh',
              '-c',
              'dd if=/dev/zero of=/tmp/big bs=1M count=64 2>/dev/null; exec httpd -f -p 8080 -h /tmp',
            ],
          },
        ],
      },
    };
    await new Promise<void>((resolve, reject) => {
      const p = execFile(
        kubectlPath('1.33'),
        ['--kubeconfig', cluster.kubeconfig, 'apply', '-f', '-'],
        (err) => (err ? reject(err) : resolve()),
      );
      p.stdin!.end(JSON.stringify(pod));
    });
    for (let i = 0; ; i++) {
      const r = await kubectl(cluster, '1.33', ['get', 'pod', 'bench', '-o', 'jsonpath={.status.phase}']);
      if (r.stdout === 'Running') break;
      if (i > 600) throw new Error('bench pod not Running');
      await sleep(100);
    }
    await sleep(500); // the file is written before httpd starts
    const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
    for (const [label, v, env] of [
      ['1.27 SPDY', '1.27', {}],
      ['1.33 websocket v5 (translated)', '1.33', {}],
      [
        '1.33 SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)',
        '1.33',
        { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
      ],
    ] as const) {
      const t = await execTimes(cluster, v, env);
      console.log(
        `exec ${label}: p50 ${pct(t, 50).toFixed(0)} ms, p90 ${pct(t, 90).toFixed(0)} ms (${RUNS} runs)`,
      );
    }
    for (const [label, v] of [
      ['1.27 SPDY', '1.27'],
      ['1.33 SPDY in websocket', '1.33'],
    ] as const) {
      const mbs = await forwardThroughput(cluster, v);
      console.log(`port-forward ${label}: ${mbs.toFixed(1)} MiB/s (64 MiB download)`);
    }
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await cluster.stop();
    await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
