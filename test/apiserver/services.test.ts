// Service cluster IP and NodePort allocation, and the `kubernetes` Service.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../../src/apiserver/server.js';
import type { Backend } from '../../src/storage/backend.js';
import { openMemoryBackend } from '../../src/storage/memory/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';

const svc = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

describe('service allocation', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('has the kubernetes Service on the first IP, pointing at this server', async () => {
    const k = await t.req('GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(k.status, 200);
    assert.equal(k.body.spec.clusterIP, '10.43.0.1');
    const ep = await t.req('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.equal(ep.body.subsets[0].ports[0].port, Number(new URL(t.url).port));
  });

  it('allocates distinct cluster IPs in the range', async () => {
    const ips = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await t.req('POST', '/api/v1/namespaces/default/services', svc(`s${i}`));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.match(r.body.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
      assert.deepEqual(r.body.spec.clusterIPs, [r.body.spec.clusterIP]);
      ips.add(r.body.spec.clusterIP);
    }
    assert.equal(ips.size, 20);
    assert.ok(!ips.has('10.43.0.1'));
  });

  it('keeps headless and ExternalName services without an IP', async () => {
    const h = await t.req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('headless', { clusterIP: 'None' }),
    );
    assert.equal(h.body.spec.clusterIP, 'None');
    const e = await t.req('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext' },
      spec: { type: 'ExternalName', externalName: 'example.com' },
    });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    assert.equal(e.body.spec.clusterIP, undefined);
  });

  it('rejects an IP outside the range or already in use with 422, storing nothing', async () => {
    const out = await t.req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('out', { clusterIP: '192.168.9.9' }),
    );
    assert.equal(out.status, 422);
    assert.match(out.body.message, /is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);
    const a = await t.req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('fixed', { clusterIP: '10.43.7.7' }),
    );
    assert.equal(a.status, 201);
    const dup = await t.req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('dup', { clusterIP: '10.43.7.7' }),
    );
    assert.equal(dup.status, 422);
    assert.match(dup.body.message, /provided IP is already allocated/);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/services/dup')).status, 404);
    // Deleting the owner frees the address.
    await t.req('DELETE', '/api/v1/namespaces/default/services/fixed');
    const again = await t.req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('again', { clusterIP: '10.43.7.7' }),
    );
    assert.equal(again.status, 201);
  });

  it('allocates node ports and checks requested ones', async () => {
    const np = await t.req('POST', '/api/v1/namespaces/default/services', svc('np', { type: 'NodePort' }));
    assert.equal(np.status, 201);
    const port = np.body.spec.ports[0].nodePort;
    assert.ok(port >= 30000 && port <= 32767);
    const taken = await t.req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] }),
    );
    assert.equal(taken.status, 422);
    assert.match(taken.body.message, /provided port is already allocated/);
    const outside = await t.req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }),
    );
    assert.equal(outside.status, 422);
    // An update keeps the allocated IP and port.
    const u = await t.req('PUT', '/api/v1/namespaces/default/services/np', {
      ...np.body,
      spec: { ...np.body.spec, clusterIP: undefined, clusterIPs: undefined, ports: [{ port: 80 }] },
    });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal(u.body.spec.clusterIP, np.body.spec.clusterIP);
    assert.equal(u.body.spec.ports[0].nodePort, port);
  });
});

describe('service allocation from a configured range', () => {
  let api: ApiServer;
  let backend: Backend;
  let url: string;
  const req = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  before(async () => {
    backend = await openMemoryBackend();
    api = new ApiServer({ backend, serviceCidr: '10.96.0.0/12' });
    const addr = await api.listen(0);
    url = `http://127.0.0.1:${addr.port}`;
  });
  after(async () => {
    await api.close();
    await backend.close();
  });

  it('puts the kubernetes Service on the range start, with an EndpointSlice next to its Endpoints', async () => {
    const k = await req('GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(k.body.spec.clusterIP, '10.96.0.1');
    const s = await req('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    assert.equal(s.status, 200);
    assert.deepEqual(s.body.metadata.labels, { 'kubernetes.io/service-name': 'kubernetes' });
    assert.equal(s.body.addressType, 'IPv4');
    assert.deepEqual(s.body.ports, [{ name: 'https', port: Number(new URL(url).port), protocol: 'TCP' }]);
    assert.deepEqual(s.body.endpoints[0].conditions, { ready: true });
    const ep = await req('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.deepEqual(s.body.endpoints[0].addresses, [ep.body.subsets[0].addresses[0].ip]);
  });

  it('allocates inside the configured range and rejects addresses outside it or taken', async () => {
    const a = await req('POST', '/api/v1/namespaces/default/services', svc('a'));
    assert.equal(a.status, 201);
    const n = a.body.spec.clusterIP.split('.').map(Number);
    assert.ok(n[0] === 10 && n[1] >= 96 && n[1] <= 111, a.body.spec.clusterIP);
    const out = await req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('out', { clusterIP: '10.43.0.5' }),
    );
    assert.equal(out.status, 422);
    assert.equal(
      out.body.message,
      'Service "out" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.0.5"}: failed to allocate IP 10.43.0.5: provided IP (10.43.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
    const taken = await req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('taken', { clusterIP: '10.96.0.1' }),
    );
    assert.equal(taken.status, 422);
    assert.equal(taken.body.reason, 'Invalid');
    assert.deepEqual(taken.body.details.causes, [
      {
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated',
        field: 'spec.clusterIPs',
      },
    ]);
  });

  it('shares one node port between the protocols of one port number, and refuses it across numbers', async () => {
    const dns = await req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('dns', {
        type: 'NodePort',
        ports: [
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'dns-udp', port: 53, protocol: 'UDP' },
        ],
      }),
    );
    assert.equal(dns.status, 201, JSON.stringify(dns.body));
    const [tcp, udp] = dns.body.spec.ports;
    assert.equal(tcp.nodePort, udp.nodePort);
    const asked = await req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('asked', {
        type: 'NodePort',
        ports: [
          { name: 'q-tcp', port: 54, protocol: 'TCP', nodePort: 30054 },
          { name: 'q-udp', port: 54, protocol: 'UDP', nodePort: 30054 },
        ],
      }),
    );
    assert.equal(asked.status, 201, JSON.stringify(asked.body));
    const twice = await req(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('twice', {
        type: 'NodePort',
        ports: [
          { name: 'a', port: 80, nodePort: 30080 },
          { name: 'b', port: 81, nodePort: 30080 },
        ],
      }),
    );
    assert.equal(twice.status, 422);
    assert.match(
      twice.body.message,
      /spec\.ports\[1\]\.nodePort: Invalid value: 30080: provided port is already allocated/,
    );
  });
});
