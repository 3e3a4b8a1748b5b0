// bench/endpoints: the Endpoints and EndpointSlice controllers (inside the whole controller manager)
// against an in-process API server over SQLite, as `k8ts server` runs them. The bench writes pod status
// itself (no kubelet). Prints: the time from N ready pods existing until the Endpoints and the slices
// list them all; the latency from one pod's readiness change to the Endpoints and to its slice (median
// and max over several flips); the time until a scale-down to N/10 is published; the slice count.
//
//   npm run build && node dist/bench/endpoints.js [--pods=500] [--flips=20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../src/apiserver/server.js';
import { RestClient, SharedInformerFactory, silentLogger } from '../src/client/index.js';
import { startControllerManager } from '../src/controllers/manager.js';
import { openBackend } from '../src/storage/index.js';

type Obj = Record<string, any>;

const num = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
const N = num('pods', 500);
const FLIPS = num('flips', 20);
const NS = 'default';
const PODS = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const SERVICES = { group: '', version: 'v1', plural: 'services', namespaced: true };
const NODES = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const ENDPOINTS = { group: '', version: 'v1', plural: 'endpoints', namespaced: true };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };

const ipOf = (i: number) => `10.42.${Math.floor(i / 250)}.${(i % 250) + 2}`;

function podStatus(ip: string, ready: boolean): Obj {
  return {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString() },
    ],
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-ep-'));
  const backend = await openBackend(`sqlite://${join(dir, 'state.db')}`);
  const api = new ApiServer({ backend });
  const addr = await api.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  const cm = startControllerManager({ baseUrl, log: silentLogger });
  const rest = new RestClient({ baseUrl });

  // Watch what the controllers publish.
  const factory = new SharedInformerFactory(rest, { log: silentLogger });
  const epInf = factory.informerFor<Obj>(ENDPOINTS);
  const sliceInf = factory.informerFor<Obj>(SLICES);
  factory.start();
  await factory.waitForSync();
  const waiters: (() => void)[] = [];
  const poke = () => {
    for (const w of waiters.splice(0)) w();
  };
  epInf.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
  sliceInf.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
  const until = async (ok: () => boolean): Promise<number> => {
    while (!ok()) await new Promise<void>((r) => waiters.push(r));
    return performance.now();
  };
  const ep = () => epInf.store.get(`${NS}/bench`);
  const readyInEndpoints = () =>
    (ep()?.subsets ?? []).reduce((n: number, s: Obj) => n + (s.addresses?.length ?? 0), 0);
  const slices = () =>
    sliceInf.store.list().filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'bench');
  const readyInSlices = () =>
    slices().reduce((n, s) => n + (s.endpoints ?? []).filter((e: Obj) => e.conditions?.ready).length, 0);

  await rest.resource(NODES).create({ metadata: { name: 'node-1' } });
  await rest
    .resource(SERVICES)
    .in(NS)
    .create({
      metadata: { name: 'bench' },
      spec: { selector: { app: 'bench' }, ports: [{ port: 80, targetPort: 8080 }] },
    });

  // N pods, created and made ready by the bench before the clock starts (8 at a time).
  const pods: Obj[] = new Array(N);
  const c0 = performance.now();
  for (let i = 0; i < N; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, N - i) }, async (_, k) => {
        const j = i + k;
        const p = await rest
          .resource<Obj>(PODS)
          .in(NS)
          .create({
            metadata: { name: `bench-${j}`, labels: { app: 'bench' } },
            spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] },
          });
        p.status = podStatus(ipOf(j), true);
        pods[j] = await rest.resource<Obj>(PODS).in(NS).updateStatus(p);
      }),
    );
  }
  const t0 = performance.now();
  const tEp = await until(() => readyInEndpoints() === N);
  const tSl = await until(() => readyInSlices() === N);
  console.log(`pods: ${N} ready (created and readied in ${((t0 - c0) / 1000).toFixed(1)} s)`);
  console.log(`  all in Endpoints: +${(tEp - t0).toFixed(0)} ms after the last pod turned ready`);
  console.log(`  all in EndpointSlices: +${(tSl - t0).toFixed(0)} ms (${slices().length} slices)`);

  // Readiness flips of one pod at a time: latency to each object.
  const lat = { ep: [] as number[], sl: [] as number[] };
  for (let f = 0; f < FLIPS; f++) {
    const j = (f * 37) % N;
    const ready = f % 2 === 1;
    const want = ready ? N : N - 1;
    const p = structuredClone(pods[j]);
    p.status = podStatus(ipOf(j), ready);
    const s = performance.now();
    pods[j] = await rest.resource<Obj>(PODS).in(NS).updateStatus(p);
    const [a, b] = await Promise.all([
      until(() => readyInEndpoints() === want),
      until(() => readyInSlices() === want),
    ]);
    lat.ep.push(a - s);
    lat.sl.push(b - s);
    if (!ready) {
      // Flip back before the next one.
      const q = structuredClone(pods[j]);
      q.status = podStatus(ipOf(j), true);
      pods[j] = await rest.resource<Obj>(PODS).in(NS).updateStatus(q);
      await until(() => readyInEndpoints() === N && readyInSlices() === N);
    }
  }
  const stats = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    return `median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms`;
  };
  console.log(`readiness flip -> Endpoints: ${stats(lat.ep)} (${FLIPS} flips)`);
  console.log(`readiness flip -> EndpointSlice: ${stats(lat.sl)}`);

  // Scale down to N/10 by deleting pods outright.
  const keep = Math.max(1, Math.floor(N / 10));
  const s0 = performance.now();
  for (let i = keep; i < N; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, N - i) }, (_, k) =>
        rest
          .resource(PODS)
          .in(NS)
          .delete(`bench-${i + k}`, { gracePeriodSeconds: 0 }),
      ),
    );
  }
  const sDel = performance.now();
  const sEp = await until(() => readyInEndpoints() === keep);
  const sSl = await until(() => readyInSlices() === keep);
  console.log(
    `scale down ${N} -> ${keep}: deletes took ${(sDel - s0).toFixed(0)} ms; Endpoints +${(sEp - sDel).toFixed(0)} ms, slices +${(sSl - sDel).toFixed(0)} ms after the last delete (${slices().length} slices)`,
  );

  await factory.stop();
  await cm.stop();
  rest.close();
  await api.close();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
