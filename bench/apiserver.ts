// bench/apiserver: load on a real `k8ts server` (SQLite store) over loopback HTTP, next to a bare Node.js
// server that answers with a canned object, using the same load generator in the same run.
// Prints creates/s, gets/s, list latency for 5,000 pods, mutating latency p50/p99 at a fixed rate,
// watch fan-out to 1,000 watchers, and the idle RSS of a fresh server.
//
//   npm run build && node dist/bench/apiserver.js [--quick]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cmBody, waitForLine } from './lib/load.js';

const quick = process.argv.includes('--quick');
const CONCURRENCY = 64;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 8 });

interface Reply {
  status: number;
  body: string;
}

function request(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((res, rej) => {
    const u = new URL(path, base);
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        agent,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `total` operations with `concurrency` workers; returns ops/s. */
async function closedLoop(
  total: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

/** Issues `rate` ops/s for `seconds`, returning each op's latency in ms. */
async function openLoop(rate: number, seconds: number, op: (i: number) => Promise<void>): Promise<number[]> {
  const lat: number[] = [];
  const total = rate * seconds;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      (async () => {
        const t0 = performance.now();
        await op(i);
        lat.push(performance.now() - t0);
      })(),
    );
  }
  await Promise.all(pending);
  return lat.sort((a, b) => a - b);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

const BARE_SERVER = `
const http = require('node:http');
const obj = JSON.stringify({kind:'ConfigMap',apiVersion:'v1',metadata:{name:'x',namespace:'default',uid:'00000000-0000-0000-0000-000000000000',resourceVersion:'1',creationTimestamp:'2026-01-01T00:00:00Z'},data:{a:'1'}});
const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(req.method === 'POST' ? 201 : 200, {'content-type':'application/json','content-length':Buffer.byteLength(obj)}); res.end(obj); }); });
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => console.log('bare ready at http://127.0.0.1:' + s.address().port));
`;

const podBody = (ns: string, name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'bench' } },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  });

async function main(): Promise<void> {
  const n = quick ? 2000 : 10000;
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-bench-'));
  const server = spawn(
    process.execPath,
    [resolve('dist/src/cmd/k8ts.js'), 'server', '--data-dir', dataDir, '--port', '0', '--disable-agent'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const bare = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = (await waitForLine(server, /API server ready at (http:\/\/\S+)/))[1];
    const bareUrl = (await waitForLine(bare, /bare ready at (http:\/\/\S+)/))[1];
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = rssMiB(server.pid!);

    const rows: [string, string, string, string][] = [];
    // Warm both servers and the generator's JIT so the first measured loop is not the cold one.
    for (const base of [bareUrl, url]) {
      await closedLoop(1000, CONCURRENCY, async (i) => {
        await request(base, 'POST', '/api/v1/namespaces/default/configmaps', cmBody(`warm${i}`));
        await request(base, 'GET', `/api/v1/namespaces/default/configmaps/warm${i}`);
      });
    }
    // creates
    const bareCreate = await closedLoop(n, CONCURRENCY, async (i) => {
      await request(bareUrl, 'POST', '/api/v1/namespaces/default/configmaps', cmBody(`c${i}`));
    });
    const k8tsCreate = await closedLoop(n, CONCURRENCY, async (i) => {
      const r = await request(url, 'POST', '/api/v1/namespaces/default/configmaps', cmBody(`c${i}`));
      if (r.status !== 201) throw new Error(`create: ${r.status} ${r.body}`);
    });
    rows.push([
      'creates/s (64 clients)',
      k8tsCreate.toFixed(0),
      bareCreate.toFixed(0),
      `${((100 * k8tsCreate) / bareCreate).toFixed(0)}%`,
    ]);
    // gets
    const gets = n * 2;
    const bareGet = await closedLoop(gets, CONCURRENCY, async (i) => {
      await request(bareUrl, 'GET', `/api/v1/namespaces/default/configmaps/c${i % n}`);
    });
    const k8tsGet = await closedLoop(gets, CONCURRENCY, async (i) => {
      const r = await request(url, 'GET', `/api/v1/namespaces/default/configmaps/c${i % n}`);
      if (r.status !== 200) throw new Error(`get: ${r.status} ${r.body}`);
    });
    rows.push([
      'gets/s (64 clients)',
      k8tsGet.toFixed(0),
      bareGet.toFixed(0),
      `${((100 * k8tsGet) / bareGet).toFixed(0)}%`,
    ]);

    // mutating latency at a fixed rate (creates then updates via merge patch)
    const rate = 1000;
    const lat = await openLoop(rate, quick ? 3 : 10, async (i) => {
      const r = await request(
        url,
        'PATCH',
        `/api/v1/namespaces/default/configmaps/c${i % n}`,
        JSON.stringify({ data: { b: String(i) } }),
        {
          'content-type': 'application/merge-patch+json',
        },
      );
      if (r.status !== 200) throw new Error(`patch: ${r.status} ${r.body}`);
    });
    rows.push([`mutating p50 ms @${rate}/s`, pct(lat, 50).toFixed(2), '', '']);
    rows.push([`mutating p99 ms @${rate}/s`, pct(lat, 99).toFixed(2), '', '']);

    // list of 5,000 pods
    await request(
      url,
      'POST',
      '/api/v1/namespaces',
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }),
    );
    const probe = await request(url, 'POST', '/api/v1/namespaces/bench/pods', podBody('bench', 'probe'));
    const podsServed = probe.status === 201;
    if (podsServed) {
      await closedLoop(4999, CONCURRENCY, async (i) => {
        const r = await request(url, 'POST', '/api/v1/namespaces/bench/pods', podBody('bench', `p${i}`));
        if (r.status !== 201) throw new Error(`pod create: ${r.status} ${r.body}`);
      });
      const listLat: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        const r = await request(url, 'GET', '/api/v1/namespaces/bench/pods');
        listLat.push(performance.now() - t0);
        if (JSON.parse(r.body).items.length !== 5000) throw new Error('list size');
      }
      listLat.sort((a, b) => a - b);
      rows.push(['list 5,000 pods, median ms', pct(listLat, 50).toFixed(1), '', '']);
    } else {
      rows.push(['list 5,000 pods', 'pods not served yet', '', '']);
    }

    // watch fan-out: 1,000 watchers on one namespace, time until the last one has the event
    const watchers = 1000;
    const fanAgent = new http.Agent({ keepAlive: true, maxSockets: watchers + 10 });
    const list = JSON.parse(
      (await request(url, 'GET', '/api/v1/namespaces/default/configmaps?limit=1')).body,
    );
    const rv = list.metadata.resourceVersion;
    let received = 0;
    let resolveAll: () => void = () => {};
    const all = new Promise<void>((r) => {
      resolveAll = r;
    });
    let lastAt = 0;
    const reqs: http.ClientRequest[] = [];
    await Promise.all(
      Array.from(
        { length: watchers },
        () =>
          new Promise<void>((ready) => {
            const u = new URL(
              `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dfanout`,
              url,
            );
            const req = http.get(
              { host: u.hostname, port: u.port, path: u.pathname + u.search, agent: fanAgent },
              (res) => {
                ready();
                res.on('data', () => {
                  received++;
                  if (received === watchers) {
                    lastAt = performance.now();
                    resolveAll();
                  }
                });
              },
            );
            reqs.push(req);
          }),
      ),
    );
    const t0 = performance.now();
    await request(url, 'POST', '/api/v1/namespaces/default/configmaps', cmBody('fanout'));
    await all;
    rows.push([`watch fan-out to ${watchers} watchers, ms`, (lastAt - t0).toFixed(1), '', '']);
    for (const r of reqs) r.destroy();
    fanAgent.destroy();
    rows.push(['idle RSS of a fresh server, MiB', idleRss.toFixed(1), '', '']);
    rows.push(['RSS after the run, MiB', rssMiB(server.pid!).toFixed(1), '', '']);

    console.log(`\nbench/apiserver (loopback HTTP, ${CONCURRENCY} concurrent clients, ${n} objects)\n`);
    console.log(
      `${'figure'.padEnd(40)}${'k8ts'.padStart(14)}${'bare node'.padStart(12)}${'ratio'.padStart(8)}`,
    );
    for (const [a, b, c, d] of rows)
      console.log(`${a.padEnd(40)}${b.padStart(14)}${c.padStart(12)}${d.padStart(8)}`);
  } finally {
    agent.destroy();
    await stop(server);
    await stop(bare);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
