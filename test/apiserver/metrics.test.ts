// The API server's /metrics and metrics.k8s.io/v1beta1 in process: discovery (both forms), NodeMetrics and
// PodMetrics get and list with selectors, NotFound and read-only answers, nodes/NAME/proxy to a kubelet
// server, and the request series after real requests. The kubelet is its HTTP server over canned text.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { reportedVerb, requestScope } from '../../src/apiserver/metrics.js';
import type { ResourceRequest } from '../../src/apiserver/requestinfo.js';
import { ApiServer } from '../../src/apiserver/server.js';
import { FakeClock } from '../../src/client/clock.js';
import { type KubeletServer, startKubeletServer } from '../../src/kubelet/server.js';
import type { Backend } from '../../src/storage/backend.js';
import { openMemoryBackend } from '../../src/storage/memory/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function kubeletText(ms: number, cpu: number): string {
  const l = (c: string, ns: string, pod: string) => `{container="${c}",namespace="${ns}",pod="${pod}"}`;
  return [
    `container_cpu_usage_seconds_total${l('app', 'default', 'web')} ${cpu} ${ms}`,
    `container_memory_working_set_bytes${l('app', 'default', 'web')} 20971520 ${ms}`,
    `container_start_time_seconds${l('app', 'default', 'web')} ${(T0 - 60_000) / 1000} ${T0 - 60_000}`,
    `container_cpu_usage_seconds_total${l('db', 'other', 'db')} ${cpu * 2} ${ms}`,
    `container_memory_working_set_bytes${l('db', 'other', 'db')} 1048576 ${ms}`,
    `node_cpu_usage_seconds_total ${cpu * 10} ${ms}`,
    `node_memory_working_set_bytes 1073741824 ${ms}`,
    '',
  ].join('\n');
}

describe('request labels', () => {
  const info = (verb: ResourceRequest['verb'], extra: Partial<ResourceRequest> = {}): ResourceRequest => ({
    type: 'resource',
    group: '',
    version: 'v1',
    resource: 'pods',
    rest: [],
    verb,
    ...extra,
  });
  it('reports verbs and scopes as upstream', () => {
    assert.equal(reportedVerb(info('list'), undefined), 'LIST');
    assert.equal(reportedVerb(info('watch'), undefined), 'WATCH');
    assert.equal(reportedVerb(info('patch'), 'application/apply-patch+yaml'), 'APPLY');
    assert.equal(reportedVerb(info('patch'), 'application/merge-patch+json'), 'PATCH');
    assert.equal(reportedVerb(info('deletecollection'), undefined), 'DELETE');
    assert.equal(reportedVerb(info('create', { name: 'p', subresource: 'exec' }), undefined), 'CONNECT');
    assert.equal(reportedVerb(info('get', { name: 'p', subresource: 'log' }), undefined), 'GET');
    assert.equal(requestScope(info('list')), 'cluster');
    assert.equal(requestScope(info('list', { namespace: 'ns' })), 'namespace');
    assert.equal(requestScope(info('get', { namespace: 'ns', name: 'p' })), 'resource');
  });
});

describe('API server metrics', () => {
  let backend: Backend;
  let api: ApiServer;
  let url: string;
  let kubelet: KubeletServer;
  let text = '';
  const clock = new FakeClock(T0);

  const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const raw = await r.text();
    let parsed: any = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // text
    }
    return { status: r.status, body: parsed, type: r.headers.get('content-type') };
  };

  before(async () => {
    kubelet = await startKubeletServer({
      host: '127.0.0.1',
      port: 0,
      logs: { resolve: async () => undefined },
      metrics: {
        metrics: async () => 'kubelet_running_pods 2\n',
        resourceMetrics: async () => text,
        summary: async () => ({ node: { nodeName: 'n1' }, pods: [] }),
      },
    });
    backend = await openMemoryBackend();
    api = new ApiServer({ backend, clock, now: () => new Date(clock.now()) });
    const addr = await api.listen(0);
    url = `http://127.0.0.1:${addr.port}`;
    for (const [ns, name, labels] of [
      ['default', 'web', { app: 'web' }],
      ['other', 'db', { app: 'db' }],
      ['default', 'idle', { app: 'idle' }],
    ] as const) {
      if (ns !== 'default') await req('POST', '/api/v1/namespaces', { metadata: { name: ns } });
      const r = await req('POST', `/api/v1/namespaces/${ns}/pods`, {
        metadata: { name, labels },
        spec: { containers: [{ name: name === 'web' ? 'app' : name, image: 'busybox' }] },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    await req('POST', '/api/v1/nodes', { metadata: { name: 'n1', labels: { zone: 'a' } } });
    await req('POST', '/api/v1/nodes', { metadata: { name: 'n2', labels: { zone: 'b' } } });
    const r = await req(
      'PATCH',
      '/api/v1/nodes/n1/status',
      {
        status: {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
        },
      },
      { 'content-type': 'application/merge-patch+json' },
    );
    assert.equal(r.status, 200);
    // n2 has no address: its scrape fails and it has no metrics.
    text = kubeletText(T0, 100);
    await api.resourceMetrics.scrapeOnce();
    text = kubeletText(T0 + 15_000, 103);
    await api.resourceMetrics.scrapeOnce();
  });

  after(async () => {
    await api.close();
    await backend.close();
    await kubelet.close();
  });

  it('lists metrics.k8s.io in discovery, legacy and aggregated, after the built-in groups', async () => {
    const groups = await req('GET', '/apis');
    const names = groups.body.groups.map((g: any) => g.name);
    assert.equal(names.at(-1), 'metrics.k8s.io');
    assert.deepEqual(groups.body.groups.at(-1).preferredVersion, {
      groupVersion: 'metrics.k8s.io/v1beta1',
      version: 'v1beta1',
    });
    const list = await req('GET', '/apis/metrics.k8s.io/v1beta1');
    assert.deepEqual(
      list.body.resources.map((r: any) => [r.name, r.kind, r.namespaced, r.verbs]),
      [
        ['nodes', 'NodeMetrics', false, ['get', 'list']],
        ['pods', 'PodMetrics', true, ['get', 'list']],
      ],
    );
    assert.equal((await req('GET', '/apis/metrics.k8s.io')).body.kind, 'APIGroup');
    const agg = await req('GET', '/apis', undefined, {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    });
    const m = agg.body.items.find((i: any) => i.metadata.name === 'metrics.k8s.io');
    assert.deepEqual(
      m.versions[0].resources.map((r: any) => [r.resource, r.responseKind.kind, r.scope]),
      [
        ['nodes', 'NodeMetrics', 'Cluster'],
        ['pods', 'PodMetrics', 'Namespaced'],
      ],
    );
  });

  it('serves NodeMetrics: the rate over the window and the working set, with the node labels', async () => {
    const r = await req('GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(r.status, 200);
    assert.equal(r.body.kind, 'NodeMetricsList');
    assert.equal(r.body.items.length, 1);
    const n = r.body.items[0];
    assert.equal(n.kind, 'NodeMetrics');
    assert.equal(n.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.equal(n.metadata.name, 'n1');
    assert.deepEqual(n.metadata.labels, { zone: 'a' });
    assert.equal(n.timestamp, '2026-01-01T00:00:15Z');
    assert.equal(n.window, '15s');
    assert.deepEqual(n.usage, { cpu: '2', memory: '1Gi' });
    const one = await req('GET', '/apis/metrics.k8s.io/v1beta1/nodes/n1');
    assert.deepEqual(one.body.usage, n.usage);
    assert.equal(
      (await req('GET', '/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Db')).body.items.length,
      0,
    );
  });

  it('answers NotFound for a node without metrics and for an unknown one', async () => {
    for (const name of ['n2', 'missing']) {
      const r = await req('GET', `/apis/metrics.k8s.io/v1beta1/nodes/${name}`);
      assert.equal(r.status, 404);
      assert.equal(r.body.reason, 'NotFound');
      assert.equal(r.body.message, `nodemetrics.metrics.k8s.io "${name}" not found`);
    }
  });

  it('serves PodMetrics per namespace and across all, with label and field selectors', async () => {
    const ns = await req('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    assert.equal(ns.body.kind, 'PodMetricsList');
    assert.deepEqual(
      ns.body.items.map((p: any) => [p.metadata.namespace, p.metadata.name, p.containers]),
      [['default', 'web', [{ name: 'app', usage: { cpu: '200m', memory: '20Mi' } }]]],
    );
    assert.deepEqual(ns.body.items[0].metadata.labels, { app: 'web' });
    const all = await req('GET', '/apis/metrics.k8s.io/v1beta1/pods');
    assert.deepEqual(
      all.body.items.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`),
      ['default/web', 'other/db'],
    );
    const sel = await req('GET', '/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%20in%20(db)');
    assert.deepEqual(
      sel.body.items.map((p: any) => p.metadata.name),
      ['db'],
    );
    const field = await req(
      'GET',
      '/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=metadata.namespace%3Dother',
    );
    assert.deepEqual(
      field.body.items.map((p: any) => p.metadata.name),
      ['db'],
    );
    const one = await req('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/other/pods/db');
    assert.deepEqual(one.body.containers, [{ name: 'db', usage: { cpu: '400m', memory: '1Mi' } }]);
    const none = await req('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/idle');
    assert.equal(none.status, 404);
    assert.equal(none.body.message, 'podmetrics.metrics.k8s.io "default/idle" not found');
    const bad = await req('GET', '/apis/metrics.k8s.io/v1beta1/pods?labelSelector=%3D%3D');
    assert.equal(bad.status, 400);
  });

  it('is read-only', async () => {
    const r = await req('POST', '/apis/metrics.k8s.io/v1beta1/nodes', { metadata: { name: 'x' } });
    assert.equal(r.status, 405);
    assert.equal(r.body.reason, 'MethodNotAllowed');
    const d = await req('DELETE', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web');
    assert.equal(d.status, 405);
    assert.equal((await req('GET', '/apis/metrics.k8s.io/v1beta1/widgets')).status, 404);
  });

  it('proxies nodes/NAME/proxy/PATH to the kubelet', async () => {
    const r = await req('GET', '/api/v1/nodes/n1/proxy/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'kubelet_running_pods 2\n');
    const s = await req('GET', '/api/v1/nodes/n1/proxy/stats/summary');
    assert.deepEqual(s.body, { node: { nodeName: 'n1' }, pods: [] });
    const n2 = await req('GET', '/api/v1/nodes/n2/proxy/metrics');
    assert.equal(n2.status, 400);
    assert.match(n2.body.message, /no preferred addresses/);
  });

  it('serves /metrics with upstream series for the requests it answered', async () => {
    await req('GET', '/api/v1/namespaces/default/pods/web');
    await req('GET', '/api/v1/namespaces/default/pods/nope');
    await req('GET', '/apis/example.com/v1/namespaces/default/widgetz/w');
    await req('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { metadata: { name: 'c' } });
    const r = await req('GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type ?? '', /^text\/plain; version=0\.0\.4/);
    const body: string = r.body;
    const has = (line: string) => assert.ok(body.includes(line), `missing ${line}`);
    has(
      'apiserver_request_total{verb="GET",dry_run="",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",code="200"} 1',
    );
    has(
      'apiserver_request_total{verb="GET",dry_run="",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",code="404"} 1',
    );
    has(
      'apiserver_request_total{verb="POST",dry_run="All",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="201"} 1',
    );
    has(
      'apiserver_request_total{verb="LIST",dry_run="",group="metrics.k8s.io",version="v1beta1",resource="pods",subresource="",scope="cluster",component="apiserver",code="200"}',
    );
    has(
      'apiserver_request_duration_seconds_bucket{verb="GET",dry_run="",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",le="+Inf"} 2',
    );
    has(
      'apiserver_request_duration_seconds_count{verb="GET",dry_run="",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver"} 2',
    );
    // A made-up resource does not get series of its own.
    has(
      'apiserver_request_total{verb="GET",dry_run="",group="",version="",resource="",subresource="",scope="resource",component="apiserver",code="404"} 1',
    );
    assert.ok(!body.includes('widgetz'));
    has(
      'apiserver_request_total{verb="CONNECT",dry_run="",group="",version="v1",resource="nodes",subresource="proxy",scope="resource",component="apiserver",code="200"} 2',
    );
    has('apiserver_current_inflight_requests{request_kind="readOnly"} 0');
    has('apiserver_storage_objects{resource="pods"} 3');
    has('apiserver_storage_objects{resource="nodes"} 2');
    has('# TYPE apiserver_longrunning_requests gauge');
    has('# TYPE process_cpu_user_seconds_total counter');
    has('# TYPE nodejs_heap_size_used_bytes gauge');
  });

  it('counts an open watch as a long-running request until it ends', async () => {
    const ac = new AbortController();
    const w = await fetch(`${url}/api/v1/namespaces/default/pods?watch=1`, { signal: ac.signal });
    assert.equal(w.status, 200);
    const line =
      'apiserver_longrunning_requests{verb="WATCH",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver"}';
    assert.ok((await req('GET', '/metrics')).body.includes(`${line} 1`));
    ac.abort();
    await w.body?.cancel().catch(() => {});
    let body = '';
    for (let i = 0; i < 100; i++) {
      body = (await req('GET', '/metrics')).body;
      if (!body.includes(line)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(!body.includes(line), 'the ended watch is still counted');
  });
});
