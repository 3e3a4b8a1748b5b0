import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiVersionOf, registry } from '../../src/api/registry.js';
import type { Obj } from '../../src/api/types.js';
import { validateObjectMeta } from '../../src/api/validation.js';

const defs = registry().resources;
const now = Date.parse('2025-06-01T12:00:00Z');

describe('registry sanity', () => {
  it('serves every kind issue 3 asks for', () => {
    const have = new Set(defs.map((d) => `${apiVersionOf(d)}/${d.kind}`));
    for (const want of [
      'v1/Namespace',
      'v1/Pod',
      'v1/Node',
      'v1/Service',
      'v1/Endpoints',
      'v1/ConfigMap',
      'v1/Secret',
      'v1/ServiceAccount',
      'v1/Event',
      'v1/LimitRange',
      'v1/ResourceQuota',
      'v1/PersistentVolume',
      'v1/PersistentVolumeClaim',
      'apps/v1/Deployment',
      'apps/v1/ReplicaSet',
      'apps/v1/StatefulSet',
      'apps/v1/DaemonSet',
      'apps/v1/ControllerRevision',
      'batch/v1/Job',
      'batch/v1/CronJob',
      'coordination.k8s.io/v1/Lease',
      'discovery.k8s.io/v1/EndpointSlice',
      'events.k8s.io/v1/Event',
      'rbac.authorization.k8s.io/v1/Role',
      'rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'scheduling.k8s.io/v1/PriorityClass',
      'policy/v1/PodDisruptionBudget',
    ])
      assert.ok(have.has(want), want);
  });
  it('every kind has a schema name matching its group, version and kind', () => {
    for (const d of defs) {
      const g = d.group === '' ? 'core' : d.group.split('.')[0];
      // apiextensions types live in their own Go module upstream, and so under its package path.
      const pkg = g === 'apiextensions' ? 'io.k8s.apiextensions-apiserver.pkg.apis' : 'io.k8s.api';
      assert.equal(d.schemaName, `${pkg}.${g}.${d.version}.${d.kind}`, d.kind);
      assert.equal(d.singular, d.kind.toLowerCase(), d.kind);
    }
  });
  it('short names are unique (the two Event APIs share storage and ev)', () => {
    const seen = new Map<string, string>();
    for (const d of defs)
      for (const s of d.shortNames ?? []) {
        const prev = seen.get(s);
        if (prev) assert.equal(`${prev}|${d.plural}`, 'events|events', `short name ${s}`);
        seen.set(s, d.plural);
      }
    for (const [s, plural] of [
      ['po', 'pods'],
      ['svc', 'services'],
      ['deploy', 'deployments'],
      ['cj', 'cronjobs'],
      ['pc', 'priorityclasses'],
      ['quota', 'resourcequotas'],
      ['limits', 'limitranges'],
    ])
      assert.equal(seen.get(s), plural, s);
  });
  it('category all is exactly the upstream set', () => {
    const all = defs
      .filter((d) => d.categories?.includes('all'))
      .map((d) => d.plural)
      .sort();
    assert.deepEqual(all, [
      'cronjobs',
      'daemonsets',
      'deployments',
      'jobs',
      'pods',
      'replicasets',
      'replicationcontrollers',
      'services',
      'statefulsets',
    ]);
  });
  it('scale is declared exactly where the scale subresource is', () => {
    for (const d of defs) assert.equal(!!d.scale, !!d.subresources?.includes('scale'), d.kind);
  });
  it('every kind has a table whose rows match its columns, even for a bare object', () => {
    for (const d of defs) {
      assert.ok(d.table && d.table.columns.length > 0, d.kind);
      const bare = { metadata: { name: 'x', namespace: 'd', creationTimestamp: '2025-06-01T11:00:00Z' } };
      const cells = d.table.cells(bare, now);
      assert.equal(cells.length, d.table.columns.length, d.kind);
      assert.ok(
        d.table.columns.some((c) => c.format === 'name'),
        d.kind,
      );
    }
  });
  it('field selectors return strings', () => {
    for (const d of defs)
      for (const [k, f] of Object.entries(d.fieldSelectors ?? {}))
        assert.equal(typeof f({ metadata: {} }), 'string', `${d.kind} ${k}`);
  });
  it('hooks never throw on malformed input', () => {
    const shapes: Obj[] = [
      {},
      { spec: null, status: null },
      {
        spec: 'x',
        data: 'x',
        subsets: 'x',
        rules: 'x',
        roleRef: 'x',
        subjects: 'x',
        endpoints: 'x',
        ports: 'x',
      },
      {
        metadata: { name: 'a', labels: 'x', annotations: 5, finalizers: 'x', ownerReferences: 'x' },
        spec: {
          containers: 'x',
          initContainers: [null, 5],
          volumes: 'x',
          template: 5,
          selector: 'x',
          ports: [null, 'x'],
          taints: 'x',
          tolerations: 'x',
          strategy: 'x',
          updateStrategy: 'x',
          jobTemplate: 'x',
          hard: 'x',
          limits: 'x',
          schedule: 5,
          accessModes: 'x',
          resources: 'x',
        },
      },
    ];
    const failures: string[] = [];
    for (const d of defs)
      for (const shape of shapes) {
        const obj = structuredClone(shape);
        const old = structuredClone(shape);
        try {
          d.defaults?.(obj);
          d.prepareForCreate?.(obj);
          d.validate?.(obj);
          d.prepareForUpdate?.(obj, old);
          d.validateUpdate?.(obj, old);
          validateObjectMeta(obj, d);
          d.table?.cells(obj, now);
        } catch (e) {
          failures.push(
            `${d.kind} threw on ${JSON.stringify(shape)}: ${(e as Error).stack?.split('\n').slice(0, 2).join(' ')}`,
          );
        }
      }
    assert.deepEqual(failures, []);
  });
});

describe('registry forks (one per API server, changed by its CRDs)', () => {
  it('serves added kinds, forgets removed ones, and shares documents only while unchanged', () => {
    const base = registry();
    const fork = base.fork();
    assert.equal(fork.documentsKey(), base.documentsKey(), 'an unchanged fork shares the OpenAPI cache');
    const cm = base.lookup('', 'v1', 'configmaps')!;
    const widget = { ...cm, group: 'example.k8ts.io', kind: 'Widget', plural: 'widgets', singular: 'widget' };
    fork.add([widget]);
    assert.equal(fork.lookup('example.k8ts.io', 'v1', 'widgets'), widget);
    assert.equal(fork.lookupKind('example.k8ts.io/v1', 'Widget'), widget);
    assert.equal(base.lookup('example.k8ts.io', 'v1', 'widgets'), undefined, 'the parent is untouched');
    assert.equal(fork.documentsKey(), fork);
    assert.throws(() => fork.add([widget]), /duplicate resource/);
    fork.remove([widget]);
    assert.equal(fork.lookup('example.k8ts.io', 'v1', 'widgets'), undefined);
    assert.ok(!fork.groupVersions().some((gv) => gv.group === 'example.k8ts.io'));
  });
});
