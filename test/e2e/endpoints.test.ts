// Endpoints and EndpointSlices seen through real kubectl 1.27 and 1.33, against one `k8ts server
// --disable-agent` process. There is no kubelet: the test writes pod status (IP, Ready) itself through
// the status subresource, as a kubelet would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cluster, KUBECTL_VERSIONS, type KubectlVersion, startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

type Obj = Record<string, any>;

let cluster: Cluster;

before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

async function ok(v: KubectlVersion, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(v, args, { input });
  assert.equal(r.code, 0, `kubectl ${v} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function setPodReady(ns: string, name: string, ip: string, ready: boolean): Promise<void> {
  const url = `${cluster.url}/api/v1/namespaces/${ns}/pods/${name}/status`;
  const pod = (await (await fetch(url)).json()) as Obj;
  pod.status = {
    ...pod.status,
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString() },
    ],
  };
  const r = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(pod),
  });
  assert.equal(r.status, 200, await r.text());
}

const manifests = (ns: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
      ...['web-1', 'web-2'].map((name) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns, labels: { app: 'web' } },
        spec: {
          nodeName: 'e2e-node',
          containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      })),
    ],
  });

describe('endpoints through kubectl', () => {
  before(async () => {
    const r = await fetch(`${cluster.url}/api/v1/nodes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        metadata: { name: 'e2e-node', labels: { 'topology.kubernetes.io/zone': 'z1' } },
      }),
    });
    assert.equal(r.status, 201, await r.text());
  });

  KUBECTL_VERSIONS.forEach((v, i) => {
    it(`kubectl ${v}: get endpoints, get endpointslices, describe service`, async () => {
      const ns = `ep-${v.replace('.', '-')}`;
      await ok(v, ['create', 'namespace', ns]);
      await ok(v, ['apply', '-f', '-'], manifests(ns));
      const ip1 = `10.42.${i}.11`;
      const ip2 = `10.42.${i}.12`;
      await setPodReady(ns, 'web-1', ip1, true);
      await setPodReady(ns, 'web-2', ip2, false);

      const eps = await eventually('kubectl get endpoints shows the ready pod', async () => {
        const out = await ok(v, ['-n', ns, 'get', 'endpoints', 'web']);
        return out.includes(`${ip1}:8080`) ? out : undefined;
      });
      assert.match(eps, /^NAME\s+ENDPOINTS\s+AGE\n/);
      assert.match(eps, new RegExp(`^web\\s+${ip1.replaceAll('.', '\\.')}:8080\\s+\\S+\\n$`, 'm'));
      const json = JSON.parse(await ok(v, ['-n', ns, 'get', 'endpoints', 'web', '-o', 'json']));
      assert.deepEqual(
        json.subsets[0].notReadyAddresses.map((a: Obj) => a.ip),
        [ip2],
      );

      const slices = await eventually('kubectl get endpointslices lists both pods', async () => {
        const out = await ok(v, ['-n', ns, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
        return out.includes(ip1) && out.includes(ip2) ? out : undefined;
      });
      assert.match(slices, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
      assert.match(slices, /^web-\w{5}\s+IPv4\s+8080\s+\S+\s+\S+\n$/m);

      const described = await ok(v, ['-n', ns, 'describe', 'service', 'web']);
      assert.match(described, new RegExp(`^Endpoints:\\s+${ip1.replaceAll('.', '\\.')}:8080\\n`, 'm'));

      // web-2 turns ready: both in the Endpoints, and `describe` shows both.
      await setPodReady(ns, 'web-2', ip2, true);
      await eventually('both endpoints', async () => {
        const out = await ok(v, ['-n', ns, 'describe', 'service', 'web']);
        const line = out.split('\n').find((l) => l.startsWith('Endpoints:')) ?? '';
        return line.includes(`${ip1}:8080`) && line.includes(`${ip2}:8080`) ? true : undefined;
      });

      // Deleting the Service removes its Endpoints and (garbage collector) its slices.
      await ok(v, ['-n', ns, 'delete', 'service', 'web']);
      await eventually('endpoints and slices gone', async () => {
        const e = await cluster.kubectl(v, ['-n', ns, 'get', 'endpoints', 'web']);
        const s = await ok(v, ['-n', ns, 'get', 'endpointslices', '-o', 'name']);
        return e.code !== 0 && /NotFound|not found/.test(e.stderr) && s.trim() === '' ? true : undefined;
      });
      await ok(v, ['delete', 'namespace', ns, '--wait=false']);
    });
  });
});
