// Golden interaction tests for the endpoint planners, without a server: a script of Services, Pods and
// Nodes goes in, the Endpoints subsets / EndpointSlice writes that come out are compared with what
// upstream's controllers produce. The slice script applies each plan to an in-memory world (names,
// generations) so that the next step sees what the controller would see in its cache.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { servicesForPodUpdate } from '../../src/controllers/endpoints/pods.js';
import { desiredSubsets, repackSubsets, truncateSubsets } from '../../src/controllers/endpoints/subsets.js';
import { formatTriggerTime, TriggerTimeTracker } from '../../src/controllers/endpoints/triggertime.js';
import { planSlices, type SlicePlan } from '../../src/controllers/endpointslice/reconciler.js';
import { planMirror } from '../../src/controllers/endpointslicemirroring/mirror.js';

type Obj = Record<string, any>;

const T0 = '2025-01-01T00:00:00Z';

function svc(name: string, spec: Obj = {}, labels?: Obj): Obj {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      creationTimestamp: T0,
      ...(labels ? { labels } : {}),
    },
    spec: {
      selector: { app: name },
      clusterIP: '10.43.0.10',
      ipFamilies: ['IPv4'],
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      ...spec,
    },
  };
}

interface PodOpts {
  ready?: boolean;
  node?: string;
  app?: string;
  deleting?: boolean;
  phase?: string;
  ports?: Obj[];
  hostname?: string;
  subdomain?: string;
  readySince?: string;
}

function pod(name: string, ip: string | undefined, o: PodOpts = {}): Obj {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '1',
      labels: { app: o.app ?? 'web' },
      ...(o.deleting ? { deletionTimestamp: T0 } : {}),
    },
    spec: {
      nodeName: o.node ?? 'node-a',
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
      containers: [{ name: 'c', ports: o.ports ?? [] }],
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [
        {
          type: 'Ready',
          status: (o.ready ?? true) ? 'True' : 'False',
          lastTransitionTime: o.readySince ?? T0,
        },
      ],
    },
  };
}

const ref = (name: string) => ({ kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` });

describe('endpoints subsets (golden)', () => {
  const web = svc('web');

  it('splits ready and not-ready pods, drops pods without an IP, terminal or terminating ones', () => {
    const pods = [
      pod('a', '10.42.0.2'),
      pod('b', '10.42.0.3', { ready: false }),
      pod('c', undefined),
      pod('d', '10.42.0.5', { phase: 'Succeeded' }),
      pod('e', '10.42.0.6', { deleting: true }),
    ];
    assert.deepEqual(desiredSubsets(web, pods), [
      {
        addresses: [{ ip: '10.42.0.2', nodeName: 'node-a', targetRef: ref('a') }],
        notReadyAddresses: [{ ip: '10.42.0.3', nodeName: 'node-a', targetRef: ref('b') }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('readiness flips move an address between addresses and notReadyAddresses', () => {
    const before = desiredSubsets(web, [pod('a', '10.42.0.2'), pod('b', '10.42.0.3')]);
    assert.equal(before[0].addresses.length, 2);
    assert.equal(before[0].notReadyAddresses, undefined);
    const after = desiredSubsets(web, [pod('a', '10.42.0.2'), pod('b', '10.42.0.3', { ready: false })]);
    assert.deepEqual(
      after[0].addresses.map((a: Obj) => a.ip),
      ['10.42.0.2'],
    );
    assert.deepEqual(
      after[0].notReadyAddresses.map((a: Obj) => a.ip),
      ['10.42.0.3'],
    );
  });

  it('publishNotReadyAddresses publishes unready and terminating pods as ready', () => {
    const s = svc('web', { publishNotReadyAddresses: true });
    const out = desiredSubsets(s, [
      pod('a', '10.42.0.2', { ready: false }),
      pod('b', '10.42.0.3', { deleting: true }),
    ]);
    assert.deepEqual(
      out[0].addresses.map((a: Obj) => a.ip),
      ['10.42.0.2', '10.42.0.3'],
    );
    assert.equal(out[0].notReadyAddresses, undefined);
  });

  it('resolves named target ports per pod and groups pods by the ports they offer', () => {
    const s = svc('web', {
      ports: [
        { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 9100, protocol: 'TCP' },
      ],
    });
    const pods = [
      pod('a', '10.42.0.2', { ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] }),
      pod('b', '10.42.0.3', { ports: [{ name: 'web', containerPort: 8081 }] }),
      // No port named "web": only the numeric metrics port reaches it.
      pod('c', '10.42.0.4', { ports: [{ name: 'other', containerPort: 7000 }] }),
    ];
    assert.deepEqual(desiredSubsets(s, pods), [
      {
        addresses: [{ ip: '10.42.0.2', nodeName: 'node-a', targetRef: ref('a') }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '10.42.0.3', nodeName: 'node-a', targetRef: ref('b') }],
        ports: [{ name: 'http', port: 8081, protocol: 'TCP' }],
      },
      {
        addresses: [
          { ip: '10.42.0.2', nodeName: 'node-a', targetRef: ref('a') },
          { ip: '10.42.0.3', nodeName: 'node-a', targetRef: ref('b') },
          { ip: '10.42.0.4', nodeName: 'node-a', targetRef: ref('c') },
        ],
        ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }],
      },
    ]);
  });

  it('a headless Service without ports publishes addresses, with hostnames for its subdomain', () => {
    const h = svc('db', { clusterIP: 'None', ports: [], selector: { app: 'db' } });
    const out = desiredSubsets(h, [
      pod('db-0', '10.42.0.7', { app: 'db', hostname: 'db-0', subdomain: 'db' }),
      pod('db-1', '10.42.0.8', { app: 'db', hostname: 'db-1', subdomain: 'other' }),
    ]);
    assert.deepEqual(out, [
      {
        addresses: [
          { ip: '10.42.0.7', hostname: 'db-0', nodeName: 'node-a', targetRef: ref('db-0') },
          { ip: '10.42.0.8', nodeName: 'node-a', targetRef: ref('db-1') },
        ],
      },
    ]);
    // A Service with a cluster IP and no ports gets nothing.
    assert.deepEqual(desiredSubsets(svc('web', { ports: [] }), [pod('a', '10.42.0.2')]), []);
  });

  it('not ready wins when one address appears both ways (repack)', () => {
    const a = { ip: '10.0.0.1' };
    const p = [{ port: 80, protocol: 'TCP' }];
    assert.deepEqual(
      repackSubsets([
        { address: a, ready: true, ports: p },
        { address: a, ready: false, ports: p },
      ]),
      [{ notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] }],
    );
  });

  it('truncates at 1000 addresses, ready first, proportionally per subset', () => {
    const addrs = (n: number, base: number) =>
      Array.from({ length: n }, (_, i) => ({
        ip: `10.1.${Math.floor((base + i) / 250)}.${(base + i) % 250}`,
      }));
    const subsets = [
      { addresses: addrs(600, 0), notReadyAddresses: addrs(100, 600), ports: [{ port: 80 }] },
      { addresses: addrs(300, 700), notReadyAddresses: addrs(200, 1000), ports: [{ port: 81 }] },
    ];
    assert.equal(truncateSubsets(subsets), true);
    // 900 ready kept; the 100 places left go to not-ready ones, 100 * 100/300 -> 34 and the rest 66.
    assert.equal(subsets[0].addresses.length, 600);
    assert.equal(subsets[1].addresses.length, 300);
    assert.equal(subsets[0].notReadyAddresses!.length, 34);
    assert.equal(subsets[1].notReadyAddresses!.length, 66);
    const over = [{ addresses: addrs(1200, 0), notReadyAddresses: addrs(5, 1200), ports: [{ port: 80 }] }];
    assert.equal(truncateSubsets(over), true);
    assert.equal(over[0].addresses.length, 1000);
    assert.equal(over[0].notReadyAddresses, undefined);
    assert.equal(truncateSubsets([{ addresses: addrs(1000, 0) }]), false);
  });

  it('queues Services by what a pod update changes', () => {
    const services = [svc('web'), svc('api', { selector: { tier: 'x' } })];
    const p = pod('a', '10.42.0.2');
    const rv = (o: Obj, v: string) => ({ ...o, metadata: { ...o.metadata, resourceVersion: v } });
    // An annotation-only change: nothing.
    assert.deepEqual([...servicesForPodUpdate(services, p, rv(p, '2'))], []);
    // A readiness flip: the Services selecting it.
    assert.deepEqual(
      [...servicesForPodUpdate(services, p, rv(pod('a', '10.42.0.2', { ready: false }), '2'))],
      ['ns/web'],
    );
    // A relabel: the Service it left and the one it joined.
    const moved = rv(p, '2');
    moved.metadata.labels = { tier: 'x' };
    assert.deepEqual([...servicesForPodUpdate(services, p, moved)].sort(), ['ns/api', 'ns/web']);
  });
});

describe('last-change-trigger-time (golden)', () => {
  it('is the Service creation time first, then the oldest change since the last sync', () => {
    const t = new TriggerTimeTracker();
    const s = svc('web');
    const p1 = pod('a', '10.42.0.2', { readySince: '2025-01-01T00:01:00Z' });
    const p2 = pod('b', '10.42.0.3', { readySince: '2025-01-01T00:02:00Z' });
    assert.equal(formatTriggerTime(t.compute(s, [p1, p2])!), '2025-01-01T00:00:00Z');
    assert.equal(t.compute(s, [p1, p2]), undefined);
    const p1b = pod('a', '10.42.0.2', { readySince: '2025-01-01T00:05:00.250Z' });
    const p2b = pod('b', '10.42.0.3', { readySince: '2025-01-01T00:04:00Z' });
    assert.equal(formatTriggerTime(t.compute(s, [p1b, p2b])!), '2025-01-01T00:04:00Z');
    const p1c = pod('a', '10.42.0.2', { readySince: '2025-01-01T00:06:00.250Z' });
    assert.equal(formatTriggerTime(t.compute(s, [p1c, p2b])!), '2025-01-01T00:06:00.25Z');
  });
});

/** A tiny EndpointSlice store that applies plans as the API server would (names, uids, generations). */
class SliceWorld {
  slices = new Map<string, Obj>();
  private n = 0;
  writes: string[] = [];

  apply(plan: SlicePlan): void {
    for (const s of plan.create) {
      const name = `${s.metadata.generateName}${String(this.n++).padStart(5, '0')}`;
      const created = structuredClone(s);
      delete created.metadata.generateName;
      created.metadata.name = name;
      created.metadata.uid = `slice-${name}`;
      created.metadata.generation = 1;
      created.metadata.resourceVersion = String(this.n);
      this.slices.set(name, created);
      this.writes.push(`create ${name}`);
    }
    for (const s of plan.update) {
      const old = this.slices.get(s.metadata.name);
      assert.ok(old, `update of a slice that does not exist: ${s.metadata.name}`);
      const next = structuredClone(s);
      next.metadata.uid = old.metadata.uid;
      next.metadata.generation = old.metadata.generation + 1;
      this.slices.set(s.metadata.name, next);
      this.writes.push(`update ${s.metadata.name}`);
    }
    for (const s of plan.delete) {
      assert.ok(this.slices.delete(s.metadata.name));
      this.writes.push(`delete ${s.metadata.name}`);
    }
  }

  list(): Obj[] {
    return [...this.slices.values()];
  }

  /** endpoint counts per slice, sorted, for shape assertions. */
  shape(): number[] {
    return this.list()
      .map((s) => s.endpoints.length)
      .sort((a, b) => b - a);
  }

  addresses(filter: (ep: Obj) => boolean = () => true): string[] {
    return this.list()
      .flatMap((s) => s.endpoints.filter(filter).map((e: Obj) => e.addresses[0]))
      .sort();
  }
}

const nodes: Record<string, Obj> = {
  'node-a': { metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'zone-1' } } },
  'node-b': { metadata: { name: 'node-b' } },
};
const nodeOf = (n: string) => nodes[n];

function podsN(n: number, o: PodOpts = {}): Obj[] {
  return Array.from({ length: n }, (_, i) =>
    pod(`p${i}`, `10.42.${Math.floor(i / 200)}.${(i % 200) + 2}`, o),
  );
}

describe('endpointslices (golden)', () => {
  const web = svc('web', {}, { team: 'x' });
  const sync = (w: SliceWorld, pods: Obj[], service = web, max?: number) => {
    w.writes = [];
    const plan = planSlices({ service, pods, existing: w.list(), node: nodeOf, maxPerSlice: max });
    w.apply(plan);
    return plan;
  };

  it('a Service without pods has one placeholder slice, kept across syncs', () => {
    const w = new SliceWorld();
    sync(w, []);
    assert.deepEqual(w.writes, ['create web-00000']);
    const [s] = w.list();
    assert.deepEqual(s.metadata.labels, {
      team: 'x',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    assert.deepEqual(s.metadata.ownerReferences, [
      {
        apiVersion: 'v1',
        kind: 'Service',
        name: 'web',
        uid: 'uid-web',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.deepEqual(s.endpoints, []);
    assert.deepEqual(s.ports, []);
    assert.equal(s.addressType, 'IPv4');
    sync(w, []);
    assert.deepEqual(w.writes, []);
  });

  it('endpoints carry conditions, node, zone and targetRef; the placeholder is reused', () => {
    const w = new SliceWorld();
    sync(w, []);
    sync(w, [pod('a', '10.42.0.2'), pod('b', '10.42.0.3', { ready: false, node: 'node-b' })]);
    assert.deepEqual(w.writes, ['update web-00000']);
    const [s] = w.list();
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(s.endpoints, [
      {
        addresses: ['10.42.0.2'],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: ref('a'),
        nodeName: 'node-a',
        zone: 'zone-1',
      },
      {
        addresses: ['10.42.0.3'],
        conditions: { ready: false, serving: false, terminating: false },
        targetRef: ref('b'),
        nodeName: 'node-b',
      },
    ]);
  });

  it('a terminating pod stays as serving+terminating, not ready; publishNotReadyAddresses makes it ready', () => {
    const w = new SliceWorld();
    sync(w, [pod('a', '10.42.0.2', { deleting: true })]);
    assert.deepEqual(w.list()[0].endpoints[0].conditions, { ready: false, serving: true, terminating: true });
    const pub = svc('web', { publishNotReadyAddresses: true });
    const w2 = new SliceWorld();
    sync(w2, [pod('a', '10.42.0.2', { deleting: true, ready: false })], pub);
    assert.deepEqual(w2.list()[0].endpoints[0].conditions, {
      ready: true,
      serving: false,
      terminating: true,
    });
  });

  it('scaling past 100 endpoints fills slices of at most 100, and a readiness flip rewrites one slice', () => {
    const w = new SliceWorld();
    sync(w, podsN(250));
    assert.deepEqual(w.shape(), [100, 100, 50]);
    assert.equal(w.writes.length, 3);
    // One pod turns unready: only the slice holding it is written.
    const withUnready = (n: number) => {
      const pods = podsN(n);
      pods[123].status.conditions[0].status = 'False';
      return pods;
    };
    const pods = withUnready(250);
    sync(w, pods);
    assert.equal(w.writes.length, 1);
    assert.match(w.writes[0], /^update /);
    assert.deepEqual(
      w.addresses((e) => !e.conditions.ready),
      [pods[123].status.podIP],
    );
    // Scale to 300: the new 50 go into the half-full slice, no new slice.
    sync(w, withUnready(300));
    assert.deepEqual(w.shape(), [100, 100, 100]);
    assert.equal(w.writes.length, 1);
    // Scale to 320: a fourth slice.
    sync(w, withUnready(320));
    assert.deepEqual(w.shape(), [100, 100, 100, 20]);
    assert.deepEqual(
      w.writes.map((x) => x.split(' ')[0]),
      ['create'],
    );
    // Scale down to 120: slices emptied are deleted, the rest updated in place (no re-create).
    const before = new Set(w.slices.keys());
    sync(w, podsN(120));
    assert.equal(w.addresses().length, 120);
    assert.ok(w.writes.every((x) => !x.startsWith('create')));
    for (const k of w.slices.keys()) assert.ok(before.has(k));
    assert.ok(w.shape().every((n) => n <= 100));
    // And to zero: back to a single placeholder, reusing a slice's name.
    sync(w, []);
    assert.deepEqual(w.shape(), [0]);
    assert.ok(w.writes.every((x) => !x.startsWith('create')));
  });

  it('pods whose named port resolves differently go into separate slices per port set', () => {
    const s = svc('web', { ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }] });
    const w = new SliceWorld();
    sync(
      w,
      [
        pod('a', '10.42.0.2', { ports: [{ name: 'web', containerPort: 8080 }] }),
        pod('b', '10.42.0.3', { ports: [{ name: 'web', containerPort: 9090 }] }),
        pod('c', '10.42.0.4', { ports: [{ name: 'web', containerPort: 8080 }] }),
      ],
      s,
    );
    const byPort = new Map(
      w.list().map((x) => [x.ports[0].port, x.endpoints.map((e: Obj) => e.addresses[0])]),
    );
    assert.deepEqual(byPort.get(8080), ['10.42.0.2', '10.42.0.4']);
    assert.deepEqual(byPort.get(9090), ['10.42.0.3']);
  });

  it('a selector change swaps the endpoints in place; a pod with an unknown node waits', () => {
    const w = new SliceWorld();
    sync(w, [pod('a', '10.42.0.2'), pod('b', '10.42.0.3')]);
    const name = [...w.slices.keys()][0];
    // The new selector matches other pods: the same slice is rewritten.
    sync(w, [pod('x', '10.42.0.9', { app: 'other' })]);
    assert.deepEqual(w.writes, [`update ${name}`]);
    assert.deepEqual(w.addresses(), ['10.42.0.9']);
    const plan = planSlices({
      service: web,
      pods: [pod('y', '10.42.0.10', { node: 'node-z' })],
      existing: w.list(),
      node: nodeOf,
    });
    assert.deepEqual(plan.podsWithoutNode, ['y']);
  });

  it('Service label changes are copied to its slices; slices of another Service uid are replaced', () => {
    const w = new SliceWorld();
    sync(w, [pod('a', '10.42.0.2')]);
    const relabelled = svc('web', {}, { team: 'y' });
    sync(w, [pod('a', '10.42.0.2')], relabelled);
    assert.equal(w.writes.length, 1);
    assert.equal(w.list()[0].metadata.labels.team, 'y');
    // Same name, new Service (new uid): the old one's slices are not reused.
    const reborn = svc('web', {}, { team: 'y' });
    reborn.metadata.uid = 'uid-web-2';
    sync(w, [pod('a', '10.42.0.2')], reborn);
    assert.deepEqual(w.writes.map((x) => x.split(' ')[0]).sort(), ['create', 'delete']);
    assert.equal(w.list()[0].metadata.ownerReferences[0].uid, 'uid-web-2');
  });

  it('a headless Service gets the headless label and hostnames for its subdomain', () => {
    const h = svc('db', { clusterIP: 'None', ports: [], selector: { app: 'db' } });
    const w = new SliceWorld();
    sync(w, [pod('db-0', '10.42.0.7', { app: 'db', hostname: 'db-0', subdomain: 'db' })], h);
    const [s] = w.list();
    assert.equal(s.metadata.labels['service.kubernetes.io/headless'], '');
    assert.equal(s.endpoints[0].hostname, 'db-0');
    assert.deepEqual(s.ports, []);
  });
});

describe('endpointslice mirroring (golden)', () => {
  const ep = (subsets: Obj[], labels: Obj = {}, annotations: Obj = {}): Obj => ({
    metadata: { name: 'ext', namespace: 'ns', uid: 'uid-ep', labels, annotations },
    subsets,
  });

  it('mirrors addresses as ready and notReadyAddresses as not ready, with labels and owner', () => {
    const e = ep(
      [
        {
          addresses: [{ ip: '192.168.1.1' }, { ip: 'bogus' }],
          notReadyAddresses: [{ ip: '192.168.1.2', nodeName: 'n1' }],
          ports: [{ name: 'db', port: 5432, protocol: 'TCP' }],
        },
      ],
      { team: 'x' },
      { note: 'y', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    );
    const plan = planMirror(e, []);
    assert.equal(plan.invalid, 1);
    assert.equal(plan.create.length, 1);
    const s = plan.create[0];
    assert.equal(s.metadata.generateName, 'ext-');
    assert.deepEqual(s.metadata.labels, {
      team: 'x',
      'kubernetes.io/service-name': 'ext',
      'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
    });
    assert.deepEqual(s.metadata.annotations, { note: 'y' });
    assert.deepEqual(s.metadata.ownerReferences[0], {
      apiVersion: 'v1',
      kind: 'Endpoints',
      name: 'ext',
      uid: 'uid-ep',
      controller: true,
      blockOwnerDeletion: true,
    });
    assert.deepEqual(s.ports, [{ name: 'db', port: 5432, protocol: 'TCP' }]);
    assert.deepEqual(s.endpoints, [
      { addresses: ['192.168.1.1'], conditions: { ready: true } },
      { addresses: ['192.168.1.2'], conditions: { ready: false }, nodeName: 'n1' },
    ]);
    // Applied as is: nothing more to do; a changed address updates the same slice.
    const stored = { ...structuredClone(s), metadata: { ...structuredClone(s.metadata), name: 'ext-abcde' } };
    delete stored.metadata.generateName;
    const again = planMirror(e, [stored]);
    assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
    e.subsets[0].addresses = [{ ip: '192.168.1.9' }];
    const changed = planMirror(e, [stored]);
    assert.equal(changed.update.length, 1);
    assert.equal(changed.update[0].metadata.name, 'ext-abcde');
    // Ports change: the old slice's name is reused for the new port set.
    e.subsets[0].ports = [{ name: 'db', port: 5433, protocol: 'TCP' }];
    const ported = planMirror(e, [stored]);
    assert.deepEqual([ported.create.length, ported.update.length, ported.delete.length], [0, 1, 0]);
    // No subsets: the slice goes.
    const gone = planMirror(ep([]), [stored]);
    assert.deepEqual(
      gone.delete.map((x) => x.metadata.name),
      ['ext-abcde'],
    );
  });

  it('mirrors at most 1000 addresses per subset', () => {
    const addresses = Array.from({ length: 1100 }, (_, i) => ({
      ip: `10.9.${Math.floor(i / 250)}.${i % 250}`,
    }));
    const plan = planMirror(ep([{ addresses, ports: [{ port: 80 }] }]), []);
    assert.equal(plan.create[0].endpoints.length, 1000);
    assert.equal(plan.skipped, 100);
  });
});
