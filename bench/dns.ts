// bench/dns: the cluster DNS server as a node runs it (Service, EndpointSlice and Namespace informers
// against an in-process API server, the UDP server on loopback), at N Services: 90% ClusterIP, 10% headless
// with 10 ready endpoints each. A worker thread sends queries for random cluster names (A for ClusterIP and
// headless Services, SRV for named ports) with a window of in-flight queries and measures each answer.
// Prints: queries/s, p50/p99/max latency, the in-process lookup rate, and the memory the DNS caches cost
// (heap and RSS before and after the informers synced; run with --expose-gc for steadier figures).
//
//   npm run build && node --expose-gc dist/bench/dns.js [--services=1000] [--seconds=5] [--window=32]
import { createSocket } from 'node:dgram';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as packet from 'dns-packet';
import { ApiServer } from '../src/apiserver/server.js';
import { RestClient, silentLogger } from '../src/client/index.js';
import { startClusterDNS } from '../src/dns/index.js';
import { openBackend } from '../src/storage/index.js';

const num = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};

const SERVICES = { group: '', version: 'v1', plural: 'services', namespaced: true };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };
const NAMESPACES = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
const NS_COUNT = 10;

interface LoadSpec {
  port: number;
  names: { name: string; type: 'A' | 'SRV' }[];
  seconds: number;
  window: number;
}

/** The worker: keeps `window` queries in flight for `seconds`; posts back the latencies in µs. */
async function load(spec: LoadSpec): Promise<void> {
  const sock = createSocket('udp4');
  const sent = new Map<number, number>();
  const lat: number[] = [];
  let nextId = 1;
  let errors = 0;
  let truncated = 0;
  const end = performance.now() + spec.seconds * 1000;
  const fire = () => {
    const q = spec.names[Math.floor(Math.random() * spec.names.length)];
    const id = nextId++ & 0xffff;
    nextId &= 0xffff;
    const buf = packet.encode({
      type: 'query',
      id,
      flags: 0x100,
      questions: [{ type: q.type, name: q.name }],
    });
    sent.set(id, performance.now());
    sock.send(buf, spec.port, '127.0.0.1');
  };
  await new Promise<void>((resolve) => {
    sock.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const t0 = sent.get(id);
      if (t0 === undefined) return;
      sent.delete(id);
      const flags = msg.readUInt16BE(2);
      if (flags & 0x200) truncated++;
      else if ((flags & 0xf) !== 0 || msg.readUInt16BE(6) === 0) errors++;
      lat.push((performance.now() - t0) * 1000);
      if (performance.now() < end) fire();
      else if (sent.size === 0) resolve();
    });
    for (let i = 0; i < spec.window; i++) fire();
    // Lost datagrams would hold the end forever: stop waiting a second after the deadline.
    setTimeout(resolve, spec.seconds * 1000 + 1000);
  });
  sock.close();
  parentPort!.postMessage({ lat, errors, truncated, lost: sent.size });
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function main(): Promise<void> {
  const N = num('services', 1000);
  const seconds = num('seconds', 5);
  const window = num('window', 32);
  const backend = await openBackend('memory://');
  const api = new ApiServer({ backend, serviceCidr: '10.43.0.0/16' });
  const addr = await api.listen(0, '127.0.0.1');
  const rest = new RestClient({ baseUrl: `http://127.0.0.1:${addr.port}`, qps: 0 });

  const names: LoadSpec['names'] = [];
  for (let n = 0; n < NS_COUNT; n++)
    await rest.resource(NAMESPACES).create({ metadata: { name: `ns-${n}` } });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const ns = `ns-${i % NS_COUNT}`;
    const headless = i % 10 === 0;
    const name = `svc-${i}`;
    await rest
      .resource(SERVICES)
      .in(ns)
      .create({
        metadata: { name },
        spec: {
          ...(headless ? { clusterIP: 'None' } : {}),
          selector: { app: name },
          ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
        },
      });
    if (headless)
      await rest
        .resource(SLICES)
        .in(ns)
        .create({
          metadata: { name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
          addressType: 'IPv4',
          endpoints: Array.from({ length: 10 }, (_, k) => ({
            addresses: [`10.42.${Math.floor(i / 25)}.${(i % 25) * 10 + k + 1}`],
            conditions: { ready: true },
          })),
          ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
        });
    names.push({ name: `${name}.${ns}.svc.cluster.local`, type: 'A' });
    if (i % 5 === 0) names.push({ name: `_http._tcp.${name}.${ns}.svc.cluster.local`, type: 'SRV' });
  }
  const created = performance.now() - t0;

  gc();
  const before = process.memoryUsage();
  const dns = await startClusterDNS({ rest, host: '127.0.0.1', port: 0, upstreams: [], log: silentLogger });
  const s0 = performance.now();
  await dns.synced();
  const syncMs = performance.now() - s0;
  gc();
  const after = process.memoryUsage();

  // In-process lookups (no sockets): what the record module costs per query.
  const lookups = 200_000;
  const l0 = performance.now();
  for (let i = 0; i < lookups; i++) dns.records.lookup(names[i % names.length]);
  const lookupRate = lookups / ((performance.now() - l0) / 1000);

  const worker = new Worker(new URL(import.meta.url), {
    workerData: { port: dns.port, names, seconds, window } satisfies LoadSpec,
  });
  const result = await new Promise<{ lat: number[]; errors: number; truncated: number; lost: number }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    },
  );
  await worker.terminate();
  const lat = result.lat.sort((a, b) => a - b);
  const pct = (p: number) => (lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] / 1000).toFixed(3);

  console.log(`cluster DNS at ${N} Services (${N / 10} headless with 10 endpoints), ${NS_COUNT} namespaces`);
  console.log(`  created in ${(created / 1000).toFixed(1)} s; informers synced in ${syncMs.toFixed(0)} ms`);
  console.log(
    `  UDP over loopback, window ${window}, ${seconds} s: ${(lat.length / seconds).toFixed(0)} queries/s, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms (${result.errors} errors, ${result.truncated} truncated, ${result.lost} lost)`,
  );
  console.log(`  in-process lookup: ${lookupRate.toFixed(0)} lookups/s`);
  console.log(
    `  memory of the DNS caches: heapUsed +${mib(after.heapUsed - before.heapUsed)}, rss +${mib(after.rss - before.rss)} (rss now ${mib(after.rss)}, API server in the same process)${(globalThis as { gc?: unknown }).gc ? '' : ' [no --expose-gc]'}`,
  );
  await dns.stop();
  rest.close();
  await api.close();
  await backend.close();
}

if (isMainThread)
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
else void load(workerData as LoadSpec);
