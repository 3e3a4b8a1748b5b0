// Typed.changedFromEmpty is the create fast path of managedFields tracking: it must give exactly the
// added and modified paths of compare({}, value), for real schemas and for odd values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trackUpdate } from '../../../src/apiserver/patch/managedfields.js';
import { createSchemaResolver, untypedResolver } from '../../../src/apiserver/patch/schema.js';
import { Typed } from '../../../src/apiserver/patch/typed.js';
import { schemaResolver } from '../../../src/apiserver/patch.js';
import { DEPLOYMENT, definitions, POD } from './fixtures.js';

type Obj = Record<string, any>;

function slow(typed: Typed, value: unknown, schemaName: string | undefined) {
  const c = typed.compare({}, value, typed.root(schemaName));
  return c.added.union(c.modified);
}

function assertSame(typed: Typed, value: unknown, schemaName: string | undefined): void {
  const fast = typed.changedFromEmpty(value, typed.root(schemaName));
  const want = slow(typed, value, schemaName);
  assert.deepEqual(fast.paths(), want.paths());
  assert.equal(JSON.stringify(fast.toFieldsV1()), JSON.stringify(want.toFieldsV1()));
}

const pod: Obj = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    namespace: 'default',
    labels: { app: 'web', 'a.b/c': 'd' },
    annotations: {},
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }],
    finalizers: ['x', 'x', 'y'],
  },
  spec: {
    nodeName: 'n1',
    containers: [
      {
        name: 'c',
        image: 'busybox',
        command: ['sleep', '3600'],
        ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }, { containerPort: 80 }],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', valueFrom: { fieldRef: { fieldPath: 'x' } } },
        ],
        resources: {},
        securityContext: null,
      },
      { name: 'c', image: 'duplicate-name', workingDir: '/only-in-the-duplicate' },
      { image: 'no-name' },
      'not-an-object',
    ],
    volumes: [],
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
    nodeSelector: { disk: 'ssd' },
  },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
};

describe('Typed.changedFromEmpty', () => {
  const typed = new Typed(schemaResolver());

  it('matches compare({}, value) on a Pod with keyed lists, duplicates and empty containers', () => {
    assertSame(typed, pod, 'io.k8s.api.core.v1.Pod');
  });

  it('matches on a minimal Pod, a Deployment, a Service, a ConfigMap and a Namespace', () => {
    assertSame(
      typed,
      { metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      'io.k8s.api.core.v1.Pod',
    );
    assertSame(
      typed,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', generation: 1 },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'd' } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
          template: { metadata: { labels: { app: 'd' } }, spec: pod.spec },
        },
      },
      'io.k8s.api.apps.v1.Deployment',
    );
    assertSame(
      typed,
      {
        metadata: { name: 's' },
        spec: {
          ports: [
            { port: 80, targetPort: 8080 },
            { port: 53, protocol: 'UDP' },
          ],
          selector: { app: 'd' },
          clusterIPs: ['10.0.0.1'],
          ipFamilies: ['IPv4'],
        },
      },
      'io.k8s.api.core.v1.Service',
    );
    assertSame(
      typed,
      { metadata: { name: 'c' }, data: { a: 'x', b: '' }, binaryData: {} },
      'io.k8s.api.core.v1.ConfigMap',
    );
    assertSame(
      typed,
      { metadata: { name: 'n' }, spec: { finalizers: ['kubernetes'] } },
      'io.k8s.api.core.v1.Namespace',
    );
  });

  it('matches under schemas whose struct fields default to {} (they count as present on both sides)', () => {
    const fixtures = new Typed(createSchemaResolver(definitions));
    assertSame(fixtures, pod, POD);
    assertSame(fixtures, { metadata: { name: 'x' }, spec: { containers: [{ name: 'c' }] } }, POD);
    assertSame(
      fixtures,
      {
        spec: {
          containers: [
            { name: 'c', resources: {} },
            { name: 'd', resources: { limits: { cpu: '1' } } },
          ],
        },
      },
      POD,
    );
    assertSame(fixtures, { spec: { template: { spec: pod.spec }, replicas: 1 } }, DEPLOYMENT);
  });

  it('matches on values that do not fit the schema, and without a schema', () => {
    assertSame(typed, { metadata: 'not-an-object', spec: [], status: null }, 'io.k8s.api.core.v1.Pod');
    assertSame(typed, { spec: { containers: { name: 'c' } } }, 'io.k8s.api.core.v1.Pod');
    assertSame(typed, {}, 'io.k8s.api.core.v1.Pod');
    const untyped = new Typed(untypedResolver);
    assertSame(untyped, pod, undefined);
    assertSame(untyped, { a: { b: { c: [] } }, d: {}, e: null, f: [1, 2] }, undefined);
  });

  it('matches on generated values', () => {
    // A small deterministic generator: nested maps, lists of maps (with and without names), scalars.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const names = ['name', 'image', 'containerPort', 'protocol', 'labels', 'spec', 'x', 'key', 'value'];
    const gen = (depth: number): unknown => {
      const r = rand(depth > 3 ? 4 : 8);
      if (r === 0) return 'v';
      if (r === 1) return rand(3);
      if (r === 2) return null;
      if (r === 3) return {};
      if (r === 4 || r === 5) {
        const o: Obj = {};
        for (let i = rand(4); i > 0; i--) o[names[rand(names.length)]] = gen(depth + 1);
        return o;
      }
      return Array.from({ length: rand(4) }, () => gen(depth + 1));
    };
    for (let i = 0; i < 300; i++) {
      const spec = gen(0);
      assertSame(
        typed,
        { metadata: { name: 'g' }, spec: { containers: [spec, spec], volumes: spec } },
        'io.k8s.api.core.v1.Pod',
      );
      assertSame(typed, { metadata: { name: 'g' }, spec }, 'io.k8s.api.core.v1.Pod');
      assertSame(new Typed(untypedResolver), { spec }, undefined);
      assertSame(
        new Typed(createSchemaResolver(definitions)),
        { spec: { containers: [spec, { name: 'c', resources: spec }] } },
        POD,
      );
    }
  });
});

describe('trackUpdate on create', () => {
  it('records the fields of the new object for the manager, as before the fast path', () => {
    const entries = trackUpdate({
      old: undefined,
      updated: structuredClone(pod),
      manager: 'kubectl-create',
      apiVersion: 'v1',
      schemaName: 'io.k8s.api.core.v1.Pod',
      resolver: schemaResolver(),
      now: '2025-01-01T00:00:00Z',
      ignoredFields: [['status']],
    });
    const typed = new Typed(schemaResolver());
    const want = slow(typed, pod, 'io.k8s.api.core.v1.Pod');
    assert.equal(entries.length, 1);
    assert.deepEqual(Object.keys(entries[0]), [
      'manager',
      'operation',
      'apiVersion',
      'time',
      'fieldsType',
      'fieldsV1',
    ]);
    assert.equal(entries[0].manager, 'kubectl-create');
    assert.equal(entries[0].time, '2025-01-01T00:00:00Z');
    const fields = entries[0].fieldsV1 as Obj;
    // status is reset by the endpoint and metadata's identity fields are never owned.
    assert.equal(fields['f:status'], undefined);
    assert.equal(fields['f:metadata']['f:name'], undefined);
    assert.deepEqual(fields['f:spec']['f:nodeName'], {});
    assert.ok(want.child('f:spec')?.members.has('f:nodeName'));
  });
});
