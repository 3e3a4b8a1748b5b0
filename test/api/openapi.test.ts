import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  openapiV2Json,
  openapiV2Protobuf,
  openapiV3Document,
  openapiV3Index,
  v2Document,
} from '../../src/api/openapi.js';
import {
  decodeOpenAPIv2,
  encodeOpenAPIv2,
  gnosticDocument,
  openapiV2DocumentType,
} from '../../src/api/openapi-proto.js';
import { serveOpenAPIv2, serveOpenAPIv3 } from '../../src/api/openapi-serve.js';
import { Registry } from '../../src/api/registry.js';
import { allResources } from '../../src/api/resources/index.js';
import type { ResourceDef } from '../../src/api/types.js';
import { type FakeServer, startFakeServer } from './fake-discovery-server.js';

// Kinds this test needs beyond what the registry serves today (dropped once the registry has them).
const testKinds: ResourceDef[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    singular: 'pod',
    namespaced: true,
    schemaName: 'io.k8s.api.core.v1.Pod',
    subresources: ['status', 'binding', 'eviction', 'log', 'exec'],
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    singular: 'deployment',
    namespaced: true,
    schemaName: 'io.k8s.api.apps.v1.Deployment',
    subresources: ['status', 'scale'],
  },
];
const reg = new Registry([
  ...allResources,
  ...testKinds.filter((t) => !allResources.some((r) => r.group === t.group && r.plural === t.plural)),
]);

function v3(group: string, version: string): any {
  const d = openapiV3Document(reg, group, version);
  assert.ok(d);
  return JSON.parse(d.body.toString());
}

describe('OpenAPI v3', () => {
  test('index lists each group-version with a content hash', () => {
    const index = openapiV3Index(reg);
    const expected = reg
      .groupVersions()
      .map((gv) => (gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`));
    assert.deepEqual(Object.keys(index.paths), expected);
    assert.ok(expected.includes('api/v1') && expected.includes('apis/apps/v1'));
    const core = openapiV3Document(reg, '', 'v1')!;
    assert.equal(index.paths['api/v1'].serverRelativeURL, `/openapi/v3/api/v1?hash=${core.hash}`);
    assert.match(core.hash, /^[0-9A-F]{128}$/);
    assert.equal(core.etag, `"${core.hash}"`);
    assert.equal(openapiV3Document(reg, '', 'v1'), core, 'cached');
    assert.equal(openapiV3Document(reg, 'nope', 'v1'), undefined);
  });

  test('write operations carry fieldValidation, dryRun, fieldManager; patch takes all four patch types', () => {
    const doc = v3('', 'v1');
    assert.equal(doc.openapi, '3.0.0');
    const item = doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'];
    assert.deepEqual(
      item.parameters.map((p: any) => p.name),
      ['name', 'namespace', 'pretty'],
    );
    const patch = item.patch;
    assert.equal(patch.operationId, 'patchCoreV1NamespacedConfigMap');
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], {
      group: '',
      kind: 'ConfigMap',
      version: 'v1',
    });
    const names = patch.parameters.map((p: any) => p.name);
    for (const n of ['dryRun', 'fieldManager', 'fieldValidation', 'force']) assert.ok(names.includes(n), n);
    assert.deepEqual(patch.parameters.find((p: any) => p.name === 'fieldValidation').in, 'query');
    assert.deepEqual(Object.keys(patch.requestBody.content).sort(), [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
    const post = doc.paths['/api/v1/namespaces/{namespace}/configmaps'].post;
    assert.ok(post.parameters.some((p: any) => p.name === 'fieldValidation'));
    assert.equal(
      post.requestBody.content['*/*'].schema.$ref,
      '#/components/schemas/io.k8s.api.core.v1.ConfigMap',
    );
    assert.ok(item.put.parameters.some((p: any) => p.name === 'fieldValidation'));
    const list = doc.paths['/api/v1/namespaces/{namespace}/configmaps'].get;
    assert.equal(list['x-kubernetes-action'], 'list');
    assert.ok(list.parameters.some((p: any) => p.name === 'labelSelector'));
    assert.ok(doc.paths['/api/v1/configmaps'].get.operationId, 'listCoreV1ConfigMapForAllNamespaces');
    assert.equal(
      doc.paths['/api/v1/watch/namespaces/{namespace}/configmaps/{name}'].get['x-kubernetes-action'],
      'watch',
    );
    // cluster-scoped namespaces with a status subresource
    assert.equal(
      doc.paths['/api/v1/namespaces/{name}/status'].patch.operationId,
      'patchCoreV1NamespaceStatus',
    );
    assert.equal(
      doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/binding'].post['x-kubernetes-group-version-kind']
        .kind,
      'Binding',
    );
    assert.equal(
      doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'].get['x-kubernetes-action'],
      'connect',
    );
  });

  test('components hold the closure of referenced schemas plus meta types', () => {
    const doc = v3('apps', 'v1');
    const schemas = doc.components.schemas;
    for (const n of [
      'io.k8s.api.apps.v1.Deployment',
      'io.k8s.api.apps.v1.DeploymentList',
      'io.k8s.api.autoscaling.v1.Scale',
      'io.k8s.api.core.v1.PodSpec',
      'io.k8s.api.core.v1.Container',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
      'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    ])
      assert.ok(schemas[n], n);
    assert.ok(!schemas['io.k8s.api.batch.v1.Job'], 'only what is referenced');
    for (const s of Object.values<any>(schemas))
      JSON.stringify(s).replace(/"\$ref":"#\/components\/schemas\/([^"]+)"/g, (_m, name) => {
        assert.ok(schemas[name], `dangling ${name}`);
        return '';
      });
    assert.deepEqual(
      schemas['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']['x-kubernetes-group-version-kind'],
      [
        { group: '', kind: 'DeleteOptions', version: 'v1' },
        { group: 'apps', kind: 'DeleteOptions', version: 'v1' },
      ],
    );
    assert.equal(
      doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].get.operationId,
      'readAppsV1NamespacedDeploymentScale',
    );
  });
});

describe('OpenAPI v2', () => {
  test('Swagger 2.0 JSON uses #/definitions refs without allOf, keeps patch metadata', () => {
    const doc = JSON.parse(openapiV2Json(reg).body.toString());
    assert.equal(doc.swagger, '2.0');
    const spec = doc.definitions['io.k8s.api.core.v1.PodSpec'];
    assert.equal(spec.properties.containers.items.$ref, '#/definitions/io.k8s.api.core.v1.Container');
    assert.equal(spec.properties.containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(spec.properties.affinity.$ref, '#/definitions/io.k8s.api.core.v1.Affinity');
    // No allOf keyword (an array); JSONSchemaProps of apiextensions has a *property* named allOf.
    assert.ok(!JSON.stringify(doc).includes('"allOf":['));
    assert.ok(!JSON.stringify(doc).includes('#/components/'));
    assert.equal(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
    assert.equal(doc.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].type, 'string');
    assert.equal(doc.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf, undefined);
    assert.deepEqual(doc.definitions['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [
      { group: '', kind: 'Pod', version: 'v1' },
    ]);
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.ok(patch.consumes.includes('application/strategic-merge-patch+json'));
    assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.deepEqual(patch.parameters[0], {
      name: 'body',
      in: 'body',
      required: true,
      schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' },
    });
  });

  test('protobuf round trip: decoding gives back the document we encoded', () => {
    const pb = openapiV2Protobuf(reg);
    const decoded = decodeOpenAPIv2(pb.body);
    const expected = gnosticDocument(v2Document(reg));
    assert.equal(decoded.swagger, '2.0');
    assert.deepEqual([decoded.info.title, decoded.info.version], ['Kubernetes', 'v1.33.0']);
    assert.deepEqual(
      decoded.paths.path.map((p: any) => p.name),
      expected.paths.path.map((p: any) => p.name),
    );
    const defs = new Map<string, any>(
      decoded.definitions.additional_properties.map((d: any) => [d.name, d.value]),
    );
    assert.equal(defs.size, expected.definitions.additional_properties.length);
    const spec = defs.get('io.k8s.api.core.v1.PodSpec');
    const containers = spec.properties.additional_properties.find((p: any) => p.name === 'containers').value;
    assert.deepEqual(containers.type.value, ['array']);
    assert.equal(containers.items.schema[0]._ref, '#/definitions/io.k8s.api.core.v1.Container');
    const ext = Object.fromEntries(
      containers.vendor_extension.map((e: any) => [e.name, parseYaml(e.value.yaml)]),
    );
    assert.deepEqual(ext, {
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    const pod = defs.get('io.k8s.api.core.v1.Pod');
    const gvk = pod.vendor_extension.find((e: any) => e.name === 'x-kubernetes-group-version-kind');
    assert.deepEqual(parseYaml(gvk.value.yaml), [{ group: '', kind: 'Pod', version: 'v1' }]);
    const cmPath = decoded.paths.path.find(
      (p: any) => p.name === '/api/v1/namespaces/{namespace}/configmaps/{name}',
    ).value;
    const q = cmPath.patch.parameters.map(
      (p: any) => p.parameter.non_body_parameter?.query_parameter_sub_schema?.name,
    );
    assert.ok(q.includes('fieldValidation'));
    assert.equal(cmPath.patch.parameters[0].parameter.body_parameter.name, 'body');
    assert.equal(
      cmPath.patch.responses.response_code[0].value.response.schema.schema._ref,
      '#/definitions/io.k8s.api.core.v1.ConfigMap',
    );
    // Encoding is deterministic, and re-encoding the decoded message gives the same bytes.
    assert.deepEqual(Buffer.from(encodeOpenAPIv2(v2Document(reg))), pb.body);
    const t = openapiV2DocumentType();
    assert.deepEqual(Buffer.from(t.encode(t.fromObject(decoded)).finish()), pb.body);
  });
});

// Real kubectl reads our documents. Needs the versioned binaries (see the API server issue).
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl';
const haveKubectl = existsSync(`${KUBECTL}.1.33`) && existsSync(`${KUBECTL}.1.27`);
const run = promisify(execFile);

describe('real kubectl against a fake server serving our documents', {
  skip: !haveKubectl && 'no kubectl',
}, () => {
  let server: FakeServer;
  let dir: string;
  const kubectl = async (version: string, ...args: string[]) => {
    const { stdout, stderr } = await run(
      `${KUBECTL}.${version}`,
      ['--server', server.url, '--cache-dir', join(dir, `cache-${version}`), ...args],
      { env: { PATH: process.env.PATH, HOME: dir }, timeout: 60_000 },
    );
    return { stdout, stderr };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-openapi-'));
    server = await startFakeServer(reg);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('explain (OpenAPI v3) works with 1.33 and 1.27', async () => {
    const a = await kubectl('1.33', 'explain', 'configmap');
    assert.match(a.stdout, /KIND:\s+ConfigMap/);
    assert.match(a.stdout, /ConfigMap holds configuration data for pods to consume/);
    assert.match(a.stdout, /data\s+<map\[string\]string>/);
    assert.equal(a.stderr, '');
    const b = await kubectl('1.27', 'explain', 'configmap.data');
    assert.match(b.stdout, /FIELD: data <map\[string\]string>/);
    assert.equal(b.stderr, '');
    const c = await kubectl('1.33', 'explain', 'deployment.spec.strategy.rollingUpdate.maxSurge');
    assert.match(c.stdout, /FIELD: maxSurge <IntOrString>/);
    assert.ok(server.requests.some((r) => r.url.startsWith('/openapi/v3/apis/apps/v1?hash=')));
  });

  test('explain from the OpenAPI v2 protobuf', async () => {
    const { stdout, stderr } = await kubectl(
      '1.27',
      'explain',
      'pod.spec.containers',
      '--output',
      'plaintext-openapiv2',
    );
    assert.match(stdout, /RESOURCE: containers <\[\]Object>/);
    assert.match(stdout, /imagePullPolicy\s+<string>/);
    assert.equal(stderr, '');
    assert.ok(server.requests.some((r) => r.url.startsWith('/openapi/v2')));
  });

  test('create sends fieldValidation=Strict (kubectl found the parameter) without warnings', async () => {
    writeFileSync(
      join(dir, 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\n  namespace: default\ndata:\n  a: "1"\n',
    );
    for (const v of ['1.27', '1.33']) {
      server.requests.length = 0;
      const { stdout, stderr } = await kubectl(v, 'create', '-f', join(dir, 'cm.yaml'));
      assert.equal(stdout.trim(), 'configmap/c1 created');
      assert.equal(stderr, '');
      const post = server.requests.find((r) => r.method === 'POST');
      assert.ok(post, v);
      assert.match(post.url, /^\/api\/v1\/namespaces\/default\/configmaps\?.*fieldValidation=Strict/);
    }
  });

  test('client-side apply computes a strategic merge patch with merge keys', async () => {
    const last = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: {
        containers: [
          { name: 'a', image: 'busybox' },
          { name: 'b', image: 'busybox' },
        ],
      },
    };
    server.objects.set('/api/v1/namespaces/default/pods/p', {
      ...last,
      metadata: {
        ...last.metadata,
        uid: 'u1',
        resourceVersion: '5',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(last) },
      },
    });
    writeFileSync(
      join(dir, 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\nspec:\n  containers:\n  - name: b\n    image: busybox:2\n  - name: a\n    image: busybox\n',
    );
    for (const v of ['1.27', '1.33']) {
      server.requests.length = 0;
      const { stdout, stderr } = await kubectl(v, 'apply', '-f', join(dir, 'pod.yaml'));
      assert.equal(stdout.trim(), 'pod/p configured');
      assert.equal(stderr, '');
      const patch = server.requests.find((r) => r.method === 'PATCH');
      assert.ok(patch, v);
      assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
      assert.match(patch.url, /fieldValidation=Strict/);
      const body = JSON.parse(patch.body);
      assert.deepEqual(body.spec['$setElementOrder/containers'], [{ name: 'b' }, { name: 'a' }]);
      assert.deepEqual(body.spec.containers, [{ image: 'busybox:2', name: 'b' }]);
    }
  });
});

describe('serving rules', () => {
  test('v3: matching hash is immutable, stale hash redirects, ETag gives 304, unknown GV 404', () => {
    const doc = openapiV3Document(reg, 'apps', 'v1')!;
    const now = Date.UTC(2025, 0, 1);
    const ok = serveOpenAPIv3(reg, '/apis/apps/v1', doc.hash, undefined, now);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, doc.body);
    assert.equal(ok.headers['cache-control'], 'public, immutable');
    assert.equal(ok.headers.expires, 'Thu, 01 Jan 2026 00:00:00 GMT');
    assert.equal(ok.headers.etag, doc.etag);
    const stale = serveOpenAPIv3(reg, '/apis/apps/v1', 'ABC');
    assert.equal(stale.status, 301);
    assert.equal(stale.headers.location, `/openapi/v3/apis/apps/v1?hash=${doc.hash}`);
    const plain = serveOpenAPIv3(reg, 'api/v1', undefined);
    assert.equal(plain.headers['cache-control'], 'no-cache, private');
    assert.equal(serveOpenAPIv3(reg, 'api/v1', undefined, plain.headers.etag).status, 304);
    assert.equal(serveOpenAPIv3(reg, 'apis/nope/v1', undefined).status, 404);
    const index = serveOpenAPIv3(reg, '', undefined);
    assert.deepEqual(JSON.parse(index.body!.toString()), openapiV3Index(reg));
  });

  test('v2: protobuf for kubectl, JSON otherwise', () => {
    const pb = serveOpenAPIv2(reg, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
    assert.equal(pb.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal(pb.body, openapiV2Protobuf(reg).body);
    const json = serveOpenAPIv2(reg, 'application/json');
    assert.equal(JSON.parse(json.body!.toString()).swagger, '2.0');
    assert.equal(serveOpenAPIv2(reg, 'application/json', json.headers.etag).status, 304);
  });
});
