// A pod's resolv.conf by dnsPolicy, as upstream's kubelet forms it: ClusterFirst, ClusterFirstWithHostNet,
// hostNetwork falling back to Default, Default, None, the dnsConfig merge and the resolver limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandboxConfig } from '../../src/kubelet/container-config.js';
import { podDns } from '../../src/kubelet/dns.js';
import { parseResolvConf } from '../../src/kubelet/host.js';
import { pod } from './fixtures.js';

const host = parseResolvConf(
  'nameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch corp.example\noptions edns0 timeout:2\n',
);
const cluster = { domain: 'cluster.local', servers: ['10.42.0.1'] };
const ns = (namespace: string, spec = {}) => pod(spec, { namespace });

describe('pod DNS config', () => {
  it('ClusterFirst (the default): cluster nameserver, namespace search path then the host search, ndots:5', () => {
    for (const p of [ns('team-a'), ns('team-a', { dnsPolicy: 'ClusterFirst' })]) {
      assert.deepEqual(podDns(p, host, cluster), {
        servers: ['10.42.0.1'],
        searches: ['team-a.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
        options: ['ndots:5'],
        warnings: [],
      });
    }
  });

  it('hostNetwork pods get the host DNS with ClusterFirst and the cluster DNS with ClusterFirstWithHostNet', () => {
    const hostNet = podDns(ns('x', { hostNetwork: true }), host, cluster);
    assert.deepEqual(hostNet.servers, ['10.0.0.2', '10.0.0.3']);
    assert.deepEqual(hostNet.searches, ['corp.example']);
    assert.deepEqual(hostNet.options, ['edns0', 'timeout:2']);
    const withHostNet = podDns(
      ns('x', { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }),
      host,
      cluster,
    );
    assert.deepEqual(withHostNet.servers, ['10.42.0.1']);
    assert.equal(withHostNet.searches[0], 'x.svc.cluster.local');
    // Not on the host network, ClusterFirstWithHostNet is plain ClusterFirst.
    assert.deepEqual(podDns(ns('x', { dnsPolicy: 'ClusterFirstWithHostNet' }), host, cluster).servers, [
      '10.42.0.1',
    ]);
  });

  it('Default is the host resolv.conf; None is only the pod dnsConfig', () => {
    const def = podDns(ns('x', { dnsPolicy: 'Default' }), host, cluster);
    assert.deepEqual(
      [def.servers, def.searches, def.options],
      [['10.0.0.2', '10.0.0.3'], ['corp.example'], ['edns0', 'timeout:2']],
    );
    const none = podDns(
      ns('x', {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['9.9.9.9'],
          searches: ['a.example'],
          options: [{ name: 'ndots', value: '1' }],
        },
      }),
      host,
      cluster,
    );
    assert.deepEqual([none.servers, none.searches, none.options], [['9.9.9.9'], ['a.example'], ['ndots:1']]);
  });

  it('merges dnsConfig: nameservers and searches appended without duplicates, options overridden by name', () => {
    const r = podDns(
      ns('x', {
        dnsConfig: {
          nameservers: ['10.42.0.1', '1.1.1.1'],
          searches: ['svc.cluster.local', 'extra.example'],
          options: [{ name: 'ndots', value: '2' }, { name: 'single-request' }, { name: 'edns0' }],
        },
      }),
      host,
      cluster,
    );
    assert.deepEqual(r.servers, ['10.42.0.1', '1.1.1.1']);
    assert.deepEqual(r.searches, [
      'x.svc.cluster.local',
      'svc.cluster.local',
      'cluster.local',
      'corp.example',
      'extra.example',
    ]);
    assert.deepEqual(r.options, ['ndots:2', 'single-request', 'edns0']);
    assert.deepEqual(r.warnings, []);
  });

  it('keeps at most 3 nameservers and 32 search domains, saying so', () => {
    const r = podDns(
      ns('x', {
        dnsConfig: {
          nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'],
          searches: Array.from({ length: 40 }, (_, i) => `s${i}.example`),
        },
      }),
      host,
      cluster,
    );
    assert.deepEqual(r.servers, ['10.42.0.1', '1.1.1.1', '2.2.2.2']);
    assert.equal(r.searches.length, 32);
    assert.equal(r.searches[0], 'x.svc.cluster.local');
    assert.deepEqual(
      r.warnings.map((w) => w.reason),
      ['DNSConfigForming', 'DNSConfigForming'],
    );
    assert.match(r.warnings[0].message, /applied nameserver line is: 10\.42\.0\.1 1\.1\.1\.1 2\.2\.2\.2$/);
    assert.match(r.warnings[1].message, /Search Line limits were exceeded/);
  });

  it('cuts the search line to 2048 characters and drops domains longer than 253', () => {
    const long = (c: string) => `${c.repeat(60)}.${c.repeat(60)}.${c.repeat(60)}.example`; // 200 chars
    const r = podDns(
      ns('x', {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1'],
          searches: ['a'.repeat(254), ...'bcdefghijkl'.split('').map(long)],
        },
      }),
      host,
    );
    assert.ok(!r.searches.includes('a'.repeat(254)));
    assert.ok(r.searches.join(' ').length <= 2048);
    assert.equal(r.searches.length, 10); // 10 * 201 - 1 = 2009 fits, 11 would not
  });

  it('falls back to Default with a MissingClusterDNS event when the node has no cluster DNS', () => {
    const r = podDns(ns('x'), host, undefined);
    assert.deepEqual(r.servers, ['10.0.0.2', '10.0.0.3']);
    assert.deepEqual(
      r.warnings.map((w) => w.reason),
      ['MissingClusterDNS'],
    );
    assert.deepEqual(podDns(ns('x'), host, { domain: 'cluster.local', servers: [] }).servers, [
      '10.0.0.2',
      '10.0.0.3',
    ]);
  });

  it('reaches the CRI sandbox config', () => {
    const sb = sandboxConfig(ns('web'), { dataDir: '/d', attempt: 0, dns: host, clusterDns: cluster });
    assert.deepEqual(sb.dnsConfig, {
      servers: ['10.42.0.1'],
      searches: ['web.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
      options: ['ndots:5'],
    });
  });
});
