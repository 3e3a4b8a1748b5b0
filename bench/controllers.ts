// bench/controllers: the controller manager against an API server over SQLite, in one process as
// `k8ts server` runs them. A stand-in kubelet marks every new pod Running+Ready through the status
// subresource (a Job's pods: Succeeded). Prints the time from creating a Deployment with N replicas until
// N pods exist and until it is available, the time of a rolling update of it (maxSurge 25%,
// maxUnavailable 25%), and the time for a Job to reach C completions with parallelism P.
//
//   npm run build && node dist/bench/controllers.js [--replicas=1000] [--completions=1000] [--parallelism=100]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../src/apiserver/server.js';
import { RestClient, SharedInformerFactory, silentLogger } from '../src/client/index.js';
import { startControllerManager } from '../src/controllers/manager.js';
import { openBackend } from '../src/storage/index.js';

type Obj = Record<string, any>;

const flag = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
const N = flag('replicas', 1000);
const COMPLETIONS = flag('completions', 1000);
const PARALLELISM = flag('parallelism', 100);
const PODS = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const DEPLOYMENTS = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
const JOBS = { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true };

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-ctrl-'));
  const backend = await openBackend(`sqlite://${join(dir, 'state.db')}`);
  const api = new ApiServer({ backend });
  const addr = await api.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  const rest = new RestClient({ baseUrl });

  // Baseline: what this API server takes from one client creating pods directly (64 at a time), so the
  // figures below can be read against the machine they ran on.
  await rest.resource<Obj>({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }).create({
    metadata: { name: 'baseline' },
  });
  const raw = rest.resource<Obj>(PODS).in('baseline');
  const tb = performance.now();
  let made = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (made < N) {
        made++;
        await raw.create({
          metadata: { generateName: 'raw-' },
          spec: { containers: [{ name: 'c', image: 'x:1' }] },
        });
      }
    }),
  );
  const base = performance.now() - tb;
  console.log(
    `baseline: ${N} pods created directly in ${base.toFixed(0)} ms (${((N * 1000) / base).toFixed(0)} pods/s)`,
  );

  const cm = startControllerManager({ baseUrl, log: silentLogger });
  // The stand-in kubelet (for the benchmark's namespace).
  const factory = new SharedInformerFactory(rest, { log: silentLogger, namespace: 'default' });
  const pods = factory.informerFor<Obj>(PODS);
  const readied = new Set<string>();
  let live = 0;
  const markReady = (p: Obj) => {
    if (p.metadata.deletionTimestamp || readied.has(p.metadata.uid)) return;
    readied.add(p.metadata.uid);
    const next = structuredClone(p);
    const now = new Date().toISOString();
    const job = (p.metadata.ownerReferences ?? []).some((r: Obj) => r.kind === 'Job');
    next.status = job
      ? {
          ...next.status,
          phase: 'Succeeded',
          conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: now }],
        }
      : {
          ...next.status,
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
        };
    rest
      .resource<Obj>(PODS)
      .in('default')
      .updateStatus(next)
      .catch(() => readied.delete(p.metadata.uid));
  };
  pods.addEventHandler({
    onAdd: (p) => {
      live++;
      markReady(p);
    },
    onDelete: () => live--,
  });
  factory.start();
  await factory.waitForSync();

  const deploys = rest.resource<Obj>(DEPLOYMENTS).in('default');
  const until = async (check: () => Promise<boolean> | boolean) => {
    while (!(await check())) await new Promise((r) => setTimeout(r, 20));
  };
  const available = async (image: string) => {
    const d = await deploys.get('bench');
    return (
      d.status?.observedGeneration === d.metadata.generation &&
      d.status?.updatedReplicas === N &&
      d.status?.availableReplicas === N &&
      d.status?.replicas === N &&
      d.spec.template.spec.containers[0].image === image
    );
  };

  // Requests the controller manager sent in each phase (its writes, events and reads).
  let mark = cm.ctx.rest.stats.requests;
  const requests = () => {
    const n = cm.ctx.rest.stats.requests - mark;
    mark = cm.ctx.rest.stats.requests;
    return n;
  };
  const t0 = performance.now();
  await deploys.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bench' },
    spec: {
      replicas: N,
      selector: { matchLabels: { app: 'bench' } },
      template: {
        metadata: { labels: { app: 'bench' } },
        spec: { containers: [{ name: 'c', image: 'x:1' }] },
      },
    },
  });
  await until(() => live >= N);
  const created = performance.now() - t0;
  await until(() => available('x:1'));
  const ready = performance.now() - t0;
  console.log(
    `${N} replicas: pods exist after ${created.toFixed(0)} ms (${((N * 1000) / created).toFixed(0)} pods/s)`,
  );
  console.log(
    `${N} replicas: deployment available after ${ready.toFixed(0)} ms (${requests()} controller requests)`,
  );

  const t1 = performance.now();
  await deploys.patch(
    'bench',
    { spec: { template: { spec: { containers: [{ name: 'c', image: 'x:2' }] } } } },
    { type: 'strategic' },
  );
  await until(() => available('x:2'));
  const rolled = performance.now() - t1;
  console.log(
    `rolling update of ${N} replicas (25%/25%): done after ${rolled.toFixed(0)} ms (${requests()} controller requests)`,
  );
  await deploys.delete('bench', { propagationPolicy: 'Background' });
  await until(() => live === 0);
  requests();

  const jobs = rest.resource<Obj>(JOBS).in('default');
  const t2 = performance.now();
  await jobs.create({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'bench' },
    spec: {
      completions: COMPLETIONS,
      parallelism: PARALLELISM,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] } },
    },
  });
  let job: Obj = {};
  await until(async () => {
    job = await jobs.get('bench');
    return (job.status?.conditions ?? []).some((c: Obj) => c.type === 'Complete' && c.status === 'True');
  });
  const finished = performance.now() - t2;
  const jobPods = pods.store
    .list()
    .filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === 'bench');
  console.log(
    `job with ${COMPLETIONS} completions, parallelism ${PARALLELISM}: complete after ${finished.toFixed(0)} ms ` +
      `(${((COMPLETIONS * 1000) / finished).toFixed(0)} completions/s; succeeded=${job.status.succeeded}, ` +
      `pods created=${jobPods.length}, ${requests()} controller requests)`,
  );

  await factory.stop();
  rest.close();
  await cm.stop();
  await api.close();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
