// Micro-benchmark of the patch machinery on a mid-sized Pod (2 containers, 10 env vars).
// Run: npx tsc -p tsconfig.json && node dist/bench/patch.js
import { applyObject } from '../src/apiserver/patch/apply.js';
import { trackUpdate } from '../src/apiserver/patch/managedfields.js';
import { createSchemaResolver } from '../src/apiserver/patch/schema.js';
import { applyStrategicMergePatch } from '../src/apiserver/patch/strategic.js';
import { definitions, POD } from '../test/apiserver/patch/fixtures.js';

const resolver = createSchemaResolver(definitions);
const pod = (i: number): Record<string, any> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: `p${i}`,
    namespace: 'default',
    labels: { app: 'web', i: String(i) },
    annotations: { a: 'b' },
  },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: Array.from({ length: 10 }, (_, j) => ({ name: `E${j}`, value: String(j) })),
        resources: { limits: { cpu: '1' } },
      },
      { name: 'side', image: 'busybox', args: ['a', 'b'] },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
  },
  status: {},
});
const common = { resolver, schemaName: POD, now: 0, ignoredFields: [['status']] };

function measure(name: string, n: number, fn: (i: number) => void): void {
  for (let i = 0; i < 500; i++) fn(i); // warm up
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  console.log(`${name.padEnd(28)} ${(((performance.now() - t) / n) * 1000).toFixed(1)} µs/op`);
}

const created = pod(1);
created.metadata.managedFields = trackUpdate({
  old: undefined,
  updated: created,
  manager: 'kubectl-create',
  apiVersion: 'v1',
  ...common,
});
measure('trackUpdate (create)', 10000, (i) =>
  trackUpdate({ old: undefined, updated: pod(i), manager: 'kubectl-create', apiVersion: 'v1', ...common }),
);
measure('trackUpdate (label change)', 10000, (i) => {
  const u = {
    ...created,
    metadata: { ...created.metadata, labels: { ...created.metadata.labels, x: String(i) } },
  };
  trackUpdate({ old: created, updated: u, manager: 'kubectl-label', apiVersion: 'v1', ...common });
});
measure('strategic merge patch', 10000, (i) =>
  applyStrategicMergePatch(
    created,
    { metadata: { labels: { x: String(i) } }, spec: { containers: [{ name: 'app', image: `nginx:${i}` }] } },
    { resolver, schemaName: POD },
  ),
);
measure('server-side apply (create)', 10000, (i) =>
  applyObject({
    live: undefined,
    applied: pod(i),
    manager: 'kubectl',
    apiVersion: 'v1',
    kind: 'Pod',
    ...common,
  }),
);
