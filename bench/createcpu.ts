// bench/createcpu: server CPU time per create, which a loaded shared machine does not distort the way it
// distorts creates/s. Starts a real `k8ts server --disable-agent` (SQLite store, in-process controllers),
// reads utime+stime of its pid from /proc before and after N ConfigMap POSTs (then N Pod POSTs) from a
// 64-connection keep-alive client, and prints CPU microseconds per create.
//
//   npm run build && node dist/bench/createcpu.js [--n 20000] [--only configmap|pod] [--cpu-prof DIR]
//     [--node-flag=--some-v8-flag ...] [--server path/to/k8ts.js] (another build's server, to compare two builds under the same load)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cmBody, waitForLine } from './lib/load.js';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    only: { type: 'string' },
    server: { type: 'string', default: 'dist/src/cmd/k8ts.js' },
    'node-flag': { type: 'string', multiple: true, default: [] },
    'cpu-prof': { type: 'string' },
  },
});
const N = Number(flags.n);
const CONCURRENCY = 64;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(base: string, path: string, body: string): Promise<number> {
  return new Promise((res, rej) => {
    const u = new URL(path, base);
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode ?? 0));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

/** utime + stime of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
}

async function closedLoop(total: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) await op(next++);
    }),
  );
}

// Pods name their node, so the measure is the create and the controllers' reaction to it, not the
// scheduler's retries of pods that fit nowhere (the server runs no node here).
const podBody = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench' } },
    spec: {
      nodeName: 'bench-node',
      containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }],
    },
  });
const nodeBody = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'bench-node' },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

/** Creates `n` objects and returns the server's CPU microseconds per create, after a settle pause. */
async function measure(
  pid: number,
  base: string,
  path: string,
  body: (i: number) => string,
): Promise<number> {
  const before = cpuMicros(pid);
  await closedLoop(N, async (i) => {
    const status = await post(base, path, body(i));
    if (status !== 201) throw new Error(`create ${path}: ${status}`);
  });
  // Let the in-process controllers finish reacting to the creates (their work is part of a create's cost).
  await new Promise((r) => setTimeout(r, 2000));
  return (cpuMicros(pid) - before) / N;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-createcpu-'));
  const nodeArgs = [
    ...flags['node-flag'],
    ...(flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', flags['cpu-prof']] : []),
  ];
  const server = spawn(
    process.execPath,
    [...nodeArgs, resolve(flags.server), 'server', '--data-dir', dataDir, '--port', '0', '--disable-agent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const url = (await waitForLine(server, /API server ready at (http:\/\/\S+)/))[1];
    await new Promise((r) => setTimeout(r, 1000));
    const pid = server.pid!;
    await post(url, '/api/v1/nodes', nodeBody);
    // Warm the JIT on both paths before measuring.
    await closedLoop(2000, async (i) => {
      if (flags.only !== 'pod') await post(url, '/api/v1/namespaces/default/configmaps', cmBody(`warm${i}`));
      if (flags.only !== 'configmap') await post(url, '/api/v1/namespaces/default/pods', podBody(`warm${i}`));
    });
    await new Promise((r) => setTimeout(r, 3000));
    const idle0 = cpuMicros(pid);
    await new Promise((r) => setTimeout(r, 2000));
    const idlePerSecond = (cpuMicros(pid) - idle0) / 2;
    const cm =
      flags.only === 'pod'
        ? Number.NaN
        : await measure(pid, url, '/api/v1/namespaces/default/configmaps', (i) => cmBody(`c${i}`));
    const pod =
      flags.only === 'configmap'
        ? Number.NaN
        : await measure(pid, url, '/api/v1/namespaces/default/pods', (i) => podBody(`p${i}`));
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`bench/createcpu: ${N} creates each, ${CONCURRENCY} keep-alive connections, load ${load}`);
    console.log(`idle server CPU             ${(idlePerSecond / 1000).toFixed(1)} ms/s`);
    console.log(`server CPU per ConfigMap    ${cm.toFixed(0)} µs`);
    console.log(`server CPU per Pod          ${pod.toFixed(0)} µs`);
  } finally {
    agent.destroy();
    if (server.exitCode === null) {
      const done = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await done;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
