// The proxy's rules against real packets, in network namespaces this test makes: a "node" namespace with
// a bridge (as the CNI bridge) and three "pod" namespaces on it (two busybox httpd servers and a client),
// all on addresses that exist only inside these namespaces. The real Proxier programs the node
// namespace's nftables through `ip netns exec NODE nft -f -`, fed Services and EndpointSlices directly.
// Checks: ClusterIP from a pod (random balancing over both servers), from the node itself, NodePort on the
// node's address, hairpin (a pod reaching itself through its Service), ClientIP affinity,
// internalTrafficPolicy Local, endpoint removal, no endpoints -> rejected at once, Service deletion
// removing its map elements and chains, the br_netfilter-less fallback (masquerade), and stop() removing
// the table. Teardown kills the servers by pid and deletes the namespaces.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/client/index.js';
import { nftRunner } from '../../src/proxy/nft.js';
import { Proxier } from '../../src/proxy/proxier.js';
import { eventually } from '../helpers/eventually.js';

type Obj = Record<string, any>;

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nftables)';
  for (const p of ['/usr/sbin/nft', '/usr/sbin/ip', '/bin/busybox'])
    if (!existsSync(p)) return `${p} is missing (apt-get install nftables iproute2 busybox-static)`;
  return undefined;
}
const skip = skipReason();
if (skip) console.log(`# skipping proxy netns e2e: ${skip}`);

const tag = `pxe${process.pid % 100000}`;
const NODE = `${tag}-node`;
const PODS = {
  a: { ns: `${tag}-a`, ip: '10.99.0.2' },
  b: { ns: `${tag}-b`, ip: '10.99.0.3' },
  c: { ns: `${tag}-c`, ip: '10.99.0.4' },
};
const BRIDGE = 'pxbr0';
const NODE_IP = '172.31.99.1';
const TABLE = 'k8ts-proxy';
const NODE_NAME = 'node-1';

function sh(args: string[], opts: { allowFail?: boolean } = {}): { code: number; out: string; err: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 15_000 });
  const res = { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  if (!opts.allowFail && res.code !== 0) throw new Error(`${args.join(' ')} failed: ${res.err}`);
  return res;
}
const inNs = (ns: string, args: string[], opts?: { allowFail?: boolean }) =>
  sh(['ip', 'netns', 'exec', ns, ...args], opts);

// busybox's static wget crashes on some hosts (glibc NSS in a static binary): the client is node itself.
const GET = `const req = require('http').get(process.argv[1], { timeout: 2000 }, (r) => {
  let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(b));
});
req.on('timeout', () => { console.error('timed out'); process.exit(2); });
req.on('error', (e) => { console.error(e.code || e.message); process.exit(1); });`;

/** An HTTP GET from inside a namespace: the body, or undefined and the error when it failed. */
function wget(ns: string, url: string): { body?: string; err: string; ms: number } {
  const t0 = Date.now();
  const r = inNs(ns, [process.execPath, '-e', GET, url], { allowFail: true });
  return { body: r.code === 0 ? r.out.trim() : undefined, err: r.err.trim(), ms: Date.now() - t0 };
}

function service(name: string, spec: Obj): Obj {
  return { metadata: { namespace: 'default', name }, spec: { type: 'ClusterIP', ...spec } };
}

function slice(
  svc: string,
  endpoints: Array<{ ip: string; node?: string; ready?: boolean }>,
  port = 8080,
): Obj {
  return {
    metadata: { namespace: 'default', name: `${svc}-x1`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true },
      nodeName: e.node ?? NODE_NAME,
    })),
  };
}

describe('kube-proxy rules in a network namespace', { skip: skip ?? false, timeout: 120_000 }, () => {
  const servers: ChildProcess[] = [];
  let dir = '';
  let proxier: Proxier;
  const nft = nftRunner(['ip', 'netns', 'exec', NODE, 'nft']);

  const newProxier = (masqueradeAll = false) =>
    new Proxier({
      config: { table: TABLE, localTraffic: { bridge: BRIDGE }, masqueradeAll },
      nodeName: NODE_NAME,
      nft,
      minSyncIntervalMs: 5,
      staleChainDelayMs: 200,
      log: silentLogger,
    });

  /** Applies what the proxier was told and waits until the table holds it. */
  const synced = async () => {
    await new Promise((r) => setTimeout(r, 10));
    await proxier.syncNow();
  };
  const table = () => inNs(NODE, ['nft', 'list', 'table', 'ip', TABLE], { allowFail: true });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-proxy-e2e-'));
    sh(['ip', 'netns', 'add', NODE]);
    inNs(NODE, ['ip', 'link', 'set', 'lo', 'up']);
    inNs(NODE, ['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
    inNs(NODE, ['ip', 'addr', 'add', '10.99.0.1/24', 'dev', BRIDGE]);
    inNs(NODE, ['ip', 'link', 'set', BRIDGE, 'up']);
    // The node's "uplink": its address and a default route, so cluster IPs are routable as on a real host.
    // (A veth pair with both ends in the node: the kernel here may have no dummy interfaces.)
    inNs(NODE, ['ip', 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1']);
    inNs(NODE, ['ip', 'addr', 'add', `${NODE_IP}/24`, 'dev', 'uplink0']);
    inNs(NODE, ['ip', 'link', 'set', 'uplink1', 'up']);
    inNs(NODE, ['ip', 'link', 'set', 'uplink0', 'up']);
    inNs(NODE, ['ip', 'route', 'add', 'default', 'dev', 'uplink0']);
    inNs(NODE, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    inNs(NODE, ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1'], { allowFail: true });
    for (const [key, pod] of Object.entries(PODS)) {
      sh(['ip', 'netns', 'add', pod.ns]);
      const host = `${tag}${key}h`;
      inNs(NODE, ['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.ns]);
      inNs(NODE, ['ip', 'link', 'set', host, 'master', BRIDGE]);
      inNs(NODE, ['ip', 'link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on']);
      inNs(NODE, ['ip', 'link', 'set', host, 'up']);
      inNs(pod.ns, ['ip', 'link', 'set', 'lo', 'up']);
      inNs(pod.ns, ['ip', 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
      inNs(pod.ns, ['ip', 'link', 'set', 'eth0', 'up']);
      inNs(pod.ns, ['ip', 'route', 'add', 'default', 'via', '10.99.0.1']);
    }
    for (const key of ['a', 'b'] as const) {
      const www = join(dir, key);
      mkdirSync(www);
      writeFileSync(join(www, 'index.html'), `server-${key}\n`);
      const p = spawn(
        'ip',
        ['netns', 'exec', PODS[key].ns, 'busybox', 'httpd', '-f', '-p', '8080', '-h', www],
        {
          stdio: 'ignore',
        },
      );
      servers.push(p);
    }
    proxier = newProxier();
  });

  after(async () => {
    await proxier?.stop().catch(() => {});
    for (const p of servers) if (p.exitCode === null && p.pid) process.kill(p.pid, 'SIGKILL');
    for (const pod of Object.values(PODS)) sh(['ip', 'netns', 'del', pod.ns], { allowFail: true });
    sh(['ip', 'netns', 'del', NODE], { allowFail: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves both pods directly (the harness works)', async () => {
    await eventually('httpd on a and b', async () =>
      wget(PODS.c.ns, `http://${PODS.a.ip}:8080/`).body && wget(PODS.c.ns, `http://${PODS.b.ip}:8080/`).body
        ? true
        : undefined,
    );
  });

  it('the first sync writes the whole table', async () => {
    proxier.setSynced();
    await synced();
    const t = table();
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /chain nat-prerouting/);
    assert.equal(proxier.stats.fullSyncs, 1);
  });

  it('ClusterIP: a pod reaches both endpoints at random; the node and a NodePort reach them too', async () => {
    proxier.upsertService(
      service('web', {
        type: 'NodePort',
        clusterIP: '10.43.250.10',
        ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }],
      }),
    );
    proxier.upsertSlice(slice('web', [{ ip: PODS.a.ip }, { ip: PODS.b.ip }]));
    await synced();
    assert.equal(proxier.stats.fullSyncs, 1, 'the change was applied incrementally');
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      const r = wget(PODS.c.ns, 'http://10.43.250.10/');
      assert.ok(r.body, `wget ClusterIP from pod c: ${r.err}`);
      seen.add(r.body);
    }
    assert.deepEqual([...seen].sort(), ['server-a', 'server-b']);
    const fromNode = wget(NODE, 'http://10.43.250.10/');
    assert.match(fromNode.body ?? '', /^server-[ab]$/, `from the node: ${fromNode.err}`);
    const nodePort = wget(NODE, `http://${NODE_IP}:30080/`);
    assert.match(nodePort.body ?? '', /^server-[ab]$/, `NodePort from the node: ${nodePort.err}`);
    const nodePortFromPod = wget(PODS.c.ns, `http://${NODE_IP}:30080/`);
    assert.match(nodePortFromPod.body ?? '', /^server-[ab]$/, `NodePort from a pod: ${nodePortFromPod.err}`);
  });

  it('hairpin: a pod reaches itself through its Service', async () => {
    proxier.upsertService(
      service('self', { clusterIP: '10.43.250.11', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
    );
    proxier.upsertSlice(slice('self', [{ ip: PODS.a.ip }]));
    await synced();
    const r = wget(PODS.a.ns, 'http://10.43.250.11/');
    assert.equal(r.body, 'server-a', `pod a -> its own Service: ${r.err}`);
  });

  it('sessionAffinity ClientIP keeps a client on one endpoint', async () => {
    proxier.upsertService(
      service('sticky', {
        clusterIP: '10.43.250.12',
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      }),
    );
    proxier.upsertSlice(slice('sticky', [{ ip: PODS.a.ip }, { ip: PODS.b.ip }]));
    await synced();
    const bodies = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = wget(PODS.c.ns, 'http://10.43.250.12/');
      assert.ok(r.body, r.err);
      bodies.add(r.body);
    }
    assert.equal(bodies.size, 1, `one endpoint for one client, got ${[...bodies]}`);
    assert.match(
      table().out,
      new RegExp(`${PODS.c.ip.replaceAll('.', '\\.')}`),
      'the client is in an affinity set',
    );
  });

  it('internalTrafficPolicy Local uses only this node’s endpoints', async () => {
    proxier.upsertService(
      service('local', {
        clusterIP: '10.43.250.13',
        internalTrafficPolicy: 'Local',
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      }),
    );
    proxier.upsertSlice(slice('local', [{ ip: PODS.a.ip, node: 'other-node' }, { ip: PODS.b.ip }]));
    await synced();
    for (let i = 0; i < 10; i++) assert.equal(wget(PODS.c.ns, 'http://10.43.250.13/').body, 'server-b');
  });

  it('endpoint removal stops traffic to it; no endpoints -> rejected at once', async () => {
    proxier.upsertSlice(slice('web', [{ ip: PODS.b.ip }]));
    await synced();
    for (let i = 0; i < 10; i++) assert.equal(wget(PODS.c.ns, 'http://10.43.250.10/').body, 'server-b');
    proxier.upsertSlice(slice('web', [{ ip: PODS.b.ip, ready: false }]));
    await synced();
    const r = wget(PODS.c.ns, 'http://10.43.250.10/');
    assert.equal(r.body, undefined);
    assert.match(r.err, /ECONNREFUSED/, 'rejected, not left to time out');
    assert.ok(r.ms < 1500, `rejected in ${r.ms} ms`);
    const np = wget(NODE, `http://${NODE_IP}:30080/`);
    assert.match(np.err, /ECONNREFUSED/, 'the NodePort is rejected too');
  });

  it('deleting a Service removes its elements now and its chains shortly after', async () => {
    const before = table().out;
    assert.match(before, /10\.43\.250\.11 \. tcp \. 80/);
    assert.match(before, /default\/self\/tcp\/http/);
    proxier.deleteService({ metadata: { namespace: 'default', name: 'self' } });
    await synced();
    assert.doesNotMatch(table().out, /10\.43\.250\.11 \. tcp \. 80/);
    assert.equal(wget(PODS.a.ns, 'http://10.43.250.11/').body, undefined);
    await eventually('the stale chains deleted', async () =>
      /default\/self\/tcp\/http/.test(table().out) ? undefined : true,
    );
  });

  it('without br_netfilter, masquerading keeps pod -> ClusterIP -> pod on the same bridge working', async () => {
    const nf = '/proc/sys/net/bridge/bridge-nf-call-iptables';
    const probe = inNs(NODE, ['cat', nf], { allowFail: true });
    if (probe.code !== 0) return; // no br_netfilter at all on this kernel: nothing to switch off
    inNs(NODE, ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0']);
    try {
      // Swap in a proxier configured for the fallback; its first sync rewrites the table.
      await proxier.stop();
      proxier = newProxier(true);
      proxier.upsertService(
        service('web', { clusterIP: '10.43.250.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
      );
      proxier.upsertSlice(slice('web', [{ ip: PODS.a.ip }]));
      proxier.setSynced();
      await synced();
      const r = wget(PODS.c.ns, 'http://10.43.250.10/');
      assert.equal(r.body, 'server-a', `with masquerading: ${r.err}`);
    } finally {
      inNs(NODE, ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
    }
  });

  it('stop removes the table', async () => {
    assert.equal(table().code, 0);
    await proxier.stop({ removeTable: true });
    assert.notEqual(table().code, 0, 'the table is gone');
    assert.match(table().err, /No such file or directory/);
  });
});
