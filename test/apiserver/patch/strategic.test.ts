import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSchemaResolver } from '../../../src/apiserver/patch/schema.js';
import { applyStrategicMergePatch } from '../../../src/apiserver/patch/strategic.js';
import { isK8tsError } from '../../../src/errors.js';
import { DEPLOYMENT, definitions, MERGE_ITEM, POD } from './fixtures.js';

const resolver = createSchemaResolver(definitions);
const smp = (original: Record<string, any>, patch: unknown, schemaName = POD) =>
  applyStrategicMergePatch(original, patch, { resolver, schemaName }) as Record<string, any>;
const item = (original: Record<string, any>, patch: unknown) => smp(original, patch, MERGE_ITEM);

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web', tier: 'front' }, finalizers: ['a/one', 'b/two'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1',
        args: ['--x', '--y'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
      },
      { name: 'sidecar', image: 'busybox' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'k1', operator: 'Exists' }],
  },
});

const names = (list: { name: string }[]) => list.map((c) => c.name);

function expectError(fn: () => unknown, code: 'BadRequest' | 'Invalid', text: string | RegExp): void {
  const matches = (msg: string) => (typeof text === 'string' ? msg.includes(text) : text.test(msg));
  assert.throws(fn, (err: unknown) => {
    assert.ok(isK8tsError(err, code), String(err));
    if (code === 'Invalid') {
      assert.equal(err.message, 'the server rejected our request due to an error in our request');
      assert.ok(matches(String((err.cause as Error).message)), String(err.cause));
    } else {
      assert.ok(matches(err.message), err.message);
    }
    return true;
  });
}

describe('strategic merge patch: lists merged by key', () => {
  it('merges containers by name and leaves the others alone; the input is not modified', () => {
    const original = pod();
    const out = smp(original, { spec: { containers: [{ name: 'sidecar', image: 'busybox:2' }] } });
    assert.deepEqual(out.spec.containers[1], { name: 'sidecar', image: 'busybox:2' });
    assert.deepEqual(out.spec.containers[0], pod().spec.containers[0]);
    assert.deepEqual(original, pod());
  });

  it('merges env by name inside a container', () => {
    const out = smp(pod(), {
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: '22' },
              { name: 'C', value: '3' },
            ],
          },
        ],
      },
    });
    const env = out.spec.containers[0].env;
    // Patch items keep their order; the server-only item A is placed by its original position.
    assert.deepEqual(env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '22' },
      { name: 'C', value: '3' },
    ]);
  });

  it('merges by a numeric merge key (ports by containerPort)', () => {
    const out = smp(pod(), {
      spec: {
        containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }],
      },
    });
    assert.deepEqual(out.spec.containers[0].ports, [
      { containerPort: 80, protocol: 'TCP', name: 'http' },
      { containerPort: 443 },
    ]);
  });

  it('puts a new item before server-only items when no order is given (as upstream)', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'new', image: 'x' }] } });
    assert.deepEqual(names(out.spec.containers), ['new', 'app', 'sidecar']);
  });

  it('deletes a container with $patch: delete', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } });
    assert.deepEqual(names(out.spec.containers), ['app']);
    // deleting an absent item is a no-op
    const again = smp(out, { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } });
    assert.deepEqual(names(again.spec.containers), ['app']);
  });

  it('replaces a whole merging list when an item says $patch: replace', () => {
    const out = smp(pod(), { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } });
    assert.deepEqual(out.spec.containers, [{ name: 'only', image: 'x' }]);
    const emptied = smp(pod(), { spec: { containers: [{ $patch: 'replace' }] } });
    assert.deepEqual(emptied.spec.containers, []);
  });

  it('orders by $setElementOrder, as kubectl apply sends it', () => {
    const out = smp(pod(), {
      spec: {
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'new' }, { name: 'app' }],
        containers: [{ name: 'new', image: 'x' }],
      },
    });
    assert.deepEqual(names(out.spec.containers), ['sidecar', 'new', 'app']);
  });

  it('replaces lists without a merge strategy atomically', () => {
    const out = smp(pod(), {
      spec: {
        containers: [{ name: 'app', args: ['--z'] }],
        tolerations: [{ key: 'k2', operator: 'Exists' }],
      },
    });
    assert.deepEqual(out.spec.containers[0].args, ['--z']);
    assert.deepEqual(out.spec.tolerations, [{ key: 'k2', operator: 'Exists' }]);
  });
});

describe('strategic merge patch: patches as kubectl apply computes them', () => {
  it('removes an env var and changes an image, keeping the declared order', () => {
    const out = smp(pod(), {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
        containers: [
          {
            '$setElementOrder/env': [{ name: 'A' }],
            env: [{ $patch: 'delete', name: 'B' }],
            image: 'nginx:2',
            name: 'app',
          },
        ],
      },
    });
    assert.deepEqual(out.spec.containers[0].env, [{ name: 'A', value: '1' }]);
    assert.equal(out.spec.containers[0].image, 'nginx:2');
    assert.deepEqual(names(out.spec.containers), ['app', 'sidecar']);
    assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{}');
  });

  it('removes a container and a label', () => {
    const out = smp(pod(), {
      metadata: { labels: { tier: null } },
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }],
        containers: [{ $patch: 'delete', name: 'sidecar' }],
      },
    });
    assert.deepEqual(names(out.spec.containers), ['app']);
    assert.deepEqual(out.metadata.labels, { app: 'web' });
  });
});

describe('strategic merge patch: primitive lists', () => {
  it('unions a merging list of scalars (finalizers) without duplicates', () => {
    const out = smp(pod(), { metadata: { finalizers: ['b/two', 'c/three'] } });
    assert.deepEqual(out.metadata.finalizers, ['a/one', 'b/two', 'c/three']);
  });

  it('removes scalars with $deleteFromPrimitiveList/finalizers', () => {
    const out = smp(pod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a/one', 'zzz'] } });
    assert.deepEqual(out.metadata.finalizers, ['b/two']);
    // absent list: nothing to delete from, and nothing is created
    const none = smp({ metadata: {} }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
    assert.deepEqual(none, { metadata: {} });
  });

  it('adds, deletes and orders scalars in one patch, like kubectl apply', () => {
    const out = item(
      { mergingIntList: [1, 2, 3, 4] },
      {
        '$setElementOrder/mergingIntList': [1, 2, 5],
        '$deleteFromPrimitiveList/mergingIntList': [3],
        mergingIntList: [5],
      },
    );
    // 4 is only on the server; unknown to the order list, it goes after the patch's items.
    assert.deepEqual(out.mergingIntList, [1, 2, 5, 4]);
  });

  it('keeps the patch order for merging int lists (upstream cases)', () => {
    assert.deepEqual(
      item({ mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1, 2] }).mergingIntList,
      [3, 1, 2],
    );
    assert.deepEqual(
      item({ mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] }).mergingIntList,
      [2, 3, 1],
    );
    assert.deepEqual(item({ mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }).mergingIntList, [1, 2, 3]);
  });
});

describe('strategic merge patch: ordering (upstream cases)', () => {
  it('preserves the order from the patch in a merging list', () => {
    const original = { mergingList: [{ name: '1' }, { name: '2', value: 'b' }, { name: '3' }] };
    const out = item(original, {
      mergingList: [
        { name: '3', value: 'c' },
        { name: '1', value: 'a' },
      ],
    });
    assert.deepEqual(out.mergingList, [
      { name: '2', value: 'b' },
      { name: '3', value: 'c' },
      { name: '1', value: 'a' },
    ]);
  });

  it('merges lists of maps with $setElementOrder', () => {
    const out = item(
      {
        mergingList: [
          { name: '1', other: 'a' },
          { name: '2', value: '2', other: 'b' },
        ],
      },
      {
        '$setElementOrder/mergingList': [{ name: '4' }, { name: '1' }, { name: '2' }, { name: '3' }],
        mergingList: [
          { name: '4', value: '4' },
          { name: '3', value: '3' },
        ],
      },
    );
    assert.deepEqual(out.mergingList, [
      { name: '4', value: '4' },
      { name: '1', other: 'a' },
      { name: '2', value: '2', other: 'b' },
      { name: '3', value: '3' },
    ]);
  });

  it('tolerates $setElementOrder items that are not in the list', () => {
    const out = item(
      { mergingList: [{ name: '1' }, { name: '3' }] },
      {
        '$setElementOrder/mergingList': [{ name: '3' }, { name: '2' }, { name: '1' }],
        mergingList: [
          { name: '3', value: '3' },
          { name: '1', value: '1' },
        ],
      },
    );
    assert.deepEqual(out.mergingList, [
      { name: '3', value: '3' },
      { name: '1', value: '1' },
    ]);
    assert.deepEqual(
      item({ mergingIntList: [1, 3] }, { '$setElementOrder/mergingIntList': [3, 2, 1] }).mergingIntList,
      [3, 1],
    );
  });

  it('de-duplicates when deleting entries that appear twice', () => {
    const out = item(
      {
        mergingList: [{ name: '1' }, { name: '1' }, { name: '2', value: 'a' }, { name: '3' }, { name: '3' }],
      },
      {
        mergingList: [
          { name: '1', $patch: 'delete' },
          { name: '3', $patch: 'delete' },
        ],
      },
    );
    assert.deepEqual(out.mergingList, [{ name: '2', value: 'a' }]);
  });
});

describe('strategic merge patch: maps, nulls and directives', () => {
  it('deletes keys with null and ignores nulls for absent keys', () => {
    const out = smp(pod(), { metadata: { labels: { tier: null, nothere: null, env: 'prod' } } });
    assert.deepEqual(out.metadata.labels, { app: 'web', env: 'prod' });
  });

  it('drops nulls and directives inside values that are added whole', () => {
    const out = smp(
      { metadata: { name: 'p' } },
      {
        metadata: { annotations: { a: '1', b: null } },
        spec: {
          containers: [{ name: 'c', image: null, env: [{ name: 'X', $patch: 'delete' }, { name: 'Y' }] }],
        },
      },
    );
    assert.deepEqual(out, {
      metadata: { name: 'p', annotations: { a: '1' } },
      spec: { containers: [{ name: 'c', env: [{ name: 'Y' }] }] },
    });
  });

  it('replaces a map with $patch: replace and empties it with $patch: delete', () => {
    const replaced = smp(pod(), { metadata: { labels: { $patch: 'replace', only: 'me' } } });
    assert.deepEqual(replaced.metadata.labels, { only: 'me' });
    const deleted = item({ simpleMap: { key1: '1', key2: '1' } }, { simpleMap: { $patch: 'delete' } });
    assert.deepEqual(deleted.simpleMap, {});
  });

  it('replaces fields whose patch strategy is replace', () => {
    const out = item({ replacingItem: { a: 1, b: 2 } }, { replacingItem: { c: 3 } });
    assert.deepEqual(out.replacingItem, { c: 3 });
  });

  it('clears keys missing from $retainKeys (deployment strategy switch, as kubectl apply sends it)', () => {
    const deploy = {
      spec: {
        replicas: 2,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      },
    };
    const out = smp(
      deploy,
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
      DEPLOYMENT,
    );
    assert.deepEqual(out.spec, { replicas: 2, strategy: { type: 'Recreate' } });
  });

  it('switches a volume source with $retainKeys in a list item', () => {
    const out = smp(pod(), {
      spec: {
        volumes: [{ name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }],
      },
    });
    assert.deepEqual(out.spec.volumes, [{ name: 'data', configMap: { name: 'cm' } }]);
  });

  it('retainKeys maps without the directive merge normally (upstream cases)', () => {
    const out = item({ retainKeysMap: { name: 'foo', value: 'a' } }, { retainKeysMap: { value: 'b' } });
    assert.deepEqual(out.retainKeysMap, { name: 'foo', value: 'b' });
  });

  it('replaces the whole object when the top level says $patch: replace', () => {
    const out = smp(pod(), { $patch: 'replace', kind: 'Pod' });
    assert.deepEqual(out, { kind: 'Pod' });
  });

  it('replaces values whose type changes and keeps scalars simple', () => {
    const out = item({ name: 'a', simpleMap: { k: 'v' } }, { simpleMap: 'flat', name: 'b' });
    assert.deepEqual(out, { name: 'b', simpleMap: 'flat' });
  });

  it('a null patch is a no-op; non-objects are 400', () => {
    assert.deepEqual(smp(pod(), null), pod());
    expectError(() => smp(pod(), [1]), 'BadRequest', 'cannot unmarshal array into Go value of type map');
  });
});

describe('strategic merge patch: objects without a schema fall back to merge semantics', () => {
  it('merges maps, replaces lists, deletes on null', () => {
    const original = { spec: { list: [{ name: 'a', v: 1 }], map: { a: 1, b: 2 } } };
    const out = applyStrategicMergePatch(original, {
      spec: { list: [{ name: 'b' }], map: { b: null, c: 3 } },
    });
    assert.deepEqual(out, { spec: { list: [{ name: 'b' }], map: { a: 1, c: 3 } } });
    const unknownKind = applyStrategicMergePatch(
      original,
      { spec: { list: [] } },
      { resolver, schemaName: 'x.y.Z' },
    );
    assert.deepEqual(unknownKind, { spec: { list: [], map: { a: 1, b: 2 } } });
  });
});

describe('strategic merge patch: errors', () => {
  it('missing merge key', () => {
    expectError(
      () => item({ mergingList: [{ name: '1', value: 'a' }] }, { mergingList: [{ value: 'b' }] }),
      'BadRequest',
      'map: map[value:b] does not contain declared merge key: name',
    );
  });

  it('a key in the patch that $retainKeys does not list', () => {
    expectError(
      () =>
        smp(pod(), {
          spec: { volumes: [{ name: 'data', $retainKeys: ['name'], hostPath: { path: '/x' } }] },
        }),
      'BadRequest',
      /^invalid patch format of retainKeys$/,
    );
    expectError(() => smp(pod(), { metadata: { $retainKeys: 'name' } }), 'BadRequest', /retainKeys/);
  });

  it('$setElementOrder disagreeing with the patch list order', () => {
    expectError(
      () =>
        item(
          { mergingList: [{ name: '1' }, { name: '3' }, { name: '2' }] },
          {
            '$setElementOrder/mergingList': [{ name: '1' }, { name: '2' }, { name: '3' }],
            mergingList: [
              { name: '3', value: '3' },
              { name: '1', value: '1' },
            ],
          },
        ),
      'BadRequest',
      "doesn't match",
    );
  });

  it('directive keys without a field name', () => {
    expectError(
      () => smp(pod(), { metadata: { $deleteFromPrimitiveList: ['a'] } }),
      'BadRequest',
      /^invalid patch format of primitive list$/,
    );
    expectError(
      () => smp(pod(), { metadata: { $setElementOrder: [] } }),
      'BadRequest',
      /^invalid patch format of setElementOrder list$/,
    );
  });

  it('unsupported directives', () => {
    expectError(
      () => smp(pod(), { spec: { containers: [{ name: 'app', $patch: 'merge' }] } }),
      'BadRequest',
      'merging lists cannot yet be specified in the patch',
    );
    expectError(
      () => smp(pod(), { metadata: { labels: { $patch: 'frob' } } }),
      'BadRequest',
      'unknown patch type: frob',
    );
  });

  it('lists of lists are 422', () => {
    expectError(
      () => item({ mergingIntList: [[1]] }, { mergingIntList: [[2]] }),
      'Invalid',
      'lists of lists',
    );
  });
});
