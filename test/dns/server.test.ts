// The DNS server on loopback, asked by a real client (node:dns Resolver, c-ares): cluster names over UDP,
// a large headless answer truncated over UDP and fetched again over TCP, NXDOMAIN and NODATA as the
// client's error codes, forwarding to an upstream (itself a DnsServer on loopback) and SERVFAIL when the
// upstream does not answer, an ExternalName chased upstream.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, it } from 'node:test';
import type { Question } from 'dns-packet';
import * as packet from 'dns-packet';
import { Store } from '../../src/client/store.js';
import { Forwarder } from '../../src/dns/forward.js';
import { ClusterRecords, type Reply, serviceIndexers, sliceIndexers } from '../../src/dns/records.js';
import { DnsServer } from '../../src/dns/server.js';

type Obj = Record<string, any>;
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as any;

/** An upstream resolver that knows example.org and nothing else. */
function upstreamRecords(): { lookup(q: Question): Reply } {
  return {
    lookup(q) {
      const known = q.name.toLowerCase() === 'example.org';
      return {
        forward: false,
        authoritative: true,
        rcode: known ? 'NOERROR' : 'NXDOMAIN',
        answers:
          known && q.type === 'A'
            ? [{ type: 'A', name: q.name, ttl: 300, class: 'IN', data: '192.0.2.10' }]
            : [],
        authorities: [],
        additionals: [],
      };
    },
  };
}

function clusterData() {
  const services = new Store<Obj>(serviceIndexers());
  const slices = new Store<Obj>(sliceIndexers());
  const namespaces = new Store<Obj>();
  namespaces.upsert({ metadata: { name: 'default' } });
  services.upsert({
    metadata: { name: 'web', namespace: 'default' },
    spec: { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'http', port: 80 }] },
  });
  services.upsert({
    metadata: { name: 'many', namespace: 'default' },
    spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
  });
  services.upsert({
    metadata: { name: 'ext', namespace: 'default' },
    spec: { type: 'ExternalName', externalName: 'example.org' },
  });
  services.upsert({
    metadata: { name: 'mid', namespace: 'default' },
    spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
  });
  slices.upsert({
    metadata: { name: 'mid-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'mid' } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: 12 }, (_, i) => ({
      addresses: [`10.42.9.${i + 1}`],
      conditions: { ready: true },
    })),
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  });
  const endpoints = Array.from({ length: 100 }, (_, i) => ({
    addresses: [`10.42.${i >> 8}.${(i & 255) + 1}`],
    conditions: { ready: true },
  }));
  slices.upsert({
    metadata: { name: 'many-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'many' } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  });
  return { services, slices, namespaces, synced: () => true };
}

describe('DNS server on loopback', () => {
  let upstream: DnsServer;
  let server: DnsServer;
  let deadServer: DnsServer;
  let deadPort = 0;
  const resolver = () => {
    const r = new Resolver({ timeout: 3_000, tries: 1 });
    r.setServers([`127.0.0.1:${server.port}`]);
    return r;
  };

  before(async () => {
    upstream = new DnsServer({
      host: '127.0.0.1',
      port: 0,
      records: upstreamRecords(),
      forwarder: new Forwarder({ upstreams: [] }),
      log: quiet,
    });
    await upstream.listen();
    const records = new ClusterRecords(clusterData(), { domain: 'cluster.local' });
    server = new DnsServer({
      host: '127.0.0.1',
      port: 0,
      records,
      forwarder: new Forwarder({
        upstreams: [{ address: '127.0.0.1', port: upstream.port }],
        timeoutMs: 500,
      }),
      log: quiet,
    });
    await server.listen();
    // An upstream that never answers: a bound UDP socket that reads and drops.
    const sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    deadPort = sink.address().port;
    after(() => sink.close());
    deadServer = new DnsServer({
      host: '127.0.0.1',
      port: 0,
      records,
      forwarder: new Forwarder({ upstreams: [{ address: '127.0.0.1', port: deadPort }], timeoutMs: 200 }),
      log: quiet,
    });
    await deadServer.listen();
  });

  after(async () => {
    await server?.close();
    await deadServer?.close();
    await upstream?.close();
  });

  it('answers a Service name over UDP with TTL 5', async () => {
    assert.deepEqual(await resolver().resolve4('web.default.svc.cluster.local', { ttl: true }), [
      { address: '10.43.0.20', ttl: 5 },
    ]);
    assert.deepEqual(await resolver().resolveSrv('_http._tcp.web.default.svc.cluster.local'), [
      { name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 },
    ]);
  });

  it('truncates a large UDP answer and the client gets it whole over TCP', async () => {
    const before = server.stats.queries;
    const ips = await resolver().resolve4('many.default.svc.cluster.local');
    assert.equal(ips.length, 100);
    assert.ok(server.stats.queries >= before + 2, 'a UDP query then a TCP one');
  });

  it('drops additional records before truncating a UDP answer', async () => {
    const ask = async (name: string, tcp: boolean) =>
      packet.decode(
        (await server.handle(
          packet.encode({ type: 'query', id: 9, flags: 0x100, questions: [{ type: 'SRV', name }] }),
          tcp,
        ))!,
      );
    const name = '_http._tcp.mid.default.svc.cluster.local';
    const udp = await ask(name, false);
    assert.equal(udp.flag_tc, false);
    assert.equal(udp.answers!.length, 12);
    assert.equal(udp.additionals!.length, 0);
    const tcp = await ask(name, true);
    assert.equal(tcp.answers!.length, 12);
    assert.equal(tcp.additionals!.length, 12);
    const big = await ask('_http._tcp.many.default.svc.cluster.local', false);
    assert.equal(big.flag_tc, true);
    assert.equal(big.answers!.length, 0);
  });

  it('maps NXDOMAIN and NODATA to the client errors', async () => {
    await assert.rejects(resolver().resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
    await assert.rejects(resolver().resolve6('web.default.svc.cluster.local'), { code: 'ENODATA' });
  });

  it('forwards other names upstream, over UDP and TCP', async () => {
    assert.deepEqual(await resolver().resolve4('example.org'), ['192.0.2.10']);
    await assert.rejects(resolver().resolve4('missing.example.org'), { code: 'ENOTFOUND' });
    const fwd = new Forwarder({ upstreams: [{ address: '127.0.0.1', port: server.port }] });
    const query = packet.encode({
      type: 'query',
      id: 4242,
      flags: 0x100,
      questions: [{ type: 'A', name: 'example.org' }],
    });
    const answer = packet.decode((await fwd.forward(query, true))!);
    assert.equal(answer.id, 4242);
    assert.deepEqual(
      answer.answers!.map((a) => (a as { data: string }).data),
      ['192.0.2.10'],
    );
  });

  it('chases an ExternalName target upstream', async () => {
    assert.deepEqual(await resolver().resolveCname('ext.default.svc.cluster.local'), ['example.org']);
    assert.deepEqual(await resolver().resolve4('ext.default.svc.cluster.local'), ['192.0.2.10']);
  });

  it('answers SERVFAIL when no upstream answers in time, and still answers cluster names', async () => {
    const r = new Resolver({ timeout: 3_000, tries: 1 });
    r.setServers([`127.0.0.1:${deadServer.port}`]);
    const t0 = Date.now();
    await assert.rejects(r.resolve4('example.org'), { code: 'ESERVFAIL' });
    assert.ok(Date.now() - t0 < 2_000, 'the forward timeout, not the client timeout');
    assert.deepEqual(await r.resolve4('web.default.svc.cluster.local'), ['10.43.0.20']);
  });

  it('refuses to listen on a port another server holds', async () => {
    const second = new DnsServer({
      host: '127.0.0.1',
      port: server.port,
      records: upstreamRecords(),
      forwarder: new Forwarder({ upstreams: [] }),
      log: quiet,
    });
    await assert.rejects(second.listen(), { code: 'EADDRINUSE' });
    assert.deepEqual(await resolver().resolve4('web.default.svc.cluster.local'), ['10.43.0.20']);
  });

  it('answers garbage with FORMERR and ignores responses', async () => {
    const sock = createSocket('udp4');
    const got = new Promise<Buffer>((r) => sock.once('message', r));
    const junk = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xff]);
    sock.send(junk, server.port, '127.0.0.1');
    const reply = await got;
    assert.equal(reply.readUInt16BE(0), 0x1234);
    assert.equal(reply.readUInt16BE(2) & 0x800f, 0x8001);
    sock.close();
    assert.equal(await server.handle(Buffer.from([0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]), false), undefined);
  });
});
