// Cluster DNS records from Service, EndpointSlice and Namespace caches, without sockets: what each name
// answers, NXDOMAIN versus NODATA (as CoreDNS's kubernetes plugin), forwarding of other names, PTR.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Question } from 'dns-packet';
import { Store } from '../../src/client/store.js';
import { canonicalIP, ipFromDashed, reverseNameToIP } from '../../src/dns/names.js';
import { type ClusterData, ClusterRecords, serviceIndexers, sliceIndexers } from '../../src/dns/records.js';

type Obj = Record<string, any>;

function data(objs: { services?: Obj[]; slices?: Obj[]; namespaces?: string[] }, synced = true): ClusterData {
  const services = new Store<Obj>(serviceIndexers());
  const slices = new Store<Obj>(sliceIndexers());
  const namespaces = new Store<Obj>();
  for (const s of objs.services ?? []) services.upsert(s);
  for (const s of objs.slices ?? []) slices.upsert(s);
  for (const n of objs.namespaces ?? ['default']) namespaces.upsert({ metadata: { name: n } });
  return { services, slices, namespaces, synced: () => synced };
}

const svc = (name: string, spec: Obj, ns = 'default'): Obj => ({ metadata: { name, namespace: ns }, spec });

const slice = (service: string, name: string, addressType: string, endpoints: Obj[], ports: Obj[]): Obj => ({
  metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType,
  endpoints,
  ports,
});

const web = svc('web', {
  type: 'ClusterIP',
  clusterIP: '10.43.0.20',
  clusterIPs: ['10.43.0.20'],
  ports: [
    { name: 'http', port: 80, protocol: 'TCP' },
    { name: 'dns', port: 53, protocol: 'UDP' },
  ],
});
const dual = svc('dual', {
  clusterIP: '10.43.0.30',
  clusterIPs: ['10.43.0.30', 'fd00:43::30'],
  ports: [{ name: 'http', port: 80 }],
});
const v6only = svc('v6', { clusterIP: 'fd00:43::40', clusterIPs: ['fd00:43::40'], ports: [{ port: 80 }] });
const headless = svc('db', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', port: 5432 }] });
const emptyHeadless = svc('nobody', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] });
const external = svc('ext', { type: 'ExternalName', externalName: 'example.org' });
const alias = svc('alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' });
const dbSlices = [
  slice(
    'db',
    'db-a',
    'IPv4',
    [
      { addresses: ['10.42.0.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.42.0.6'], conditions: { ready: true } },
      { addresses: ['10.42.0.7'], conditions: { ready: false } },
    ],
    [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  ),
  // A second slice repeating an address (as during a move between slices) yields it once.
  slice(
    'db',
    'db-b',
    'IPv4',
    [{ addresses: ['10.42.0.6'], conditions: {} }],
    [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  ),
];

const all = () =>
  data({ services: [web, dual, v6only, headless, emptyHeadless, external, alias], slices: dbSlices });

const q = (name: string, type: Question['type'] = 'A'): Question => ({ name, type, class: 'IN' });
const records = (d = all()) => new ClusterRecords(d, { domain: 'cluster.local', serial: 7 });
const datas = (r: ReturnType<ClusterRecords['lookup']>) =>
  r.answers.map((a) => (a as { data: unknown }).data);

describe('cluster DNS records', () => {
  it('answers a ClusterIP Service with its IPv4 address, TTL 5, authoritative', () => {
    const r = records().lookup(q('web.default.svc.cluster.local'));
    assert.equal(r.forward, false);
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.authoritative, true);
    assert.deepEqual(r.answers, [
      { type: 'A', name: 'web.default.svc.cluster.local', ttl: 5, class: 'IN', data: '10.43.0.20' },
    ]);
  });

  it('matches names case-insensitively and keeps the asked spelling as owner', () => {
    const r = records().lookup(q('WEB.Default.svc.Cluster.Local'));
    assert.deepEqual(datas(r), ['10.43.0.20']);
    assert.equal(r.answers[0].name, 'WEB.Default.svc.Cluster.Local');
  });

  it('answers AAAA from IPv6 ClusterIPs and NODATA for a family the Service lacks', () => {
    const rec = records();
    assert.deepEqual(datas(rec.lookup(q('dual.default.svc.cluster.local', 'AAAA'))), ['fd00:43::30']);
    assert.deepEqual(datas(rec.lookup(q('dual.default.svc.cluster.local', 'A'))), ['10.43.0.30']);
    const noV4 = rec.lookup(q('v6.default.svc.cluster.local', 'A'));
    assert.equal(noV4.rcode, 'NOERROR');
    assert.deepEqual(noV4.answers, []);
    assert.equal(noV4.authorities[0].type, 'SOA');
    const noV6 = rec.lookup(q('web.default.svc.cluster.local', 'AAAA'));
    assert.equal(noV6.rcode, 'NOERROR');
    assert.deepEqual(noV6.answers, []);
  });

  it('answers a headless Service with every ready endpoint address, once each', () => {
    const r = records().lookup(q('db.default.svc.cluster.local'));
    assert.deepEqual(datas(r).sort(), ['10.42.0.5', '10.42.0.6']);
  });

  it('answers an endpoint by hostname, and by dashed IP when it has none', () => {
    const rec = records();
    assert.deepEqual(datas(rec.lookup(q('db-0.db.default.svc.cluster.local'))), ['10.42.0.5']);
    assert.deepEqual(datas(rec.lookup(q('10-42-0-6.db.default.svc.cluster.local'))), ['10.42.0.6']);
    // Not ready: no such name.
    assert.equal(rec.lookup(q('10-42-0-7.db.default.svc.cluster.local')).rcode, 'NXDOMAIN');
    assert.equal(rec.lookup(q('db-9.db.default.svc.cluster.local')).rcode, 'NXDOMAIN');
  });

  it('gives SRV records for a named port: the Service name for a ClusterIP, each endpoint when headless', () => {
    const rec = records();
    const r = rec.lookup(q('_http._tcp.web.default.svc.cluster.local', 'SRV'));
    assert.deepEqual(datas(r), [
      { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
    ]);
    assert.deepEqual(
      r.additionals.map((a) => [a.type, a.name, (a as { data: string }).data]),
      [['A', 'web.default.svc.cluster.local', '10.43.0.20']],
    );
    const udp = rec.lookup(q('_dns._udp.web.default.svc.cluster.local', 'SRV'));
    assert.deepEqual(datas(udp), [
      { priority: 0, weight: 100, port: 53, target: 'web.default.svc.cluster.local' },
    ]);
    // The port exists, over another protocol: no such name.
    assert.equal(rec.lookup(q('_http._udp.web.default.svc.cluster.local', 'SRV')).rcode, 'NXDOMAIN');
    const hs = rec.lookup(q('_pg._tcp.db.default.svc.cluster.local', 'SRV'));
    assert.deepEqual(
      datas(hs).sort((a: any, b: any) => (a.target < b.target ? -1 : 1)),
      [
        { priority: 0, weight: 50, port: 5432, target: '10-42-0-6.db.default.svc.cluster.local' },
        { priority: 0, weight: 50, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
      ],
    );
    assert.deepEqual(hs.additionals.map((a) => [a.name, (a as { data: string }).data]).sort(), [
      ['10-42-0-6.db.default.svc.cluster.local', '10.42.0.6'],
      ['db-0.db.default.svc.cluster.local', '10.42.0.5'],
    ]);
    // SRV on the Service name itself lists every port.
    assert.equal(rec.lookup(q('web.default.svc.cluster.local', 'SRV')).answers.length, 2);
  });

  it('answers pod names from the dashed IP when the namespace exists', () => {
    const rec = records();
    assert.deepEqual(datas(rec.lookup(q('10-42-0-9.default.pod.cluster.local'))), ['10.42.0.9']);
    assert.deepEqual(datas(rec.lookup(q('fd00--9.default.pod.cluster.local', 'AAAA'))), ['fd00::9']);
    assert.equal(rec.lookup(q('10-42-0-9.nope.pod.cluster.local')).rcode, 'NXDOMAIN');
    assert.equal(rec.lookup(q('not-an-ip.default.pod.cluster.local')).rcode, 'NXDOMAIN');
    const nodata = rec.lookup(q('10-42-0-9.default.pod.cluster.local', 'AAAA'));
    assert.equal(nodata.rcode, 'NOERROR');
    assert.deepEqual(nodata.answers, []);
  });

  it('answers an ExternalName Service with a CNAME, following it inside the zone', () => {
    const rec = records();
    const r = rec.lookup(q('ext.default.svc.cluster.local'));
    assert.deepEqual(r.answers, [
      { type: 'CNAME', name: 'ext.default.svc.cluster.local', ttl: 5, class: 'IN', data: 'example.org' },
    ]);
    assert.equal(r.chase, 'example.org');
    const a = rec.lookup(q('alias.default.svc.cluster.local'));
    assert.deepEqual(
      a.answers.map((x) => [x.type, x.name, (x as { data: string }).data]),
      [
        ['CNAME', 'alias.default.svc.cluster.local', 'web.default.svc.cluster.local'],
        ['A', 'web.default.svc.cluster.local', '10.43.0.20'],
      ],
    );
    assert.equal(a.chase, undefined);
  });

  it('tells NXDOMAIN from NODATA as CoreDNS does', () => {
    const rec = records();
    const cases: [string, Question['type'], string, number][] = [
      ['missing.default.svc.cluster.local', 'A', 'NXDOMAIN', 0],
      ['web.nope.svc.cluster.local', 'A', 'NXDOMAIN', 0],
      ['nobody.default.svc.cluster.local', 'A', 'NXDOMAIN', 0], // headless without endpoints
      ['default.svc.cluster.local', 'A', 'NOERROR', 0], // the namespace exists
      ['nope.svc.cluster.local', 'A', 'NXDOMAIN', 0],
      ['svc.cluster.local', 'A', 'NOERROR', 0],
      ['pod.cluster.local', 'A', 'NOERROR', 0],
      ['other.cluster.local', 'A', 'NXDOMAIN', 0],
      ['a.b.web.default.svc.cluster.local', 'A', 'NXDOMAIN', 0],
      ['web.default.svc.cluster.local', 'TXT', 'NOERROR', 0],
      ['cluster.local', 'SOA', 'NOERROR', 1],
      ['cluster.local', 'NS', 'NOERROR', 1],
      ['cluster.local', 'A', 'NOERROR', 0],
      ['dns-version.cluster.local', 'TXT', 'NOERROR', 1],
    ];
    for (const [name, type, rcode, n] of cases) {
      const r = rec.lookup(q(name, type));
      assert.equal(r.forward, false, name);
      assert.equal(r.rcode, rcode, `${type} ${name}`);
      assert.equal(r.answers.length, n, `${type} ${name}`);
      if (n === 0) {
        assert.equal(r.authorities.length, 1, `${name}: SOA in the authority section`);
        assert.deepEqual(r.authorities[0].name, 'cluster.local');
        assert.equal((r.authorities[0] as any).data.minimum, 5);
        assert.equal((r.authorities[0] as any).data.serial, 7);
      }
    }
  });

  it('answers SERVFAIL for cluster names until the caches synced, and forwards other names', () => {
    const rec = records(data({ services: [web] }, false));
    assert.equal(rec.lookup(q('web.default.svc.cluster.local')).rcode, 'SERVFAIL');
    assert.equal(rec.lookup(q('example.org')).forward, true);
    const synced = records();
    assert.equal(synced.lookup(q('example.org')).forward, true);
    assert.equal(synced.lookup(q('cluster.local.example.org')).forward, true);
    assert.equal(synced.lookup(q('local')).forward, true);
  });

  it('answers PTR for ClusterIPs and endpoint addresses, and forwards unknown reverse names', () => {
    const rec = records();
    assert.deepEqual(datas(rec.lookup(q('20.0.43.10.in-addr.arpa', 'PTR'))), [
      'web.default.svc.cluster.local',
    ]);
    assert.deepEqual(datas(rec.lookup(q('5.0.42.10.in-addr.arpa', 'PTR'))), [
      'db-0.db.default.svc.cluster.local',
    ]);
    const v6 = '0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa';
    assert.deepEqual(datas(rec.lookup(q(v6, 'PTR'))), ['dual.default.svc.cluster.local']);
    assert.equal(rec.lookup(q('1.1.168.192.in-addr.arpa', 'PTR')).forward, true);
  });

  it('follows cache changes without rebuilding anything', () => {
    const d = data({ services: [headless] });
    const rec = records(d);
    assert.equal(rec.lookup(q('db.default.svc.cluster.local')).rcode, 'NXDOMAIN');
    d.slices.upsert(dbSlices[0]);
    assert.deepEqual(datas(rec.lookup(q('db.default.svc.cluster.local'))).sort(), ['10.42.0.5', '10.42.0.6']);
    d.services.remove('default/db');
    assert.equal(rec.lookup(q('db.default.svc.cluster.local')).rcode, 'NXDOMAIN');
  });
});

describe('DNS name helpers', () => {
  it('normalises IPv6, reads reverse names and dashed IPs', () => {
    assert.equal(canonicalIP('fd00::1'), 'fd00:0000:0000:0000:0000:0000:0000:0001');
    assert.equal(canonicalIP('::ffff:10.0.0.1'), '0000:0000:0000:0000:0000:ffff:0a00:0001');
    assert.equal(canonicalIP('nope'), undefined);
    assert.equal(reverseNameToIP('4.3.2.1.in-addr.arpa'), '1.2.3.4');
    assert.equal(reverseNameToIP('3.2.1.in-addr.arpa'), undefined);
    assert.equal(ipFromDashed('1-2-3-4'), '1.2.3.4');
    assert.equal(ipFromDashed('fd00--1'), 'fd00::1');
    assert.equal(ipFromDashed('1-2-3'), undefined);
  });
});
