import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ApplyOptions,
  applyObject,
  LAST_APPLIED_ANNOTATION,
  parseApplyPatch,
} from '../../../src/apiserver/patch/apply.js';
import {
  decodeManagedFields,
  type ManagedFieldsEntry,
  setManagedFields,
  trackUpdate,
} from '../../../src/apiserver/patch/managedfields.js';
import { createSchemaResolver } from '../../../src/apiserver/patch/schema.js';
import { isK8tsError } from '../../../src/errors.js';
import { DEPLOYMENT, definitions } from './fixtures.js';

const resolver = createSchemaResolver(definitions);
const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';
const T2 = '2025-01-01T00:02:00Z';

function config(
  overrides: { replicas?: number; labels?: Record<string, string>; containers?: unknown[] } = {},
) {
  const spec: Record<string, any> = {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: overrides.containers ?? [{ name: 'nginx', image: 'nginx:1' }] },
    },
  };
  if (overrides.replicas !== undefined) spec.replicas = overrides.replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: overrides.labels ?? { app: 'web' } },
    spec,
  } as Record<string, any>;
}

const apply = (
  live: Record<string, any> | undefined,
  applied: Record<string, any>,
  manager: string,
  extra: Partial<ApplyOptions> = {},
) =>
  applyObject({
    live,
    applied,
    manager,
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    schemaName: DEPLOYMENT,
    resolver,
    now: T0,
    ignoredFields: [['status']],
    ...extra,
  });

/** What the store would hold: the applied result plus server-set metadata. */
function stored(obj: Record<string, any>): Record<string, any> {
  const copy = structuredClone(obj);
  copy.metadata.uid ??= 'u-1';
  copy.metadata.resourceVersion = '1';
  return copy;
}

function owners(entries: ManagedFieldsEntry[] | undefined, path: string[]): string[] {
  const out: string[] = [];
  for (const [, m] of decodeManagedFields(entries))
    if (m.fields.has(path)) out.push(`${m.manager}/${m.operation}`);
  return out.sort();
}

function expectConflict(fn: () => unknown, message: string, fields: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isK8tsError(err, 'Conflict'), String(err));
    assert.equal(err.httpStatus, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, message);
    assert.deepEqual(
      err.details?.causes?.map((c) => c.field),
      fields,
    );
    for (const c of err.details?.causes ?? []) assert.equal(c.reason, 'FieldManagerConflict');
    return true;
  });
}

describe('server-side apply: create and re-apply', () => {
  it('creates an object owned by the applier', () => {
    const { object, managedFields, changed } = apply(undefined, config({ replicas: 2 }), 'kubectl');
    assert.equal(changed, true);
    assert.equal(object.spec.replicas, 2);
    assert.deepEqual(object.metadata.managedFields, managedFields);
    assert.equal(managedFields.length, 1);
    const { fieldsV1, ...entry } = managedFields[0];
    assert.deepEqual(entry, {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
    });
    assert.deepEqual(fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
  });

  it('re-applying the same configuration changes nothing, not even the time', () => {
    const first = apply(undefined, config({ replicas: 2 }), 'kubectl');
    const again = apply(stored(first.object), config({ replicas: 2 }), 'kubectl', { now: T1 });
    assert.equal(again.changed, false);
    assert.deepEqual(again.managedFields, first.managedFields);
  });

  it('removes fields the applier drops from its configuration', () => {
    const first = apply(
      undefined,
      config({
        replicas: 2,
        labels: { app: 'web', tier: 'front' },
        containers: [
          { name: 'nginx', image: 'nginx:1', env: [{ name: 'A', value: '1' }] },
          { name: 'sidecar', image: 'busybox' },
        ],
      }),
      'kubectl',
    );
    const live = stored(first.object);
    live.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent'; // a default nobody owns
    const second = apply(live, config({ containers: [{ name: 'nginx', image: 'nginx:2' }] }), 'kubectl', {
      now: T1,
    });
    assert.equal(second.changed, true);
    assert.equal(second.object.spec.replicas, undefined);
    assert.deepEqual(second.object.metadata.labels, { app: 'web' });
    assert.deepEqual(second.object.spec.template.spec.containers, [
      { name: 'nginx', image: 'nginx:2', imagePullPolicy: 'IfNotPresent' },
    ]);
    assert.equal(second.object.metadata.uid, 'u-1');
    assert.equal(second.managedFields[0].time, T1);
  });

  it('keeps a dropped field that another manager also owns', () => {
    const first = apply(undefined, config({ replicas: 2 }), 'kubectl');
    const live = stored(first.object);
    const second = apply(live, config({ replicas: 2 }), 'other-applier');
    assert.deepEqual(owners(second.managedFields, ['f:spec', 'f:replicas']), [
      'kubectl/Apply',
      'other-applier/Apply',
    ]);
    const third = apply(stored(second.object), config(), 'kubectl', { now: T1 });
    assert.equal(third.object.spec.replicas, 2);
    assert.deepEqual(owners(third.managedFields, ['f:spec', 'f:replicas']), ['other-applier/Apply']);
  });

  it('merges list items from several appliers, each keeping its own', () => {
    const first = apply(undefined, config(), 'a');
    const second = apply(
      stored(first.object),
      config({ containers: [{ name: 'sidecar', image: 'busybox' }] }),
      'b',
    );
    assert.deepEqual(
      second.object.spec.template.spec.containers.map((c: { name: string }) => c.name),
      ['nginx', 'sidecar'],
    );
    const third = apply(stored(second.object), config({ containers: [] }), 'b');
    assert.deepEqual(
      third.object.spec.template.spec.containers.map((c: { name: string }) => c.name),
      ['nginx'],
    );
  });
});

describe('server-side apply: conflicts', () => {
  it('409 with causes when another applier owns a field with a different value', () => {
    const first = apply(undefined, config({ replicas: 3 }), 'a');
    expectConflict(
      () => apply(stored(first.object), config({ replicas: 5 }), 'b'),
      'Apply failed with 1 conflict: conflict with "a": .spec.replicas',
      ['.spec.replicas'],
    );
  });

  it('names Update managers with their apiVersion, as upstream', () => {
    const created = stored(config({ replicas: 3 }));
    setManagedFields(
      created,
      trackUpdate({
        old: undefined,
        updated: created,
        manager: 'kubectl-client-side-apply',
        apiVersion: 'apps/v1',
        schemaName: DEPLOYMENT,
        resolver,
        now: T0,
      }),
    );
    expectConflict(
      () => apply(created, config({ replicas: 5 }), 'kubectl-ssa'),
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
      ['.spec.replicas'],
    );
  });

  it('lists several conflicts grouped by manager', () => {
    const first = apply(undefined, config({ replicas: 3, labels: { app: 'web' } }), 'a');
    const second = apply(
      stored(first.object),
      config({ containers: [{ name: 'nginx', image: 'nginx:1' }] }),
      'b',
    );
    const live = stored(second.object);
    let thrown: unknown;
    try {
      apply(live, config({ replicas: 4, containers: [{ name: 'nginx', image: 'nginx:9' }] }), 'c');
    } catch (err) {
      thrown = err;
    }
    assert.ok(isK8tsError(thrown, 'Conflict'));
    assert.equal(
      thrown.message,
      [
        'Apply failed with 3 conflicts: conflicts with "a":',
        '- .spec.replicas',
        '- .spec.template.spec.containers[name="nginx"].image',
        'conflicts with "b":',
        '- .spec.template.spec.containers[name="nginx"].image',
      ].join('\n'),
    );
    assert.equal(thrown.details?.causes?.length, 3);
    assert.equal(thrown.details?.causes?.[2].message, 'conflict with "b"');
  });

  it('applying the same value shares ownership instead of conflicting', () => {
    const first = apply(undefined, config({ replicas: 3 }), 'a');
    const second = apply(stored(first.object), config({ replicas: 3 }), 'b');
    assert.deepEqual(owners(second.managedFields, ['f:spec', 'f:replicas']), ['a/Apply', 'b/Apply']);
  });

  it('force takes ownership from the other managers', () => {
    const first = apply(undefined, config({ replicas: 3 }), 'a');
    const forced = apply(stored(first.object), config({ replicas: 5 }), 'b', { force: true, now: T1 });
    assert.equal(forced.object.spec.replicas, 5);
    assert.deepEqual(owners(forced.managedFields, ['f:spec', 'f:replicas']), ['b/Apply']);
    assert.deepEqual(owners(forced.managedFields, ['f:spec', 'f:selector']), ['a/Apply', 'b/Apply']);
    // `a` re-applying its old value now conflicts with `b`
    expectConflict(
      () => apply(stored(forced.object), config({ replicas: 3 }), 'a'),
      'Apply failed with 1 conflict: conflict with "b": .spec.replicas',
      ['.spec.replicas'],
    );
  });
});

describe('server-side apply: existing objects and kubectl', () => {
  it('records existing fields as before-first-apply when the object has no managedFields', () => {
    const live = stored(config({ replicas: 3 }));
    expectConflict(
      () => apply(live, config({ replicas: 1 }), 'kubectl'),
      'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
      ['.spec.replicas'],
    );
    const ok = apply(live, config({ replicas: 3, labels: { app: 'web', new: 'x' } }), 'kubectl', { now: T2 });
    assert.deepEqual(
      ok.managedFields.map((e) => `${e.manager}/${e.operation}`),
      ['kubectl/Apply', 'before-first-apply/Update'],
    );
  });

  it('upgrades from client-side apply: conflicts on fields in the last-applied annotation are taken over', () => {
    const lastApplied = config({ replicas: 3 });
    const live = stored(config({ replicas: 3 }));
    live.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: JSON.stringify(lastApplied) };
    setManagedFields(
      live,
      trackUpdate({
        old: undefined,
        updated: live,
        manager: 'kubectl-client-side-apply',
        apiVersion: 'apps/v1',
        schemaName: DEPLOYMENT,
        resolver,
        now: T0,
      }),
    );

    const withAnnotation = config({ replicas: 5 });
    const out = apply(live, withAnnotation, 'kubectl', { now: T1 });
    assert.equal(out.object.spec.replicas, 5);
    assert.deepEqual(owners(out.managedFields, ['f:spec', 'f:replicas']), ['kubectl/Apply']);
    // the annotation now mirrors the server-side applied configuration (sorted keys, trailing newline)
    const annotation = out.object.metadata.annotations[LAST_APPLIED_ANNOTATION];
    assert.ok(annotation.endsWith('\n'));
    assert.deepEqual(JSON.parse(annotation), withAnnotation);
    assert.ok(annotation.startsWith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{'));

    // another manager name gets no such allowance
    expectConflict(
      () => apply(live, config({ replicas: 5 }), 'my-tool'),
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
      ['.spec.replicas'],
    );
  });

  it('does not own reset fields such as status on the main resource', () => {
    const applied = { ...config(), status: { replicas: 9 } };
    const out = apply(undefined, applied, 'kubectl');
    assert.deepEqual(owners(out.managedFields, ['f:status', 'f:replicas']), []);
  });

  it('tracks applies through a subresource separately', () => {
    const first = apply(undefined, config({ replicas: 2 }), 'kubectl');
    const status = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      status: { readyReplicas: 1 },
    };
    const out = apply(stored(first.object), status, 'ctrl', {
      subresource: 'status',
      ignoredFields: [['spec']],
    });
    const entry = out.managedFields.find((e) => e.manager === 'ctrl')!;
    assert.equal(entry.subresource, 'status');
    assert.deepEqual(entry.fieldsV1, { 'f:status': { 'f:readyReplicas': {} } });
    assert.equal(out.object.spec.replicas, 2);
  });
});

describe('server-side apply: objects without a schema', () => {
  it('walks maps key by key and treats lists as atomic', () => {
    const cr = (spec: Record<string, unknown>) => ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec,
    });
    const opts = { apiVersion: 'example.com/v1', kind: 'Widget', schemaName: undefined, ignoredFields: [] };
    const first = apply(undefined, cr({ size: 1, tags: ['a', 'b'], extra: { x: 1 } }), 'a', opts);
    assert.deepEqual(first.managedFields[0].fieldsV1, {
      'f:spec': { '.': {}, 'f:extra': { '.': {}, 'f:x': {} }, 'f:size': {}, 'f:tags': {} },
    });
    const second = apply(stored(first.object), cr({ size: 1, tags: ['c'] }), 'a', opts);
    assert.deepEqual(second.object.spec, { size: 1, tags: ['c'] });
    expectConflict(
      () => apply(stored(second.object), cr({ tags: ['d'] }), 'b', opts),
      'Apply failed with 1 conflict: conflict with "a": .spec.tags',
      ['.spec.tags'],
    );
  });
});

describe('server-side apply: bad requests', () => {
  it('requires a field manager (422)', () => {
    assert.throws(
      () => apply(undefined, config(), ''),
      (err: unknown) =>
        isK8tsError(err, 'Invalid') &&
        err.message ===
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });

  it('rejects a different kind or version, managedFields, unknown fields and duplicates (400)', () => {
    const bad = (applied: Record<string, any>, text: string) =>
      assert.throws(
        () => apply(undefined, applied, 'kubectl'),
        (err: unknown) => isK8tsError(err, 'BadRequest') && err.message === text,
      );
    bad({ ...config(), apiVersion: 'apps/v1beta1' }, 'invalid object type: apps/v1beta1, Kind=Deployment');
    bad({ ...config(), kind: 'Pod', apiVersion: 'v1' }, 'invalid object type: /v1, Kind=Pod');
    const withMf = config();
    withMf.metadata.managedFields = [];
    bad(withMf, 'metadata.managedFields must be nil');
    const unknown = config();
    unknown.spec.replicaz = 3;
    bad(
      unknown,
      'failed to create typed patch object (apps/v1, Kind=Deployment; default/web): .spec.replicaz: field not declared in schema',
    );
    const dup = config({ containers: [{ name: 'a' }, { name: 'a' }] });
    bad(
      dup,
      'failed to create typed patch object (apps/v1, Kind=Deployment; default/web): .spec.template.spec.containers: duplicate entries for key [name="a"]',
    );
  });
});

describe('parseApplyPatch', () => {
  it('takes the last of duplicate keys unless strict', () => {
    assert.deepEqual(parseApplyPatch('a: 1\na: 2\n'), { a: 2 });
    assert.throws(
      () => parseApplyPatch('a: 1\na: 2\n', { strict: true }),
      (err: unknown) =>
        isK8tsError(err, 'BadRequest') && err.message.startsWith('error strict decoding YAML: '),
    );
  });

  it('reads YAML and JSON bodies', () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "1"\n';
    assert.deepEqual(parseApplyPatch(yaml), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: '1' },
    });
    assert.deepEqual(parseApplyPatch(Buffer.from('{"kind":"ConfigMap","data":{"a":"1"}}')), {
      kind: 'ConfigMap',
      data: { a: '1' },
    });
    assert.deepEqual(parseApplyPatch(''), {});
  });

  it('rejects malformed bodies and non-objects with 400', () => {
    for (const body of ['a: [1, 2', '- 1\n- 2\n', '"str"']) {
      assert.throws(
        () => parseApplyPatch(body),
        (err: unknown) => isK8tsError(err, 'BadRequest') && err.message.startsWith('error decoding YAML: '),
        body,
      );
    }
  });
});
