// bench/proxy: kube-proxy rule programming with real nft, inside a network namespace the bench makes and
// deletes (nothing on the host is touched). Prints, at each Service count (1,000 and 10,000 by default,
// each Service with one port and two endpoints):
//   - the full sync: script size, time to compute it and time for `nft -f -` to apply it;
//   - an incremental sync after one EndpointSlice change: latency from the change reaching the proxier
//     to the transaction being applied (includes the 10 ms coalescing window), and the apply time alone;
//   - the same after a Service is created and deleted;
// and, through an in-process API server with the proxy's informers (--api-services, default 1,000), the
// latency from an EndpointSlice update (the REST call) to the rule update being applied.
//
// --balance=vmap uses upstream's `numgen random mod N vmap` rules instead of the default per-rule draws.
//
//   npm run build && node dist/bench/proxy.js [--services=1000,10000] [--changes=20] [--api-services=1000]
//                                             [--balance=rules|vmap]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../src/apiserver/server.js';
import { RestClient, silentLogger } from '../src/client/index.js';
import { startServiceProxy } from '../src/proxy/index.js';
import { nftRunner } from '../src/proxy/nft.js';
import { Proxier, type SyncResult } from '../src/proxy/proxier.js';
import { openBackend } from '../src/storage/index.js';

type Obj = Record<string, any>;

const arg = (name: string, dflt: string) =>
  process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const COUNTS = arg('services', '1000,10000').split(',').map(Number);
const CHANGES = Number(arg('changes', '20'));
const API_SERVICES = Number(arg('api-services', '1000'));
const BALANCE = arg('balance', 'rules') === 'vmap' ? 'vmap' : 'rules';
const NETNS = `k8ts-proxy-bench-${process.pid}`;
const NS = 'bench';
const SERVICES = { group: '', version: 'v1', plural: 'services', namespaced: true };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };

const clusterIP = (i: number) => `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const podIP = (i: number) => `10.244.${Math.floor(i / 250) % 250}.${(i % 250) + 2}`;

function service(i: number): Obj {
  return {
    metadata: { namespace: NS, name: `svc-${i}` },
    spec: {
      type: 'ClusterIP',
      clusterIP: clusterIP(i),
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    },
  };
}

function slice(i: number, ips: string[]): Obj {
  return {
    metadata: { namespace: NS, name: `svc-${i}-1`, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'node-1' })),
  };
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${ms(s[Math.floor(s.length / 2)])}, p90 ${ms(s[Math.floor(s.length * 0.9)])}, max ${ms(s[s.length - 1])}`;
};

/** Resolves with the next applied sync. */
const nextSync = (p: Proxier) =>
  new Promise<SyncResult>((resolve) => {
    const off = p.onSync((r) => {
      off();
      resolve(r);
    });
  });

function newProxier(table: string): Proxier {
  return new Proxier({
    config: { table, localTraffic: { bridge: 'k8ts0' }, balance: BALANCE },
    nodeName: 'node-1',
    nft: nftRunner(['ip', 'netns', 'exec', NETNS, 'nft']),
    log: silentLogger,
  });
}

async function direct(n: number): Promise<void> {
  const p = newProxier('k8ts-proxy');
  for (let i = 0; i < n; i++) {
    p.upsertService(service(i));
    p.upsertSlice(slice(i, [podIP(2 * i), podIP(2 * i + 1)]));
  }
  const fullDone = nextSync(p);
  const f0 = performance.now();
  p.setSynced();
  const full = await fullDone;
  const fullWall = performance.now() - f0;
  console.log(`${n} Services (2 endpoints each, ${BALANCE} balancing):`);
  console.log(
    `  full sync: ${(full.bytes / 1024).toFixed(0)} KiB of nft script, compute ${ms(full.computeMs)}, nft apply ${ms(full.applyMs)} (${ms(fullWall)} in all)`,
  );
  // The floor of any transaction at this table size: nft reads the table back (its cache) every time.
  const floor: number[] = [];
  const run = nftRunner(['ip', 'netns', 'exec', NETNS, 'nft']);
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    await run('add table ip k8ts-proxy\n');
    floor.push(performance.now() - t0);
  }
  console.log(`  nft transaction floor (a no-op 'add table'): ${stats(floor)}`);
  // One EndpointSlice change at a time: an endpoint replaced in one Service.
  const latency: number[] = [];
  const apply: number[] = [];
  const bytes: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const i = (c * 7919) % n;
    const done = nextSync(p);
    const t0 = performance.now();
    p.upsertSlice(slice(i, [podIP(2 * i), `10.250.${c % 250}.${(i % 250) + 1}`]));
    const r = await done;
    latency.push(performance.now() - t0);
    apply.push(r.applyMs);
    bytes.push(r.bytes);
  }
  console.log(`  endpoint change -> applied: ${stats(latency)}`);
  console.log(`    of which nft apply: ${stats(apply)}; script ~${Math.round(bytes[0])} bytes`);
  // A Service created (with its slice), then deleted.
  const svcLat: number[] = [];
  for (let c = 0; c < Math.min(CHANGES, 10); c++) {
    const i = n + c;
    let done = nextSync(p);
    let t0 = performance.now();
    p.upsertService(service(i));
    p.upsertSlice(slice(i, [podIP(2 * i)]));
    await done;
    svcLat.push(performance.now() - t0);
    done = nextSync(p);
    t0 = performance.now();
    p.deleteService(service(i));
    p.deleteSlice(slice(i, []));
    await done;
    svcLat.push(performance.now() - t0);
  }
  console.log(`  Service create or delete -> applied: ${stats(svcLat)}`);
  await p.stop({ removeTable: true });
}

async function throughApi(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-proxy-'));
  const backend = await openBackend(`sqlite://${join(dir, 'state.db')}`);
  const api = new ApiServer({ backend, serviceCidr: '10.96.0.0/16' });
  const addr = await api.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  const rest = new RestClient({ baseUrl });
  try {
    await rest.resource({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }).create({
      metadata: { name: NS },
    });
    const slices: Obj[] = [];
    for (let i = 0; i < n; i += 16) {
      await Promise.all(
        Array.from({ length: Math.min(16, n - i) }, async (_, k) => {
          const j = i + k;
          const s = service(j);
          delete s.spec.clusterIP;
          await rest.resource(SERVICES).in(NS).create(s);
          slices[j] = await rest
            .resource<Obj>(SLICES)
            .in(NS)
            .create(slice(j, [podIP(2 * j), podIP(2 * j + 1)]));
        }),
      );
    }
    const proxy = await startServiceProxy({
      apiServer: baseUrl,
      nodeName: 'node-1',
      bridge: 'k8ts0',
      table: 'k8ts-proxy-api',
      nft: nftRunner(['ip', 'netns', 'exec', NETNS, 'nft']),
      log: silentLogger,
    });
    await proxy.ready;
    const latency: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const j = (c * 7919) % n;
      const s = structuredClone(slices[j]);
      s.endpoints[1].addresses = [`10.251.${c % 250}.${(j % 250) + 1}`];
      const done = nextSync(proxy.proxier);
      const t0 = performance.now();
      slices[j] = await rest.resource<Obj>(SLICES).in(NS).update(s);
      await done;
      latency.push(performance.now() - t0);
    }
    console.log(`through the API server (${n} Services, informers, 10 ms window):`);
    console.log(`  EndpointSlice update (REST call) -> rules applied: ${stats(latency)}`);
    await proxy.stop();
  } finally {
    await api.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/proxy needs root (a network namespace and nft)');
  const add = spawnSync('ip', ['netns', 'add', NETNS], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add: ${add.stderr}`);
  try {
    console.log(
      `load average at start: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    for (const n of COUNTS) await direct(n);
    if (API_SERVICES > 0) await throughApi(API_SERVICES);
    console.log(
      `load average at end: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    spawnSync('ip', ['netns', 'del', NETNS]);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
