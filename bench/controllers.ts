// bench/controllers: the controller manager against an API server over SQLite, in one process as
// `k8ts server` runs them. A stand-in kubelet marks every new pod Running+Ready through the status
// subresource. Prints the time from creating a Deployment with N replicas until N pods exist and until
// it is available, and the time of a rolling update of it (maxSurge 25%, maxUnavailable 25%).
//
//   npm run build && node dist/bench/controllers.js [--replicas=1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../src/apiserver/server.js';
import { RestClient, SharedInformerFactory, silentLogger } from '../src/client/index.js';
import { startControllerManager } from '../src/controllers/manager.js';
import { openBackend } from '../src/storage/index.js';

type Obj = Record<string, any>;

const arg = process.argv.find((a) => a.startsWith('--replicas='));
const N = arg ? Number(arg.split('=')[1]) : 1000;
const PODS = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const DEPLOYMENTS = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-ctrl-'));
  const backend = await openBackend(`sqlite://${join(dir, 'state.db')}`);
  const api = new ApiServer({ backend });
  const addr = await api.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  const cm = startControllerManager({ baseUrl, log: silentLogger });

  // The stand-in kubelet.
  const rest = new RestClient({ baseUrl });
  const factory = new SharedInformerFactory(rest, { log: silentLogger });
  const pods = factory.informerFor<Obj>(PODS);
  const readied = new Set<string>();
  let live = 0;
  const markReady = (p: Obj) => {
    if (p.metadata.deletionTimestamp || readied.has(p.metadata.uid)) return;
    readied.add(p.metadata.uid);
    const next = structuredClone(p);
    next.status = {
      ...next.status,
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
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
  console.log(`${N} replicas: deployment available after ${ready.toFixed(0)} ms`);

  const t1 = performance.now();
  await deploys.patch(
    'bench',
    { spec: { template: { spec: { containers: [{ name: 'c', image: 'x:2' }] } } } },
    { type: 'strategic' },
  );
  await until(() => available('x:2'));
  const rolled = performance.now() - t1;
  console.log(`rolling update of ${N} replicas (25%/25%): done after ${rolled.toFixed(0)} ms`);

  await factory.stop();
  rest.close();
  await cm.stop();
  await api.close();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
