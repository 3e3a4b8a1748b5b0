import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  type ManagedFieldsEntry,
  setManagedFields,
  trackUpdate,
} from '../../../src/apiserver/patch/managedfields.js';
import { createSchemaResolver } from '../../../src/apiserver/patch/schema.js';
import { DEPLOYMENT, definitions } from './fixtures.js';

const resolver = createSchemaResolver(definitions);
const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';

/** A Deployment as stored after defaulting. */
function deployment(): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'u-1',
      resourceVersion: '7',
      generation: 1,
      creationTimestamp: T0,
      labels: { app: 'web' },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              resources: {},
            },
          ],
          restartPolicy: 'Always',
        },
      },
    },
    status: { replicas: 1 },
  };
}

const track = (
  old: Record<string, any> | undefined,
  updated: Record<string, any>,
  manager: string,
  now = T0,
  extra: Partial<Parameters<typeof trackUpdate>[0]> = {},
) =>
  trackUpdate({
    old,
    updated,
    manager,
    apiVersion: 'apps/v1',
    schemaName: DEPLOYMENT,
    resolver,
    now,
    ignoredFields: [['status']],
    ...extra,
  });

function withFields(obj: Record<string, any>, entries: ManagedFieldsEntry[]): Record<string, any> {
  const copy = structuredClone(obj);
  setManagedFields(copy, entries);
  return copy;
}

function owners(entries: ManagedFieldsEntry[], path: string[]): string[] {
  const out: string[] = [];
  for (const [, m] of decodeManagedFields(entries)) if (m.fields.has(path)) out.push(m.manager);
  return out.sort();
}

describe('managedFields: recording updates', () => {
  it('records a create like upstream: one Update entry, system fields and status left out', () => {
    const mf = track(undefined, deployment(), 'kubectl-create');
    assert.equal(mf.length, 1);
    const { fieldsV1, ...entry } = mf[0];
    assert.deepEqual(entry, {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
    });
    assert.deepEqual(fieldsV1, {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:strategy': {
          'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} },
          'f:type': {},
        },
        'f:template': {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              '.': {},
              'k:{"name":"nginx"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': {
                  '.': {},
                  'k:{"containerPort":80,"protocol":"TCP"}': {
                    '.': {},
                    'f:containerPort': {},
                    'f:protocol': {},
                  },
                },
                'f:resources': {},
              },
            },
            'f:restartPolicy': {},
          },
        },
      },
    });
  });

  it('moves ownership of a changed field to the updater and keeps the others', () => {
    const created = withFields(deployment(), track(undefined, deployment(), 'kubectl-create'));
    const scaled = structuredClone(created);
    scaled.spec.replicas = 3;
    const mf = track(created, scaled, 'kubectl-scale', T1);
    assert.deepEqual(owners(mf, ['f:spec', 'f:replicas']), ['kubectl-scale']);
    assert.deepEqual(owners(mf, ['f:spec', 'f:template', 'f:spec', 'f:restartPolicy']), ['kubectl-create']);
    const create = mf.find((e) => e.manager === 'kubectl-create')!;
    const scale = mf.find((e) => e.manager === 'kubectl-scale')!;
    assert.equal(create.time, T0);
    assert.equal(scale.time, T1);
    assert.deepEqual(scale.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  });

  it('a write that changes nothing leaves managedFields as they were', () => {
    const mf0 = track(undefined, deployment(), 'kubectl-create');
    const created = withFields(deployment(), mf0);
    const same = structuredClone(created);
    same.metadata.resourceVersion = '8';
    same.status.replicas = 3; // status belongs to the status subresource
    assert.deepEqual(track(created, same, 'kubectl-edit', T1), mf0);
  });

  it('the same manager keeps one entry; its time moves on', () => {
    const created = withFields(deployment(), track(undefined, deployment(), 'kubectl-create'));
    const edited = structuredClone(created);
    edited.metadata.labels.tier = 'front';
    const mf = track(created, edited, 'kubectl-create', T1);
    assert.equal(mf.length, 1);
    assert.equal(mf[0].time, T1);
    assert.deepEqual(owners(mf, ['f:metadata', 'f:labels', 'f:tier']), ['kubectl-create']);
    assert.deepEqual(owners(mf, ['f:spec', 'f:replicas']), ['kubectl-create']);
  });

  it('removed fields lose their owners', () => {
    const created = withFields(deployment(), track(undefined, deployment(), 'kubectl-create'));
    const edited = structuredClone(created);
    delete edited.metadata.labels;
    const mf = track(created, edited, 'kubectl-edit', T1);
    assert.deepEqual(owners(mf, ['f:metadata', 'f:labels', 'f:app']), []);
    assert.deepEqual(owners(mf, ['f:metadata', 'f:labels']), []);
    // nothing added or changed: no entry for the editor
    assert.deepEqual(
      mf.map((e) => e.manager),
      ['kubectl-create'],
    );
  });

  it('keeps existing objects without managedFields untracked, and honours a reset request', () => {
    const untracked = deployment();
    const edited = structuredClone(untracked);
    edited.spec.replicas = 4;
    assert.deepEqual(track(untracked, edited, 'kubectl-edit'), []);

    const created = withFields(deployment(), track(undefined, deployment(), 'kubectl-create'));
    const reset = structuredClone(created);
    reset.metadata.managedFields = [{}];
    assert.deepEqual(track(created, reset, 'x'), []);
    reset.metadata.managedFields = [];
    assert.deepEqual(track(created, reset, 'x'), []);
  });

  it('uses managedFields the client sends on the main resource, not on subresources', () => {
    const created = withFields(deployment(), track(undefined, deployment(), 'kubectl-create'));
    const custom: ManagedFieldsEntry[] = [
      {
        manager: 'mine',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ];
    const sent = withFields(created, custom);
    assert.deepEqual(track(created, sent, 'kubectl-replace', T1), custom);

    const status = withFields(created, custom);
    status.status.replicas = 2;
    const mf = track(created, status, 'kube-controller-manager', T1, {
      subresource: 'status',
      ignoredFields: [['spec']],
    });
    assert.deepEqual(owners(mf, ['f:spec', 'f:replicas']), ['kubectl-create']);
    const ctrl = mf.find((e) => e.manager === 'kube-controller-manager')!;
    assert.equal(ctrl.subresource, 'status');
    assert.deepEqual(ctrl.fieldsV1, { 'f:status': { 'f:replicas': {} } });
  });

  it('caps Update entries at ten, merging the oldest into ancient-changes', () => {
    const entries: ManagedFieldsEntry[] = Array.from({ length: 12 }, (_, i) => ({
      manager: `m${String(i).padStart(2, '0')}`,
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: `2025-01-01T00:00:${String(i).padStart(2, '0')}Z`,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { [`f:l${i}`]: {} } } },
    }));
    const managers = decodeManagedFields(entries);
    capUpdateManagers(managers);
    const out = encodeManagedFields(managers);
    assert.equal(out.length, 10);
    const ancient = out.find((e) => e.manager === 'ancient-changes')!;
    assert.deepEqual(ancient.fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:l0': {}, 'f:l1': {}, 'f:l2': {} } },
    });
    assert.equal(ancient.time, '2025-01-01T00:00:02Z');
  });

  it('orders entries by operation, then time, then manager', () => {
    const e = (manager: string, operation: string, time: string): ManagedFieldsEntry => ({
      manager,
      operation,
      apiVersion: 'v1',
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:a': {} },
    });
    const out = encodeManagedFields(
      decodeManagedFields([
        e('z', 'Update', T0),
        e('b', 'Update', T1),
        e('y', 'Apply', T1),
        e('a', 'Update', T1),
      ]),
    );
    assert.deepEqual(
      out.map((x) => x.manager),
      ['y', 'z', 'a', 'b'],
    );
  });
});
