// bench/client: what the client layer costs. Compares RestClient GETs with raw node:http on the same
// keep-alive setup (per-request overhead), parses a fast watch stream, times informer sync and watch
// delivery against the in-process API server, and measures the informer and work queue alone.
//
//   npm run build && node dist/bench/client.js [--quick]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiServer } from '../src/apiserver/server.js';
import { type ListerWatcher, restListerWatcher, SharedInformer } from '../src/client/informer.js';
import { silentLogger } from '../src/client/log.js';
import { ExponentialBackoffLimiter } from '../src/client/ratelimit.js';
import type { ObjectList } from '../src/client/resource.js';
import { RestClient } from '../src/client/rest.js';
import type { EventStream, WatchEvent } from '../src/client/watch.js';
import { WorkQueue } from '../src/client/workqueue.js';
import { openMemoryBackend } from '../src/storage/memory/index.js';

const quick = process.argv.includes('--quick');
const scale = quick ? 0.2 : 1;
const n = (x: number) => Math.max(10, Math.round(x * scale));

type Obj = Record<string, any>;
const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const sample: Obj = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'sample',
    namespace: 'default',
    uid: '6a1f0d53-0c56-4c39-9f55-1d7bd6f5f0a1',
    resourceVersion: '12345',
    creationTimestamp: '2025-01-01T00:00:00Z',
    labels: { app: 'web', tier: 'frontend' },
  },
  data: { 'config.yaml': 'x'.repeat(300) },
};

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

async function closedLoop(
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return performance.now() - start;
}

function rawGet(agent: http.Agent, base: URL, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: base.hostname, port: base.port, path, agent, headers: { accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function requestOverhead(): Promise<void> {
  const body = JSON.stringify(sample);
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const url = await listen(server);
  const agent = new http.Agent({ keepAlive: true });
  const client = new RestClient({ baseUrl: url });
  const cms = client.resource(configMaps).in('default');
  const total = n(20_000);
  for (const concurrency of [1, 32]) {
    // Interleave the two to share warm-up and noise.
    let raw = 0;
    let ours = 0;
    const base = new URL(url);
    for (let round = 0; round < 3; round++) {
      raw += await closedLoop(total / 3, concurrency, () =>
        rawGet(agent, base, '/api/v1/namespaces/default/configmaps/sample'),
      );
      ours += await closedLoop(total / 3, concurrency, () => cms.get('sample'));
    }
    console.log(
      `GET against a canned server, concurrency ${concurrency}: raw node:http ${((raw * 1000) / total).toFixed(1)} us/req (${Math.round((total / raw) * 1000)}/s), RestClient ${((ours * 1000) / total).toFixed(1)} us/req (${Math.round((total / ours) * 1000)}/s)`,
    );
  }
  client.close();
  agent.destroy();
  server.closeAllConnections();
  server.close();
}

async function watchParse(): Promise<void> {
  const total = n(100_000);
  const line = `${JSON.stringify({ type: 'ADDED', object: sample })}\n`;
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        let chunk = '';
        for (let i = 0; i < 100 && sent < total; i++, sent++) chunk += line;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const url = await listen(server);
  const client = new RestClient({ baseUrl: url });
  const start = performance.now();
  let count = 0;
  for await (const _ of await client.resource(configMaps).watch()) count++;
  const ms = performance.now() - start;
  console.log(
    `watch stream parse: ${count} events of ${line.length} B in ${ms.toFixed(0)} ms = ${Math.round((count / ms) * 1000)} events/s`,
  );
  client.close();
  server.close();
}

async function informerVsApiServer(): Promise<void> {
  const backend = await openMemoryBackend();
  const api = new ApiServer({ backend });
  const { port } = await api.listen(0);
  const client = new RestClient({ baseUrl: `http://127.0.0.1:${port}` });
  const cms = client.resource(configMaps).in('default');
  const pre = n(5_000);
  const mk = (name: string) => ({ ...sample, metadata: { name, labels: sample.metadata.labels } });
  await closedLoop(pre, 32, (i) => cms.create(mk(`pre-${i}`)));

  const t0 = performance.now();
  const inf = new SharedInformer<Obj>(restListerWatcher(cms), { log: silentLogger });
  inf.start();
  await inf.waitForSync();
  const syncMs = performance.now() - t0;
  console.log(`informer initial sync of ${pre} configmaps (pages of 500): ${syncMs.toFixed(0)} ms`);

  const more = n(5_000);
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => {
    done = r;
  });
  inf.addEventHandler({
    onAdd: (_o, initial) => {
      if (!initial && ++seen === more) done();
    },
  });
  const w0 = performance.now();
  const writeMs = await closedLoop(more, 32, (i) => cms.create(mk(`live-${i}`)));
  await all;
  const seenMs = performance.now() - w0;
  console.log(
    `informer watch delivery: ${more} creates took ${writeMs.toFixed(0)} ms (${Math.round((more / writeMs) * 1000)}/s); all ${more} seen by the informer after ${seenMs.toFixed(0)} ms (lag after the last write ${(seenMs - writeMs).toFixed(0)} ms)`,
  );
  await inf.stop();
  client.close();
  await api.close();
  await backend.close();
}

/** The informer alone: events from memory through store, indexes and a handler. */
async function informerAlone(): Promise<void> {
  const total = n(200_000);
  const events: WatchEvent<Obj>[] = [];
  for (let i = 0; i < total; i++) {
    const name = `o-${i % 10_000}`;
    events.push({
      type: i < 10_000 ? 'ADDED' : 'MODIFIED',
      object: {
        ...sample,
        metadata: { ...sample.metadata, name, namespace: `ns-${i % 50}`, resourceVersion: String(i + 2) },
      },
    });
  }
  let finished!: () => void;
  const over = new Promise<void>((r) => {
    finished = r;
  });
  const lw: ListerWatcher<Obj> = {
    list: async (): Promise<ObjectList<Obj>> => ({
      apiVersion: 'v1',
      kind: 'List',
      metadata: { resourceVersion: '1' },
      items: [],
    }),
    watch: async (): Promise<EventStream<Obj>> => ({
      stop: () => {},
      async *[Symbol.asyncIterator]() {
        yield* events;
        finished();
        await new Promise(() => {});
      },
    }),
  };
  const inf = new SharedInformer<Obj>(lw, {
    log: silentLogger,
    indexers: { app: (o) => [o.metadata.labels.app] },
  });
  let handled = 0;
  inf.addEventHandler({ onAdd: () => handled++, onUpdate: () => handled++ });
  const start = performance.now();
  inf.start();
  await over;
  const ms = performance.now() - start;
  console.log(
    `informer alone (store + 2 indexes + handler): ${handled} events in ${ms.toFixed(0)} ms = ${Math.round((handled / ms) * 1000)} events/s`,
  );
  void inf.stop();
}

async function workqueue(): Promise<void> {
  const total = n(200_000);
  const q = new WorkQueue<string>({ rateLimiter: new ExponentialBackoffLimiter() });
  const start = performance.now();
  for (let i = 0; i < total; i++) q.add(`ns/key-${i}`);
  for (let i = 0; i < total; i++) {
    const k = (await q.get())!;
    q.done(k);
    q.forget(k);
  }
  const ms = performance.now() - start;
  console.log(
    `work queue add+get+done+forget: ${total} keys in ${ms.toFixed(0)} ms = ${Math.round((total / ms) * 1000)}/s`,
  );
  q.shutDown();
}

await requestOverhead();
await watchParse();
await informerVsApiServer();
await informerAlone();
await workqueue();
