// Host-gw pod routes and the pod masquerade rule: the pure diffing, and the pod-network loop against an
// in-process API server with an in-memory route table (Nodes added, re-addressed and deleted).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient, silentLogger } from '../../src/client/index.js';
import { startPodNetwork } from '../../src/network/index.js';
import { masqueradeScript } from '../../src/network/masquerade.js';
import {
  desiredRoutes,
  diffRoutes,
  type RouteMap,
  type RouteTable,
  syncRoutes,
} from '../../src/network/routes.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';

type Obj = Record<string, any>;

const node = (name: string, ip: string | undefined, podCIDRs: string[], extra: Obj = {}): Obj => ({
  metadata: { name, ...extra },
  spec: podCIDRs.length ? { podCIDR: podCIDRs[0], podCIDRs } : {},
  status: {
    addresses: ip
      ? [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ]
      : [],
  },
});

class MemoryTable implements RouteTable {
  routes: RouteMap = new Map();
  calls: string[] = [];
  failing = new Set<string>();
  async list() {
    return new Map(this.routes);
  }
  async replace(cidr: string, via: string) {
    this.calls.push(`replace ${cidr} via ${via}`);
    if (this.failing.has(cidr)) throw new Error(`Nexthop has invalid gateway (${via})`);
    this.routes.set(cidr, via);
  }
  async remove(cidr: string) {
    this.calls.push(`remove ${cidr}`);
    this.routes.delete(cidr);
  }
}

describe('pod routes: desired and diff', () => {
  it('routes every other node podCIDR via its InternalIP of the same family', () => {
    const nodes = [
      node('a', '10.99.0.2', ['10.42.0.0/24']),
      node('b', '10.99.0.3', ['10.42.1.0/24']),
      // dual-stack node with only an IPv4 address: no IPv6 route
      node('c', '10.99.0.4', ['10.42.2.0/24', 'fd00:42:2::/64']),
      node('no-cidr', '10.99.0.5', []),
      node('no-ip', undefined, ['10.42.4.0/24']),
      node('going', '10.99.0.7', ['10.42.5.0/24'], { deletionTimestamp: '2026-01-01T00:00:00Z' }),
    ];
    assert.deepEqual(
      [...desiredRoutes(nodes, 'a')],
      [
        ['10.42.1.0/24', '10.99.0.3'],
        ['10.42.2.0/24', '10.99.0.4'],
      ],
    );
    // An older Node with only spec.podCIDR.
    const old = {
      metadata: { name: 'o' },
      spec: { podCIDR: '10.42.9.0/24' },
      status: node('o', '10.99.0.9', []).status,
    };
    assert.deepEqual([...desiredRoutes([old], 'a')], [['10.42.9.0/24', '10.99.0.9']]);
  });

  it('replaces new and re-addressed routes, removes the ones no node wants, keeps the rest', () => {
    const current: RouteMap = new Map([
      ['10.42.1.0/24', '10.99.0.3'],
      ['10.42.2.0/24', '10.99.0.4'],
      ['10.42.3.0/24', '10.99.0.5'],
    ]);
    const desired: RouteMap = new Map([
      ['10.42.1.0/24', '10.99.0.3'],
      ['10.42.2.0/24', '10.99.0.40'],
      ['10.42.6.0/24', '10.99.0.6'],
    ]);
    assert.deepEqual(diffRoutes(current, desired), {
      replace: [
        { cidr: '10.42.2.0/24', via: '10.99.0.40' },
        { cidr: '10.42.6.0/24', via: '10.99.0.6' },
      ],
      remove: ['10.42.3.0/24'],
    });
    assert.deepEqual(diffRoutes(desired, desired), { replace: [], remove: [] });
  });

  it('a route the kernel refuses does not stop the others', async () => {
    const table = new MemoryTable();
    table.routes.set('10.42.7.0/24', '10.99.0.8');
    table.failing.add('10.42.1.0/24');
    const r = await syncRoutes(
      table,
      new Map([
        ['10.42.1.0/24', '192.0.2.1'],
        ['10.42.2.0/24', '10.99.0.4'],
      ]),
    );
    assert.equal(r.errors.length, 1);
    assert.deepEqual(table.calls, [
      'replace 10.42.1.0/24 via 192.0.2.1',
      'replace 10.42.2.0/24 via 10.99.0.4',
      'remove 10.42.7.0/24',
    ]);
    assert.deepEqual([...table.routes], [['10.42.2.0/24', '10.99.0.4']]);
  });
});

describe('pod masquerade rule', () => {
  it('NATs the node pods except towards any podCIDR or multicast, one table per family', () => {
    const script = masqueradeScript('k8ts0', ['10.42.0.0/24'], ['10.42.1.0/24', '10.42.0.0/24', 'fd00::/64']);
    assert.equal(
      script,
      [
        'add table ip k8ts-masq-k8ts0',
        'delete table ip k8ts-masq-k8ts0',
        'table ip k8ts-masq-k8ts0 {',
        '  chain postrouting {',
        '    type nat hook postrouting priority srcnat; policy accept;',
        '    ip saddr 10.42.0.0/24 ip daddr != { 10.42.0.0/24, 10.42.1.0/24, 224.0.0.0/4 } masquerade',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    assert.match(
      masqueradeScript('b', ['fd00:1::/64'], ['fd00:1::/64']),
      /ip6 saddr fd00:1::\/64 ip6 daddr != \{ fd00:1::\/64, ff00::\/8 \} masquerade/,
    );
  });
});

describe('pod network loop against the API server', () => {
  let api: TestApi;
  let rest: RestClient;
  before(async () => {
    api = await startTestApi();
    rest = new RestClient({ baseUrl: api.url });
  });
  after(async () => {
    rest.close();
    await api.close();
  });

  it('follows Nodes: routes for the others, masquerade for its own podCIDR, stale routes removed', async () => {
    const create = async (n: Obj) => {
      const r = await api.req('POST', '/api/v1/nodes', { metadata: n.metadata, spec: n.spec });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const s = await api.req(
        'PATCH',
        `/api/v1/nodes/${n.metadata.name}/status`,
        { status: n.status },
        {
          'content-type': 'application/merge-patch+json',
        },
      );
      assert.equal(s.status, 200, JSON.stringify(s.body));
    };
    await create(node('self', '10.99.0.2', ['10.42.0.0/24']));
    await create(node('peer', '10.99.0.3', ['10.42.1.0/24']));
    const table = new MemoryTable();
    // A route of a node deleted while the agent was down.
    table.routes.set('10.42.9.0/24', '10.99.0.9');
    const masq: string[][] = [];
    const net = startPodNetwork({
      rest,
      nodeName: 'self',
      bridge: 'k8ts0',
      log: silentLogger,
      routes: table,
      masquerade: async (_own, all) => {
        masq.push([...all].sort());
      },
    });
    try {
      await eventually('the peer route and no stale one', async () =>
        table.routes.size === 1 && table.routes.get('10.42.1.0/24') === '10.99.0.3' ? true : undefined,
      );
      await eventually('masquerade with both podCIDRs', async () =>
        masq.at(-1)?.join() === '10.42.0.0/24,10.42.1.0/24' ? true : undefined,
      );

      await create(node('third', '10.99.0.4', ['10.42.2.0/24']));
      await eventually('the third node route', async () =>
        table.routes.get('10.42.2.0/24') === '10.99.0.4' ? true : undefined,
      );
      await eventually('masquerade exempts the third podCIDR', async () =>
        masq.at(-1)?.includes('10.42.2.0/24') ? true : undefined,
      );

      assert.equal((await api.req('DELETE', '/api/v1/nodes/peer')).status, 200);
      await eventually('the deleted node route gone', async () =>
        !table.routes.has('10.42.1.0/24') && table.routes.size === 1 ? true : undefined,
      );
      assert.deepEqual([...table.routes], [['10.42.2.0/24', '10.99.0.4']]);
    } finally {
      await net.stop();
    }
  });
});
