// The Endpoints, EndpointSlice and mirroring controllers against an in-process API server, with the whole
// controller manager on a FakeClock (no kubelet: the test writes pod status itself). Services, Nodes and
// Pods go in through the API; the Endpoints and EndpointSlices that come out are checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock, silentLogger } from '../../src/client/index.js';
import { type ControllerManager, startControllerManager } from '../../src/controllers/manager.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { createNamespace, eventually } from '../helpers/controllers.js';

type Obj = Record<string, any>;

let api: TestApi;
let cm: ControllerManager;
const clock = new FakeClock();
const step = () => clock.tick(50);

before(async () => {
  api = await startTestApi();
  cm = startControllerManager({ baseUrl: api.url, log: silentLogger, clock });
  for (const [name, zone] of [
    ['node-a', 'zone-1'],
    ['node-b', 'zone-2'],
  ]) {
    const r = await api.req('POST', '/api/v1/nodes', {
      metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
});

after(async () => {
  await cm.stop();
  await api.close();
});

async function createService(ns: string, name: string, spec: Obj, labels?: Obj): Promise<Obj> {
  const r = await api.req('POST', `/api/v1/namespaces/${ns}/services`, {
    metadata: { name, ...(labels ? { labels } : {}) },
    spec,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

let ipSeq = 2;
async function runPod(
  ns: string,
  name: string,
  o: { app?: string; node?: string; ready?: boolean; ports?: Obj[]; finalizers?: string[] } = {},
): Promise<Obj> {
  const r = await api.req('POST', `/api/v1/namespaces/${ns}/pods`, {
    metadata: {
      name,
      labels: { app: o.app ?? 'web' },
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
    },
    spec: {
      nodeName: o.node ?? 'node-a',
      containers: [
        { name: 'c', image: 'busybox', ports: o.ports ?? [{ name: 'http', containerPort: 8080 }] },
      ],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const n = ipSeq++;
  const ip = `10.42.${Math.floor(n / 250)}.${n % 250}`;
  return setReady(r.body, o.ready ?? true, ip);
}

/** Writes the status a kubelet would (phase, IP, Ready condition) over the pod as given. */
async function setReady(pod: Obj, ready: boolean, ip?: string): Promise<Obj> {
  const podIP = ip ?? pod.status.podIP;
  const body = structuredClone(pod);
  body.status = {
    ...body.status,
    phase: 'Running',
    podIP,
    podIPs: [{ ip: podIP }],
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString() },
    ],
  };
  const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`;
  const r = await api.req('PUT', path, body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function getEndpoints(ns: string, name: string): Promise<Obj | undefined> {
  const r = await api.req('GET', `/api/v1/namespaces/${ns}/endpoints/${name}`);
  return r.status === 200 ? r.body : undefined;
}

async function slicesOf(ns: string, svc: string): Promise<Obj[]> {
  const r = await api.req(
    'GET',
    `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${svc}`,
  );
  return r.body.items;
}

const readyIps = (ep: Obj | undefined) =>
  (ep?.subsets ?? []).flatMap((s: Obj) => (s.addresses ?? []).map((a: Obj) => a.ip)).sort();
const notReadyIps = (ep: Obj | undefined) =>
  (ep?.subsets ?? []).flatMap((s: Obj) => (s.notReadyAddresses ?? []).map((a: Obj) => a.ip)).sort();
const sliceIps = (slices: Obj[], f: (e: Obj) => boolean = () => true) =>
  slices.flatMap((s) => (s.endpoints ?? []).filter(f).map((e: Obj) => e.addresses[0])).sort();

describe('endpoints and endpointslice controllers', () => {
  it('publishes ready and not-ready pods, and follows readiness flips', async () => {
    const ns = 'ep-basic';
    await createNamespace(api, ns);
    await createService(
      ns,
      'web',
      { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      {
        team: 'x',
      },
    );
    const a = await runPod(ns, 'a');
    const b = await runPod(ns, 'b', { ready: false, node: 'node-b' });
    const ep = await eventually(
      'endpoints with a ready and a not-ready address',
      async () => {
        const e = await getEndpoints(ns, 'web');
        return readyIps(e).length === 1 && notReadyIps(e).length === 1 ? e : undefined;
      },
      { step },
    );
    assert.deepEqual(ep.metadata.labels, { team: 'x' });
    assert.match(
      ep.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'],
      /^\d{4}-\d\d-\d\dT/,
    );
    assert.deepEqual(ep.subsets, [
      {
        addresses: [
          {
            ip: a.status.podIP,
            nodeName: 'node-a',
            targetRef: { kind: 'Pod', namespace: ns, name: 'a', uid: a.metadata.uid },
          },
        ],
        notReadyAddresses: [
          {
            ip: b.status.podIP,
            nodeName: 'node-b',
            targetRef: { kind: 'Pod', namespace: ns, name: 'b', uid: b.metadata.uid },
          },
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    const slices = await eventually(
      'one slice with both pods',
      async () => {
        const s = await slicesOf(ns, 'web');
        return s.length === 1 && s[0].endpoints?.length === 2 ? s : undefined;
      },
      { step },
    );
    const s = slices[0];
    assert.equal(s.addressType, 'IPv4');
    assert.match(
      s.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'],
      /^\d{4}-\d\d-\d\dT/,
    );
    assert.equal(s.metadata.generation >= 1, true);
    assert.equal(
      s.metadata.labels['endpointslice.kubernetes.io/managed-by'],
      'endpointslice-controller.k8s.io',
    );
    assert.equal(s.metadata.labels.team, 'x');
    assert.equal(s.metadata.ownerReferences[0].kind, 'Service');
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const byIp = new Map(s.endpoints.map((e: Obj) => [e.addresses[0], e]));
    assert.deepEqual((byIp.get(a.status.podIP) as Obj).conditions, {
      ready: true,
      serving: true,
      terminating: false,
    });
    assert.equal((byIp.get(a.status.podIP) as Obj).zone, 'zone-1');
    assert.deepEqual((byIp.get(b.status.podIP) as Obj).conditions, {
      ready: false,
      serving: false,
      terminating: false,
    });
    assert.equal((byIp.get(b.status.podIP) as Obj).zone, 'zone-2');

    // Flip: a turns unready, b ready. Both objects follow without the clock moving: the reaction is
    // driven by the watch events alone, with no polling or delay in between (real-time latency: bench).
    const frozen = clock.now();
    const a2 = await setReady(a, false);
    await setReady(b, true);
    await eventually('endpoints after the flip', async () => {
      const e = await getEndpoints(ns, 'web');
      const sl = await slicesOf(ns, 'web');
      return readyIps(e).join() === b.status.podIP &&
        notReadyIps(e).join() === a.status.podIP &&
        sliceIps(sl, (x) => x.conditions.ready).join() === b.status.podIP
        ? true
        : undefined;
    });
    assert.equal(clock.now(), frozen);
    assert.equal(a2.status.podIP, a.status.podIP);

    // Settled: no more writes (no update loop between the controllers and the stored form).
    const versions = async () => [
      (await getEndpoints(ns, 'web'))?.metadata.resourceVersion,
      ...(await slicesOf(ns, 'web')).map((x) => x.metadata.resourceVersion),
    ];
    const settled = await versions();
    for (let i = 0; i < 10; i++) await clock.tick(1000);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await versions(), settled);
  });

  it('scales past 100 endpoints into several slices and back', async () => {
    const ns = 'ep-scale';
    await createNamespace(api, ns);
    await createService(ns, 'big', { selector: { app: 'big' }, ports: [{ port: 80, targetPort: 8080 }] });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 210 }, (_, i) => runPod(ns, `p${i}`, { app: 'big' })));
    console.log(`# 210 pods created and made ready in ${Date.now() - t0} ms`);
    const slices = await eventually(
      '210 endpoints in slices',
      async () => {
        const s = await slicesOf(ns, 'big');
        return sliceIps(s).length === 210 ? s : undefined;
      },
      { step, timeoutMs: 30_000 },
    );
    // Pods arrive a few at a time, so packing is as upstream's: no slice over 100, new ones only when
    // the leftovers fit nowhere (the all-at-once packing is in the golden test).
    const sizes = slices.map((s) => s.endpoints.length);
    assert.ok(sizes.every((n) => n <= 100) && slices.length >= 3 && slices.length <= 5, `sizes ${sizes}`);
    const ep = await eventually(
      '210 addresses in the Endpoints',
      async () => {
        const e = await getEndpoints(ns, 'big');
        return readyIps(e).length === 210 ? e : undefined;
      },
      { step },
    );
    assert.equal(ep.metadata.annotations?.['endpoints.kubernetes.io/over-capacity'], undefined);
    // Scale down to 30 (pods deleted outright): the survivors stay in existing slices.
    const names = new Set(slices.map((s) => s.metadata.name));
    for (let i = 30; i < 210; i++) {
      await api.req('DELETE', `/api/v1/namespaces/${ns}/pods/p${i}?gracePeriodSeconds=0`);
    }
    console.log(`# 210 endpoints published ${Date.now() - t0} ms after the first pod`);
    const after = await eventually(
      '30 endpoints',
      async () => {
        const s = await slicesOf(ns, 'big');
        return sliceIps(s).length === 30 ? s : undefined;
      },
      { step, timeoutMs: 30_000 },
    );
    // Upstream does not repack: survivors stay where they were, emptied slices go, nothing is created.
    assert.ok(after.length >= 1 && after.length <= slices.length);
    for (const s of after) assert.ok(names.has(s.metadata.name), `${s.metadata.name} is an old slice`);
    await eventually(
      '30 addresses',
      async () => (readyIps(await getEndpoints(ns, 'big')).length === 30 ? true : undefined),
      {
        step,
      },
    );
  });

  it('terminating pods: dropped from Endpoints, kept in slices as serving+terminating', async () => {
    const ns = 'ep-term';
    await createNamespace(api, ns);
    await createService(ns, 'web', { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] });
    const a = await runPod(ns, 'a');
    await runPod(ns, 'b');
    await eventually(
      'two addresses',
      async () => (readyIps(await getEndpoints(ns, 'web')).length === 2 ? true : undefined),
      {
        step,
      },
    );
    // A bound pod's deletion is graceful: it stays with a deletionTimestamp until its kubelet is done.
    const del = await api.req('DELETE', `/api/v1/namespaces/${ns}/pods/a`);
    assert.ok([200, 202].includes(del.status), JSON.stringify(del.body));
    await eventually(
      'a out of the Endpoints, terminating in the slice',
      async () => {
        const e = await getEndpoints(ns, 'web');
        const sl = await slicesOf(ns, 'web');
        const ea = sl[0]?.endpoints?.find((x: Obj) => x.addresses[0] === a.status.podIP);
        return readyIps(e).length === 1 &&
          !readyIps(e).includes(a.status.podIP) &&
          ea?.conditions.terminating === true &&
          ea.conditions.serving === true &&
          ea.conditions.ready === false
          ? true
          : undefined;
      },
      { step },
    );
  });

  it('publishNotReadyAddresses publishes unready pods as ready', async () => {
    const ns = 'ep-pub';
    await createNamespace(api, ns);
    await createService(ns, 'db', {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { app: 'db' },
      ports: [{ port: 5432 }],
    });
    const p = await runPod(ns, 'db-0', { app: 'db', ready: false });
    const ep = await eventually(
      'an unready pod as a ready address',
      async () => {
        const e = await getEndpoints(ns, 'db');
        return readyIps(e).join() === p.status.podIP ? e : undefined;
      },
      { step },
    );
    assert.equal(ep.metadata.labels['service.kubernetes.io/headless'], '');
    const [s] = await eventually(
      'slice',
      async () => {
        const sl = await slicesOf(ns, 'db');
        return sl[0]?.endpoints?.length === 1 ? sl : undefined;
      },
      { step },
    );
    assert.deepEqual(s.endpoints[0].conditions, { ready: true, serving: false, terminating: false });
    assert.equal(s.metadata.labels['service.kubernetes.io/headless'], '');
  });

  it('follows a selector change, and deleting the Service removes its Endpoints and slices', async () => {
    const ns = 'ep-sel';
    await createNamespace(api, ns);
    const svc = await createService(ns, 'web', {
      selector: { app: 'blue' },
      ports: [{ port: 80, targetPort: 8080 }],
    });
    const blue = await runPod(ns, 'blue', { app: 'blue' });
    const green = await runPod(ns, 'green', { app: 'green' });
    await eventually(
      'blue',
      async () => (readyIps(await getEndpoints(ns, 'web')).join() === blue.status.podIP ? true : undefined),
      {
        step,
      },
    );
    const r = await api.req('PUT', `/api/v1/namespaces/${ns}/services/web`, {
      ...svc,
      spec: { ...svc.spec, selector: { app: 'green' } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await eventually(
      'green in both',
      async () =>
        readyIps(await getEndpoints(ns, 'web')).join() === green.status.podIP &&
        sliceIps(await slicesOf(ns, 'web')).join() === green.status.podIP
          ? true
          : undefined,
      { step },
    );
    assert.equal((await api.req('DELETE', `/api/v1/namespaces/${ns}/services/web`)).status, 200);
    await eventually(
      'endpoints and slices gone',
      async () =>
        (await getEndpoints(ns, 'web')) === undefined && (await slicesOf(ns, 'web')).length === 0
          ? true
          : undefined,
      { step },
    );
  });

  it('leaves hand-written Endpoints of a selector-less Service alone and mirrors them into slices', async () => {
    const ns = 'ep-mirror';
    await createNamespace(api, ns);
    await createService(ns, 'ext', { ports: [{ name: 'db', port: 5432 }] });
    const hand = {
      metadata: { name: 'ext', labels: { origin: 'hand' } },
      subsets: [
        {
          addresses: [{ ip: '192.168.50.1' }],
          notReadyAddresses: [{ ip: '192.168.50.2' }],
          ports: [{ name: 'db', port: 5432, protocol: 'TCP' }],
        },
      ],
    };
    const created = await api.req('POST', `/api/v1/namespaces/${ns}/endpoints`, hand);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const [s] = await eventually(
      'mirrored slice',
      async () => {
        const sl = await slicesOf(ns, 'ext');
        return sl.length === 1 && sl[0].endpoints?.length === 2 ? sl : undefined;
      },
      { step },
    );
    assert.equal(
      s.metadata.labels['endpointslice.kubernetes.io/managed-by'],
      'endpointslicemirroring-controller.k8s.io',
    );
    assert.equal(s.metadata.labels.origin, 'hand');
    assert.equal(s.metadata.ownerReferences[0].kind, 'Endpoints');
    assert.deepEqual(
      s.endpoints.map((e: Obj) => [e.addresses[0], e.conditions.ready]),
      [
        ['192.168.50.1', true],
        ['192.168.50.2', false],
      ],
    );
    // Time passes; the hand-written Endpoints are untouched by the Endpoints controller.
    await clock.tick(5000);
    const ep = await getEndpoints(ns, 'ext');
    assert.equal(ep!.metadata.resourceVersion, created.body.metadata.resourceVersion);
    // Updating the Endpoints updates the same slice.
    const upd = await api.req('PUT', `/api/v1/namespaces/${ns}/endpoints/ext`, {
      ...ep,
      subsets: [
        { addresses: [{ ip: '192.168.50.3' }], ports: [{ name: 'db', port: 5432, protocol: 'TCP' }] },
      ],
    });
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    await eventually(
      'slice updated in place',
      async () => {
        const sl = await slicesOf(ns, 'ext');
        return sl.length === 1 &&
          sl[0].metadata.name === s.metadata.name &&
          sliceIps(sl).join() === '192.168.50.3'
          ? true
          : undefined;
      },
      { step },
    );
    // The `kubernetes` Service's Endpoints carry skip-mirror: no mirrored slice for it.
    const k = await slicesOf('default', 'kubernetes');
    assert.ok(
      k.every(
        (x) =>
          x.metadata.labels['endpointslice.kubernetes.io/managed-by'] !==
          'endpointslicemirroring-controller.k8s.io',
      ),
    );
  });
});
