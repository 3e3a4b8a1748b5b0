// Rule generation as a pure function: Services and EndpointSlices in, nft script text out. Golden text for
// a few Services (ClusterIP and NodePort, traffic policies Local, no endpoints, terminating endpoints,
// ClientIP affinity), and the diffs an endpoint change, an endpoint removal and a Service deletion make.
// The hashes in chain names are upstream's (sha256, base32, 8 characters): ns1/svc1/tcp/p80 -> ULMVA6XW.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointsByPort, servicePortsOf } from '../../src/proxy/model.js';
import { shortHash } from '../../src/proxy/names.js';
import {
  baseLines,
  diffScript,
  fullSyncScript,
  type RulesConfig,
  type ServiceRules,
  serviceRules,
} from '../../src/proxy/rules.js';

type Obj = Record<string, any>;

const cfg: RulesConfig = { table: 'k8ts-proxy', localTraffic: { bridge: 'k8ts0' } };

function svc(name: string, spec: Obj = {}): Obj {
  return {
    metadata: { namespace: 'ns1', name },
    spec: { clusterIP: '10.43.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec },
  };
}
const nodePort = { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] };

type Ep = [ip: string, node: string, conditions?: Obj];
function slice(service: string, eps: Ep[], extra: Obj = {}): Obj {
  return {
    metadata: { namespace: 'ns1', name: `${service}-a`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: eps.map(([ip, nodeName, conditions]) => ({
      addresses: [ip],
      nodeName,
      conditions: conditions ?? { ready: true },
    })),
    ...extra,
  };
}

/** This node is n1. */
function rules(s: Obj, eps: Ep[] = [], c: RulesConfig = cfg): ServiceRules {
  return serviceRules(servicePortsOf(s), endpointsByPort([slice(s.metadata.name, eps)], 'n1'), c);
}

/** The lines of a full sync that belong to the Service (everything after the fixed part). */
function serviceLines(r: ServiceRules, c: RulesConfig = cfg): string[] {
  const lines = fullSyncScript(c, [r]).trimEnd().split('\n');
  return lines.slice(2 + baseLines(c).length);
}

describe('proxy rules: names', () => {
  it('hashes names as upstream does', () => {
    assert.equal(shortHash('ns1/svc1/tcp/p80'), 'ULMVA6XW');
    assert.equal(shortHash('ns1/svc1/tcp/p80__10.180.0.1/80'), '5OJB2KTY');
  });
});

describe('proxy rules: golden text', () => {
  it('a full sync recreates the table with the fixed chains, maps and hooks', () => {
    const script = fullSyncScript(cfg, []);
    const lines = script.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      'add table ip k8ts-proxy',
      'delete table ip k8ts-proxy',
      'add table ip k8ts-proxy { comment "k8ts kube-proxy rules"; }',
    ]);
    for (const expected of [
      'add chain ip k8ts-proxy nat-prerouting { type nat hook prerouting priority -100; policy accept; }',
      'add chain ip k8ts-proxy nat-output { type nat hook output priority -100; policy accept; }',
      'add chain ip k8ts-proxy nat-postrouting { type nat hook postrouting priority 100; policy accept; }',
      'add chain ip k8ts-proxy filter-forward { type filter hook forward priority -110; policy accept; }',
      'add map ip k8ts-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }',
      'add map ip k8ts-proxy service-nodeports { type inet_proto . inet_service : verdict; }',
      'add rule ip k8ts-proxy services ip daddr . meta l4proto . th dport vmap @service-ips',
      'add rule ip k8ts-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
      'add rule ip k8ts-proxy filter-forward ct state new jump endpoints-check',
      'add rule ip k8ts-proxy endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
      'add rule ip k8ts-proxy mark-for-masquerade meta mark set meta mark or 0x00004000',
      'add rule ip k8ts-proxy masquerading meta mark and 0x00004000 == 0 return',
      'add rule ip k8ts-proxy masquerading masquerade fully-random',
      'add rule ip k8ts-proxy reject-chain reject',
    ])
      assert.ok(lines.includes(expected), `missing: ${expected}`);
    // Only our own table is named anywhere.
    for (const l of lines) assert.match(l, / ip k8ts-proxy( |$)/);
  });

  it('NodePort, Cluster policy: random over both endpoints, NodePort traffic masqueraded', () => {
    const r = rules(svc('web', nodePort), [
      ['10.244.0.5', 'n1'],
      ['10.244.1.5', 'n2'],
    ]);
    assert.deepEqual(serviceLines(r), [
      `add chain ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http`,
      `add chain ip k8ts-proxy external-DK7ABAZC-ns1/web/tcp/http`,
      `add chain ip k8ts-proxy endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080`,
      `add chain ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080`,
      `add rule ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http ip daddr 10.43.0.10 tcp dport 80 iifname != "k8ts0" jump mark-for-masquerade`,
      `add rule ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http numgen random mod 2 == 0 goto endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080`,
      `add rule ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http goto endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080`,
      `add rule ip k8ts-proxy external-DK7ABAZC-ns1/web/tcp/http jump mark-for-masquerade`,
      `add rule ip k8ts-proxy external-DK7ABAZC-ns1/web/tcp/http goto service-DK7ABAZC-ns1/web/tcp/http`,
      `add rule ip k8ts-proxy endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080 ip saddr 10.244.0.5 jump mark-for-masquerade`,
      `add rule ip k8ts-proxy endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080 meta l4proto tcp dnat to 10.244.0.5:8080`,
      `add rule ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080 ip saddr 10.244.1.5 jump mark-for-masquerade`,
      `add rule ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080 meta l4proto tcp dnat to 10.244.1.5:8080`,
      `add element ip k8ts-proxy service-ips { 10.43.0.10 . tcp . 80 : goto service-DK7ABAZC-ns1/web/tcp/http }`,
      `add element ip k8ts-proxy service-nodeports { tcp . 30080 : goto external-DK7ABAZC-ns1/web/tcp/http }`,
    ]);
  });

  it('NodePort, externalTrafficPolicy Local without a local endpoint: pods and the node still get one, others are dropped', () => {
    const r = rules(svc('web', { ...nodePort, externalTrafficPolicy: 'Local' }), [['10.244.1.5', 'n2']]);
    assert.deepEqual(serviceLines(r), [
      `add chain ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http`,
      `add chain ip k8ts-proxy external-DK7ABAZC-ns1/web/tcp/http`,
      `add chain ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080`,
      `add rule ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http ip daddr 10.43.0.10 tcp dport 80 iifname != "k8ts0" jump mark-for-masquerade`,
      `add rule ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http goto endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080`,
      `add rule ip k8ts-proxy external-DK7ABAZC-ns1/web/tcp/http iifname "k8ts0" goto service-DK7ABAZC-ns1/web/tcp/http comment "short-circuit pod traffic"`,
      `add rule ip k8ts-proxy external-DK7ABAZC-ns1/web/tcp/http fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`,
      `add rule ip k8ts-proxy external-DK7ABAZC-ns1/web/tcp/http fib saddr type local goto service-DK7ABAZC-ns1/web/tcp/http comment "short-circuit local traffic"`,
      `add rule ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080 ip saddr 10.244.1.5 jump mark-for-masquerade`,
      `add rule ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080 meta l4proto tcp dnat to 10.244.1.5:8080`,
      `add element ip k8ts-proxy service-ips { 10.43.0.10 . tcp . 80 : goto service-DK7ABAZC-ns1/web/tcp/http }`,
      `add element ip k8ts-proxy service-nodeports { tcp . 30080 : goto external-DK7ABAZC-ns1/web/tcp/http }`,
      `add element ip k8ts-proxy no-endpoint-nodeports { tcp . 30080 : drop }`,
    ]);
  });

  it('NodePort, externalTrafficPolicy Local with a local endpoint: external traffic keeps its source and goes local', () => {
    const r = rules(svc('web', { ...nodePort, externalTrafficPolicy: 'Local' }), [
      ['10.244.0.5', 'n1'],
      ['10.244.1.5', 'n2'],
    ]);
    const ext = r.chains.get('external-DK7ABAZC-ns1/web/tcp/http')!;
    assert.equal(ext.at(-1), 'goto local-DK7ABAZC-ns1/web/tcp/http');
    assert.ok(!ext.includes('jump mark-for-masquerade'), 'no unconditional masquerade for Local');
    assert.deepEqual(r.chains.get('local-DK7ABAZC-ns1/web/tcp/http'), [
      'goto endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080',
    ]);
    assert.equal(r.elements.get('no-endpoint-nodeports'), undefined);
  });

  it('internalTrafficPolicy Local: the ClusterIP goes to local endpoints only, or is dropped', () => {
    const withLocal = rules(svc('web', { internalTrafficPolicy: 'Local' }), [
      ['10.244.0.5', 'n1'],
      ['10.244.1.5', 'n2'],
    ]);
    assert.deepEqual(
      [...withLocal.elements.get('service-ips')!],
      [['10.43.0.10 . tcp . 80', 'goto local-DK7ABAZC-ns1/web/tcp/http']],
    );
    assert.deepEqual(
      [...withLocal.chains.keys()],
      ['local-DK7ABAZC-ns1/web/tcp/http', 'endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080'],
    );
    const none = rules(svc('web', { internalTrafficPolicy: 'Local' }), [['10.244.1.5', 'n2']]);
    assert.deepEqual(serviceLines(none), [
      'add element ip k8ts-proxy no-endpoint-services { 10.43.0.10 . tcp . 80 : drop }',
    ]);
  });

  it('no endpoints: the ClusterIP and the NodePort are rejected', () => {
    const r = rules(svc('web', nodePort), [['10.244.1.5', 'n2', { ready: false }]]);
    assert.deepEqual(serviceLines(r), [
      'add element ip k8ts-proxy no-endpoint-services { 10.43.0.10 . tcp . 80 : goto reject-chain }',
      'add element ip k8ts-proxy no-endpoint-nodeports { tcp . 30080 : goto reject-chain }',
    ]);
  });

  it('serving terminating endpoints are used only when none is ready', () => {
    const terminating = { ready: false, serving: true, terminating: true };
    const notServing = { ready: false, serving: false, terminating: true };
    const fallback = rules(svc('web'), [
      ['10.244.1.5', 'n2', terminating],
      ['10.244.1.6', 'n2', notServing],
    ]);
    assert.deepEqual(
      fallback.chains.get('service-DK7ABAZC-ns1/web/tcp/http')?.at(-1),
      'goto endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080',
    );
    const withReady = rules(svc('web'), [
      ['10.244.1.5', 'n2', terminating],
      ['10.244.1.7', 'n2'],
    ]);
    assert.match(
      withReady.chains.get('service-DK7ABAZC-ns1/web/tcp/http')!.at(-1)!,
      /^goto endpoint-\w{8}-ns1\/web\/tcp\/http__10\.244\.1\.7\/8080$/,
    );
  });

  it('sessionAffinity ClientIP: a set per endpoint with the timeout, checked before the random pick', () => {
    const r = rules(
      svc('web', {
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      }),
      [['10.244.0.5', 'n1']],
    );
    const lines = serviceLines(r);
    const set = 'affinity-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080';
    const ep = 'endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080';
    assert.equal(
      lines[0],
      `add set ip k8ts-proxy ${set} { type ipv4_addr; flags dynamic,timeout; timeout 60s; }`,
    );
    assert.deepEqual(r.chains.get('service-DK7ABAZC-ns1/web/tcp/http'), [
      'ip daddr 10.43.0.10 tcp dport 80 iifname != "k8ts0" jump mark-for-masquerade',
      `ip saddr @${set} goto ${ep}`,
      `goto ${ep}`,
    ]);
    assert.deepEqual(r.chains.get(ep), [
      'ip saddr 10.244.0.5 jump mark-for-masquerade',
      `update @${set} { ip saddr }`,
      'meta l4proto tcp dnat to 10.244.0.5:8080',
    ]);
  });

  it("balancing: one random draw per rule, uniform over N (or upstream's single vmap)", () => {
    const eps: Ep[] = [
      ['10.244.0.5', 'n1'],
      ['10.244.0.6', 'n1'],
      ['10.244.0.7', 'n1'],
    ];
    const ep = (ip: string) =>
      `endpoint-${shortHash(`ns1/web/tcp/http__${ip}/8080`)}-ns1/web/tcp/http__${ip}/8080`;
    assert.deepEqual(rules(svc('web'), eps).chains.get('service-DK7ABAZC-ns1/web/tcp/http')!.slice(1), [
      `numgen random mod 3 == 0 goto ${ep('10.244.0.5')}`,
      `numgen random mod 2 == 0 goto ${ep('10.244.0.6')}`,
      `goto ${ep('10.244.0.7')}`,
    ]);
    const vmap = rules(svc('web'), eps, { ...cfg, balance: 'vmap' });
    assert.deepEqual(vmap.chains.get('service-DK7ABAZC-ns1/web/tcp/http')!.slice(1), [
      `numgen random mod 3 vmap { 0 : goto ${ep('10.244.0.5')}, 1 : goto ${ep('10.244.0.6')}, 2 : goto ${ep('10.244.0.7')} }`,
    ]);
  });

  it('local traffic by cluster CIDR, and masquerade-all when bridged replies skip conntrack', () => {
    const byCidr = rules(svc('web'), [['10.244.0.5', 'n1']], {
      table: 't',
      localTraffic: { cidr: '10.42.0.0/16' },
    });
    assert.equal(
      byCidr.chains.get('service-DK7ABAZC-ns1/web/tcp/http')![0],
      'ip daddr 10.43.0.10 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
    );
    const all = rules(svc('web'), [['10.244.0.5', 'n1']], { ...cfg, masqueradeAll: true });
    assert.equal(
      all.chains.get('service-DK7ABAZC-ns1/web/tcp/http')![0],
      'ip daddr 10.43.0.10 tcp dport 80 jump mark-for-masquerade',
    );
  });
});

describe('proxy rules: diffs', () => {
  const two = rules(svc('web'), [
    ['10.244.0.5', 'n1'],
    ['10.244.1.5', 'n2'],
  ]);

  it('no change, no script', () => {
    assert.equal(
      diffScript(cfg, [
        {
          old: two,
          new: rules(svc('web'), [
            ['10.244.1.5', 'n2'],
            ['10.244.0.5', 'n1'],
          ]),
        },
      ]).script,
      '',
    );
  });

  it('an endpoint replaced: the service chain rewritten, the new endpoint chain added, the old one flushed for later deletion', () => {
    const replaced = rules(svc('web'), [
      ['10.244.0.5', 'n1'],
      ['10.244.1.7', 'n2'],
    ]);
    const d = diffScript(cfg, [{ old: two, new: replaced }]);
    assert.deepEqual(d.script.trimEnd().split('\n'), [
      'flush chain ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http',
      'flush chain ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080',
      'add chain ip k8ts-proxy endpoint-7U6VPMMX-ns1/web/tcp/http__10.244.1.7/8080',
      'flush chain ip k8ts-proxy endpoint-7U6VPMMX-ns1/web/tcp/http__10.244.1.7/8080',
      'add rule ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http ip daddr 10.43.0.10 tcp dport 80 iifname != "k8ts0" jump mark-for-masquerade',
      'add rule ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http numgen random mod 2 == 0 goto endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080',
      'add rule ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http goto endpoint-7U6VPMMX-ns1/web/tcp/http__10.244.1.7/8080',
      'add rule ip k8ts-proxy endpoint-7U6VPMMX-ns1/web/tcp/http__10.244.1.7/8080 ip saddr 10.244.1.7 jump mark-for-masquerade',
      'add rule ip k8ts-proxy endpoint-7U6VPMMX-ns1/web/tcp/http__10.244.1.7/8080 meta l4proto tcp dnat to 10.244.1.7:8080',
    ]);
    assert.deepEqual(d.staleChains, ['endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080']);
    // The next diff deletes the stale chain (unless it is used again).
    const later = diffScript(cfg, [], d.staleChains);
    assert.equal(
      later.script,
      'delete chain ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080\n',
    );
    const revived = diffScript(cfg, [{ old: replaced, new: two }], d.staleChains);
    assert.doesNotMatch(revived.script, /delete chain/);
    assert.deepEqual(revived.revivedChains, ['endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080']);
  });

  it('the last endpoint gone: the ClusterIP moves from service-ips to the reject map', () => {
    const d = diffScript(cfg, [{ old: two, new: rules(svc('web'), []) }]);
    assert.deepEqual(d.script.trimEnd().split('\n'), [
      'delete element ip k8ts-proxy service-ips { 10.43.0.10 . tcp . 80 }',
      'flush chain ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http',
      'flush chain ip k8ts-proxy endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080',
      'flush chain ip k8ts-proxy endpoint-XBVINTKS-ns1/web/tcp/http__10.244.1.5/8080',
      'add element ip k8ts-proxy no-endpoint-services { 10.43.0.10 . tcp . 80 : goto reject-chain }',
    ]);
    assert.equal(d.staleChains.length, 3);
  });

  it('a Service deleted: its elements deleted, its chains flushed, its affinity sets deleted', () => {
    const sticky = rules(svc('web', { sessionAffinity: 'ClientIP' }), [['10.244.0.5', 'n1']]);
    const d = diffScript(cfg, [{ old: sticky }]);
    assert.deepEqual(d.script.trimEnd().split('\n'), [
      'delete element ip k8ts-proxy service-ips { 10.43.0.10 . tcp . 80 }',
      'flush chain ip k8ts-proxy service-DK7ABAZC-ns1/web/tcp/http',
      'flush chain ip k8ts-proxy endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080',
      'delete set ip k8ts-proxy affinity-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080',
    ]);
  });

  it('an affinity timeout change makes the sets again and rewrites the chains that name them', () => {
    const a = rules(
      svc('web', {
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      }),
      [['10.244.0.5', 'n1']],
    );
    const b = rules(
      svc('web', {
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 90 } },
      }),
      [['10.244.0.5', 'n1']],
    );
    const lines = diffScript(cfg, [{ old: a, new: b }])
      .script.trimEnd()
      .split('\n');
    const set = 'affinity-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080';
    const flushAt = lines.indexOf(
      'flush chain ip k8ts-proxy endpoint-CDKGID2H-ns1/web/tcp/http__10.244.0.5/8080',
    );
    const delAt = lines.indexOf(`delete set ip k8ts-proxy ${set}`);
    const addAt = lines.indexOf(
      `add set ip k8ts-proxy ${set} { type ipv4_addr; flags dynamic,timeout; timeout 90s; }`,
    );
    assert.ok(flushAt >= 0 && delAt > flushAt && addAt > delAt, lines.join('\n'));
    assert.ok(lines.some((l) => l.endsWith(`update @${set} { ip saddr }`)));
  });
});

describe('proxy model', () => {
  it('skips headless, ExternalName and IPv6-only Services', () => {
    assert.deepEqual(servicePortsOf(svc('h', { clusterIP: 'None' })), []);
    assert.deepEqual(servicePortsOf(svc('e', { type: 'ExternalName', clusterIP: undefined })), []);
    assert.deepEqual(servicePortsOf(svc('v6', { clusterIP: 'fd00::1', clusterIPs: ['fd00::1'] })), []);
    const dual = servicePortsOf(svc('d', { clusterIP: 'fd00::1', clusterIPs: ['fd00::1', '10.43.0.9'] }));
    assert.equal(dual[0].clusterIP, '10.43.0.9');
  });

  it('reads endpoints per port from IPv4 slices, once per ip:port, with their conditions', () => {
    const a = slice('web', [
      ['10.244.0.9', 'n1'],
      ['10.244.0.5', 'n2', { ready: false, serving: true, terminating: true }],
    ]);
    const b = {
      ...slice('web', [['10.244.0.9', 'n1', { ready: false }]]),
      metadata: { ...a.metadata, name: 'web-b' },
    };
    const v6 = {
      ...slice('web', [['fd00::5', 'n1']]),
      addressType: 'IPv6',
      metadata: { ...a.metadata, name: 'web-c' },
    };
    const eps = endpointsByPort([b, v6, a], 'n1');
    assert.deepEqual(eps.get('ns1/web/tcp/http'), [
      { ip: '10.244.0.5', port: 8080, ready: false, serving: true, terminating: true, local: false },
      { ip: '10.244.0.9', port: 8080, ready: true, serving: true, terminating: false, local: true },
    ]);
  });
});
