import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteBackend } from '../../src/storage/sqlite/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const WIDGETS = '/apis/example.k8ts.io/v1/namespaces/default/widgets';

function widgetCrd(extra: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.k8ts.io' },
    spec: {
      group: 'example.k8ts.io',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          selectableFields: [{ jsonPath: '.spec.size' }],
          additionalPrinterColumns: [
            { name: 'Size', type: 'string', jsonPath: '.spec.size' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 20 } } },
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: {
                    size: { type: 'string', enum: ['small', 'large'] },
                    replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
                    code: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
                    port: { 'x-kubernetes-int-or-string': true },
                    tags: {
                      type: 'array',
                      maxItems: 2,
                      'x-kubernetes-list-type': 'set',
                      items: { type: 'string' },
                    },
                    ports: {
                      type: 'array',
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['name'],
                      items: {
                        type: 'object',
                        required: ['name'],
                        properties: { name: { type: 'string' }, port: { type: 'integer' } },
                      },
                    },
                    labels: { type: 'object', additionalProperties: { type: 'string' } },
                    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    empty: { type: 'object' },
                    note: { type: 'string', nullable: true },
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    replicas: { type: 'integer' },
                    selector: { type: 'string' },
                    conditions: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { type: { type: 'string' }, status: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
    ...extra,
  };
}

const widget = (name: string, spec: Record<string, unknown> = { size: 'small' }, labels?: any) => ({
  apiVersion: 'example.k8ts.io/v1',
  kind: 'Widget',
  metadata: { name, labels },
  spec,
});

/** Retries `check` until it stops throwing (the CRD controller works asynchronously). */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function established(t: TestApi, name: string): Promise<any> {
  return eventually(async () => {
    const r = await t.req('GET', `${CRDS}/${name}`);
    const c = r.body.status?.conditions?.find((x: any) => x.type === 'Established');
    assert.equal(c?.status, 'True');
    return r.body;
  });
}

describe('apiserver CustomResourceDefinitions', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('creates a CRD that becomes Established', async () => {
    const c = await t.req('POST', CRDS, widgetCrd());
    assert.equal(c.status, 201, JSON.stringify(c.body));
    await established(t, 'widgets.example.k8ts.io');
  });

  it('defaults the CRD and sets NamesAccepted, Established, acceptedNames and storedVersions', async () => {
    const crd = (await t.req('GET', `${CRDS}/widgets.example.k8ts.io`)).body;
    assert.equal(crd.spec.names.singular, 'widget');
    assert.equal(crd.spec.names.listKind, 'WidgetList');
    assert.deepEqual(crd.spec.conversion, { strategy: 'None' });
    assert.deepEqual(crd.status.storedVersions, ['v1']);
    assert.equal(crd.status.acceptedNames.kind, 'Widget');
    assert.equal(crd.status.acceptedNames.plural, 'widgets');
    const byType = Object.fromEntries(crd.status.conditions.map((c: any) => [c.type, c]));
    assert.equal(byType.NamesAccepted.status, 'True');
    assert.equal(byType.NamesAccepted.reason, 'NoConflicts');
    assert.equal(byType.Established.reason, 'InitialNamesAccepted');
  });

  it('rejects invalid CRDs with 422 and field causes', async () => {
    const cases: [any, string][] = [
      [{ ...widgetCrd(), metadata: { name: 'wrong.example.k8ts.io' } }, 'metadata.name'],
      [widgetCrdWith((s) => (s.scope = 'Global')), 'spec.scope'],
      [widgetCrdWith((s) => (s.versions[1].storage = true)), 'spec.versions'],
      [widgetCrdWith((s) => delete s.versions[0].schema), 'spec.versions[0].schema.openAPIV3Schema'],
      [
        widgetCrdWith(
          (s) => (s.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.type = ''),
        ),
        'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].type',
      ],
      [
        widgetCrdWith((s) => (s.versions[0].subresources.scale.specReplicasPath = '.status.x')),
        'spec.versions[0].subresources.scale.specReplicasPath',
      ],
      [
        widgetCrdWith((s) => (s.versions[0].additionalPrinterColumns[0].type = 'float')),
        'spec.versions[0].additionalPrinterColumns[0].type',
      ],
      [widgetCrdWith((s) => (s.group = 'nodots')), 'spec.group'],
    ];
    for (const [body, field] of cases) {
      body.metadata.name =
        body.metadata.name === 'wrong.example.k8ts.io' ? body.metadata.name : `widgets.${body.spec.group}`;
      const r = await t.req('POST', `${CRDS}?dryRun=All`, body);
      assert.equal(r.status, 422, `${field}: ${JSON.stringify(r.body)}`);
      assert.ok(
        r.body.details.causes.some((c: any) => c.field === field),
        `${field} not in ${JSON.stringify(r.body.details.causes)}`,
      );
    }
  });

  it('serves discovery, aggregated discovery and OpenAPI for the custom resource', async () => {
    const list = await t.req('GET', '/apis/example.k8ts.io/v1');
    assert.equal(list.status, 200);
    const names = list.body.resources.map((r: any) => r.name);
    assert.deepEqual(names, ['widgets', 'widgets/status', 'widgets/scale']);
    assert.deepEqual(list.body.resources[0].shortNames, ['wd']);
    const group = await t.req('GET', '/apis/example.k8ts.io');
    assert.equal(group.body.preferredVersion.version, 'v1');
    assert.deepEqual(
      group.body.versions.map((v: any) => v.version),
      ['v1', 'v1beta1'],
    );
    const agg = await t.req('GET', '/apis', undefined, {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    });
    const g = agg.body.items.find((i: any) => i.metadata.name === 'example.k8ts.io');
    assert.equal(g.versions[0].resources[0].resource, 'widgets');
    const v3 = await t.req('GET', '/openapi/v3/apis/example.k8ts.io/v1');
    assert.equal(v3.status, 200);
    const schema = v3.body.components.schemas['io.k8ts.example.v1.Widget'];
    assert.equal(schema.properties.spec.properties.size.type, 'string');
    assert.ok(v3.body.components.schemas['io.k8ts.example.v1.WidgetList']);
    assert.ok(v3.body.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
    const v2 = await t.req('GET', '/openapi/v2');
    assert.ok(v2.body.definitions['io.k8ts.example.v1.Widget']);
    assert.ok(v2.body.paths['/apis/example.k8ts.io/v1/namespaces/{namespace}/widgets/{name}']);
    assert.ok(v2.body.paths['/apis/apiextensions.k8s.io/v1/customresourcedefinitions']);
  });

  it('creates, reads, lists with selectors, updates and deletes custom resources', async () => {
    const c = await t.req('POST', WIDGETS, widget('one', { size: 'small' }, { app: 'a' }));
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.spec.replicas, 1, 'schema default applied');
    assert.match(c.body.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(c.body.metadata.generation, 1);
    await t.req('POST', WIDGETS, widget('two', { size: 'large' }, { app: 'b' }));
    const g = await t.req('GET', `${WIDGETS}/one`);
    assert.deepEqual(g.body, c.body);
    const byLabel = await t.req('GET', `${WIDGETS}?labelSelector=app%3Db`);
    assert.deepEqual(
      byLabel.body.items.map((o: any) => o.metadata.name),
      ['two'],
    );
    assert.equal(byLabel.body.kind, 'WidgetList');
    const byField = await t.req('GET', `/apis/example.k8ts.io/v1/widgets?fieldSelector=metadata.name%3Done`);
    assert.deepEqual(
      byField.body.items.map((o: any) => o.metadata.name),
      ['one'],
    );
    const bySize = await t.req('GET', `${WIDGETS}?fieldSelector=spec.size%3Dlarge`);
    assert.deepEqual(
      bySize.body.items.map((o: any) => o.metadata.name),
      ['two'],
      'selectableFields',
    );
    const badField = await t.req('GET', `${WIDGETS}?fieldSelector=spec.code%3Dx`);
    assert.equal(badField.status, 400);
    const put = await t.req('PUT', `${WIDGETS}/one`, { ...g.body, spec: { size: 'large', replicas: 3 } });
    assert.equal(put.status, 200);
    assert.equal(put.body.metadata.generation, 2);
    const stale = await t.req('PUT', `${WIDGETS}/one`, { ...g.body, spec: { size: 'large' } });
    assert.equal(stale.status, 409);
    const del = await t.req('DELETE', `${WIDGETS}/two`);
    assert.equal(del.status, 200);
    assert.equal((await t.req('GET', `${WIDGETS}/two`)).status, 404);
    // The other served version reads the same object with its own apiVersion.
    const beta = await t.req('GET', '/apis/example.k8ts.io/v1beta1/namespaces/default/widgets/one');
    assert.equal(beta.body.apiVersion, 'example.k8ts.io/v1beta1');
    assert.equal(beta.body.spec.replicas, 3);
    const noNs = await t.req('POST', '/apis/example.k8ts.io/v1/namespaces/nope/widgets', widget('x'));
    assert.equal(noNs.status, 404);
  });

  it('validates custom resources against the schema with 422 causes', async () => {
    const bad = await t.req(
      'POST',
      WIDGETS,
      widget('bad', {
        size: 'medium',
        replicas: 'many',
        code: 'ABC123',
        tags: ['a', 'b', 'c'],
        labels: { x: 1 },
        port: true,
      }),
    );
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    const causes = Object.fromEntries(bad.body.details.causes.map((c: any) => [c.field, c]));
    assert.equal(causes['spec.size'].reason, 'FieldValueNotSupported');
    assert.equal(
      causes['spec.size'].message,
      'Unsupported value: "medium": supported values: "small", "large"',
    );
    assert.equal(causes['spec.replicas'].reason, 'FieldValueTypeInvalid');
    assert.match(causes['spec.replicas'].message, /spec.replicas in body must be of type integer: "string"/);
    assert.match(causes['spec.code'].message, /should match '\^\[a-z\]\+\$'/);
    assert.equal(causes['spec.tags'].reason, 'FieldValueTooMany');
    assert.match(causes['spec.labels.x'].message, /must be of type string/);
    assert.ok(causes['spec.port']);
    assert.match(bad.body.message, /^Widget.example.k8ts.io "bad" is invalid: \[/);
    const missing = await t.req('POST', WIDGETS, widget('missing', {}));
    assert.equal(missing.status, 422);
    assert.equal(missing.body.details.causes[0].field, 'spec.size');
    assert.equal(missing.body.details.causes[0].reason, 'FieldValueRequired');
    const long = await t.req('POST', WIDGETS, widget('a-name-longer-than-twenty'));
    assert.equal(long.status, 422);
    assert.equal(long.body.details.causes[0].field, 'metadata.name');
    assert.equal(long.body.details.causes[0].reason, 'FieldValueTooLong');
    const dups = await t.req(
      'POST',
      WIDGETS,
      widget('dups', {
        size: 'small',
        tags: ['a', 'a'],
        ports: [
          { name: 'http', port: 80 },
          { name: 'http', port: 81 },
        ],
      }),
    );
    assert.equal(dups.status, 422);
    const dupCauses = Object.fromEntries(dups.body.details.causes.map((c: any) => [c.field, c.message]));
    assert.equal(dupCauses['spec.tags[1]'], 'Duplicate value: "a"');
    assert.equal(dupCauses['spec.ports[1]'], 'Duplicate value: map[string]interface {}{"name":"http"}');
    const range = await t.req('POST', WIDGETS, widget('range', { size: 'small', replicas: 11 }));
    assert.equal(range.status, 422);
    assert.match(range.body.message, /spec.replicas in body should be less than or equal to 10/);
    const ok = await t.req(
      'POST',
      WIDGETS,
      widget('okay', { size: 'small', port: 'http', note: null, free: { any: { thing: 1 } } }),
    );
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.spec.free, { any: { thing: 1 } });
  });

  it('prunes unknown fields, warns about them, and refuses them under fieldValidation=Strict', async () => {
    const body = widget('pruned', { size: 'small', extra: 1 });
    (body as any).top = 'x';
    (body.metadata as any).bogus = true;
    const c = await t.req('POST', WIDGETS, body);
    assert.equal(c.status, 201);
    assert.equal(c.body.spec.extra, undefined);
    assert.equal(c.body.top, undefined);
    assert.equal(c.body.metadata.bogus, undefined);
    assert.match(c.headers.get('warning') ?? '', /unknown field \\"spec.extra\\"/);
    // An object that names no fields keeps none (upstream's structural pruning).
    const closed = await t.req('POST', WIDGETS, widget('closed', { size: 'small', empty: { a: 1 } }));
    assert.equal(closed.status, 201);
    assert.deepEqual(closed.body.spec.empty, {});
    const strict = await t.req('POST', `${WIDGETS}?fieldValidation=Strict`, {
      ...widget('strict', { size: 'small', extra: 1 }),
    });
    assert.equal(strict.status, 400);
    assert.match(strict.body.message, /unknown field "spec.extra"/);
  });

  it('patches with JSON and merge patches and server-side apply, and refuses strategic merge with 415', async () => {
    await t.req('POST', WIDGETS, widget('p', { size: 'small', tags: ['a'] }));
    const merge = await t.req(
      'PATCH',
      `${WIDGETS}/p`,
      { spec: { size: 'large' } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    assert.equal(merge.status, 200);
    assert.equal(merge.body.spec.size, 'large');
    const json = await t.req('PATCH', `${WIDGETS}/p`, [{ op: 'add', path: '/spec/tags/-', value: 'b' }], {
      'content-type': 'application/json-patch+json',
    });
    assert.deepEqual(json.body.spec.tags, ['a', 'b']);
    const smp = await t.req(
      'PATCH',
      `${WIDGETS}/p`,
      { spec: { size: 'small' } },
      {
        'content-type': 'application/strategic-merge-patch+json',
      },
    );
    assert.equal(smp.status, 415);
    assert.doesNotMatch(smp.body.message, /strategic/);
    const invalidPatch = await t.req(
      'PATCH',
      `${WIDGETS}/p`,
      { spec: { size: 'huge' } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    assert.equal(invalidPatch.status, 422);
    const apply = await t.req(
      'PATCH',
      `${WIDGETS}/applied?fieldManager=me`,
      JSON.stringify(widget('applied', { size: 'small', code: 'abc' })),
      { 'content-type': 'application/apply-patch+yaml' },
    );
    // (The server answers an apply that creates with 200 for every kind.)
    assert.equal(apply.status, 200, JSON.stringify(apply.body));
    assert.equal(apply.body.metadata.managedFields[0].manager, 'me');
    const conflict = await t.req(
      'PATCH',
      `${WIDGETS}/applied?fieldManager=other`,
      JSON.stringify(widget('applied', { size: 'large' })),
      { 'content-type': 'application/apply-patch+yaml' },
    );
    assert.equal(conflict.status, 409);
  });

  it('serves the status and scale subresources', async () => {
    await t.req('POST', WIDGETS, widget('s', { size: 'small', replicas: 2 }));
    const withStatus = await t.req('PUT', `${WIDGETS}/s`, {
      ...(await t.req('GET', `${WIDGETS}/s`)).body,
      status: { replicas: 9 },
    });
    assert.equal(withStatus.body.status, undefined, 'the main resource ignores status');
    const cur = (await t.req('GET', `${WIDGETS}/s`)).body;
    const st = await t.req('PUT', `${WIDGETS}/s/status`, {
      ...cur,
      spec: { size: 'large' },
      status: { replicas: 2, selector: 'app=s', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    assert.equal(st.status, 200);
    assert.equal(st.body.status.replicas, 2);
    assert.equal(st.body.spec.size, 'small', 'the status subresource ignores spec');
    const badStatus = await t.req(
      'PATCH',
      `${WIDGETS}/s/status`,
      { status: { replicas: 'x' } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    assert.equal(badStatus.status, 422);
    const scale = await t.req('GET', `${WIDGETS}/s/scale`);
    assert.equal(scale.body.kind, 'Scale');
    assert.equal(scale.body.spec.replicas, 2);
    assert.equal(scale.body.status.selector, 'app=s');
    const scaled = await t.req(
      'PATCH',
      `${WIDGETS}/s/scale`,
      { spec: { replicas: 5 } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    assert.equal(scaled.status, 200);
    assert.equal((await t.req('GET', `${WIDGETS}/s`)).body.spec.replicas, 5);
  });

  it('answers Table requests with the printer columns', async () => {
    const r = await t.req('GET', `${WIDGETS}/s`, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    assert.equal(r.body.kind, 'Table');
    assert.deepEqual(
      r.body.columnDefinitions.map((c: any) => c.name),
      ['Name', 'Size', 'Replicas', 'Ready', 'Age'],
    );
    const [name, size, replicas, ready, age] = r.body.rows[0].cells;
    assert.deepEqual([name, size, replicas, ready], ['s', 'small', 5, 'True']);
    assert.match(age, /^\d+s$/);
    const crds = await t.req('GET', CRDS, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    assert.deepEqual(
      crds.body.columnDefinitions.map((c: any) => c.name),
      ['Name', 'Created At'],
    );
  });

  it('watches custom resources through the watch cache', async () => {
    const rv = (await t.req('GET', WIDGETS)).body.metadata.resourceVersion;
    const ac = new AbortController();
    const res = await fetch(`${t.url}${WIDGETS}?watch=true&resourceVersion=${rv}&labelSelector=w%3D1`, {
      signal: ac.signal,
    });
    await t.req('POST', WIDGETS, widget('w1', { size: 'small' }, { w: '1' }));
    await t.req('POST', WIDGETS, widget('w2', { size: 'small' }, { w: '2' }));
    await t.req('DELETE', `${WIDGETS}/w1`);
    const events: any[] = [];
    const reader = res.body!.getReader();
    let buf = '';
    while (events.length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    }
    ac.abort();
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, e.object.kind]),
      [
        ['ADDED', 'w1', 'Widget'],
        ['DELETED', 'w1', 'Widget'],
      ],
    );
  });

  it('serves the new shape after a CRD update (a version added, a column changed)', async () => {
    const cur = (await t.req('GET', `${CRDS}/widgets.example.k8ts.io`)).body;
    const v2 = structuredClone(cur.spec.versions[0]);
    v2.name = 'v2';
    v2.storage = false;
    v2.additionalPrinterColumns = [{ name: 'Code', type: 'string', jsonPath: '.spec.code' }];
    cur.spec.versions.push(v2);
    const put = await t.req('PUT', `${CRDS}/widgets.example.k8ts.io`, cur);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.metadata.generation, 2);
    const group = await eventually(async () => {
      const g = await t.req('GET', '/apis/example.k8ts.io');
      assert.deepEqual(
        g.body.versions.map((v: any) => v.version),
        ['v2', 'v1', 'v1beta1'],
      );
      return g.body;
    });
    assert.equal(group.preferredVersion.version, 'v2');
    const r = await t.req('GET', '/apis/example.k8ts.io/v2/namespaces/default/widgets', undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    assert.deepEqual(
      r.body.columnDefinitions.map((c: any) => c.name),
      ['Name', 'Code'],
    );
    const v3 = await t.req('GET', '/openapi/v3/apis/example.k8ts.io/v2');
    assert.ok(v3.body.components.schemas['io.k8ts.example.v2.Widget']);
  });

  it('refuses a second CRD whose names are taken', async () => {
    const other = widgetCrd();
    other.metadata.name = 'gadgets.example.k8ts.io';
    other.spec.names = { plural: 'gadgets', kind: 'Widget' };
    const c = await t.req('POST', CRDS, other);
    assert.equal(c.status, 201);
    const crd = await eventually(async () => {
      const r = await t.req('GET', `${CRDS}/gadgets.example.k8ts.io`);
      assert.ok(r.body.status.conditions?.length);
      return r.body;
    });
    const byType = Object.fromEntries(crd.status.conditions.map((x: any) => [x.type, x]));
    assert.equal(byType.NamesAccepted.status, 'False');
    assert.equal(byType.Established.status, 'False');
    assert.equal((await t.req('GET', '/apis/example.k8ts.io/v1/namespaces/default/gadgets')).status, 404);
    await t.req('DELETE', `${CRDS}/gadgets.example.k8ts.io`);
  });

  it('deleting the CRD deletes its custom resources and stops serving them', async () => {
    const crd = widgetCrd();
    crd.metadata.name = 'things.example.k8ts.io';
    crd.spec.names = { plural: 'things', kind: 'Thing' };
    crd.spec.scope = 'Cluster';
    crd.spec.versions = [crd.spec.versions[1]];
    crd.spec.versions[0].storage = true;
    assert.equal((await t.req('POST', CRDS, crd)).status, 201);
    await established(t, 'things.example.k8ts.io');
    const things = '/apis/example.k8ts.io/v1beta1/things';
    for (const n of ['a', 'b'])
      assert.equal(
        (
          await t.req('POST', things, {
            apiVersion: 'example.k8ts.io/v1beta1',
            kind: 'Thing',
            metadata: { name: n },
            x: 1,
          })
        ).status,
        201,
      );
    // A finalizer of its own holds one custom resource, so the CRD stays terminating for a while.
    const held = {
      apiVersion: 'example.k8ts.io/v1beta1',
      kind: 'Thing',
      metadata: { name: 'held', finalizers: ['example.k8ts.io/hold'] },
    };
    assert.equal((await t.req('POST', things, held)).status, 201);
    const del = await t.req('DELETE', `${CRDS}/things.example.k8ts.io`);
    assert.equal(del.status, 202, 'pending on its cleanup finalizer');
    const terminating = await eventually(async () => {
      const r = await t.req('GET', `${CRDS}/things.example.k8ts.io`);
      const c = r.body.status.conditions.find((x: any) => x.type === 'Terminating');
      assert.equal(c?.status, 'True');
      assert.equal((await t.req('GET', `${things}/a`)).status, 404, 'the others are deleted');
      return r.body;
    });
    assert.equal(
      terminating.status.conditions.find((x: any) => x.type === 'Terminating').reason,
      'InstanceDeletionInProgress',
    );
    const refused = await t.req('POST', things, {
      apiVersion: 'example.k8ts.io/v1beta1',
      kind: 'Thing',
      metadata: { name: 'late' },
    });
    assert.equal(refused.status, 405);
    assert.equal(refused.body.message, 'create not allowed while custom resource definition is terminating');
    const h = (await t.req('GET', `${things}/held`)).body;
    assert.ok(h.metadata.deletionTimestamp, 'being deleted');
    assert.equal(
      (
        await t.req(
          'PATCH',
          `${things}/held`,
          { metadata: { finalizers: null } },
          { 'content-type': 'application/merge-patch+json' },
        )
      ).status,
      200,
    );
    assert.ok(del.body.metadata.finalizers.includes('customresourcecleanup.apiextensions.k8s.io'));
    await eventually(async () => {
      assert.equal((await t.req('GET', `${CRDS}/things.example.k8ts.io`)).status, 404);
    });
    assert.equal((await t.req('GET', things)).status, 404);
    const stored = await t.backend.list('/registry/example.k8ts.io/things/');
    assert.equal(stored.items.length, 0);
    const disc = await t.req('GET', '/apis/example.k8ts.io/v1beta1');
    assert.ok(!disc.body.resources?.some((r: any) => r.name === 'things'));
  });
});

function widgetCrdWith(change: (spec: any) => void): any {
  const c = widgetCrd();
  change(c.spec);
  return c;
}

describe('apiserver CustomResourceDefinitions across restarts', () => {
  it('serves the CRDs in the store again after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-crd-'));
    try {
      const first = await startTestApi({ backend: await openSqliteBackend({ dataDir: dir }) });
      try {
        await first.req('POST', CRDS, widgetCrd());
        await established(first, 'widgets.example.k8ts.io');
        assert.equal((await first.req('POST', WIDGETS, widget('kept'))).status, 201);
      } finally {
        await first.close();
      }
      const second = await startTestApi({ backend: await openSqliteBackend({ dataDir: dir }) });
      try {
        const r = await second.req('GET', `${WIDGETS}/kept`);
        assert.equal(r.status, 200);
        assert.equal(r.body.spec.size, 'small');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
