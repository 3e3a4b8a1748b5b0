// Cluster DNS end to end: a real `k8ts server` with its node, whose agent serves DNS on the pod bridge's
// gateway address. Busybox pods get the cluster nameserver and search path in /etc/resolv.conf, resolve a
// ClusterIP Service and a headless Service (to the pod IPs) with nslookup, and reach busybox httpd pods by
// `hostname.subdomain` and by the headless Service name with wget (pod IPs: no kube-proxy needed).
// SRV for a named port; a deleted Service turns NXDOMAIN. (busybox-static's `wget -T` crashes, so `timeout`
// bounds it.) Teardown stops the server by pid and removes pods, shims, mounts, the bridge, the cgroups
// and the data dir.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Cluster, startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { cleanupNodeDataDir } from '../helpers/node-cleanup.js';
import { mountsUnder, pickTestPodCidr, runtimeSkipReason, testBridgeName } from '../helpers/node-runtime.js';

const skip = runtimeSkipReason();
if (skip) console.log(`# skipping DNS e2e: ${skip}`);

type Obj = Record<string, any>;
const NS = 'dns-e2e';
const IMAGE = 'k8ts.local/busybox:latest';

const httpd = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels: { app: 'web' } },
  spec: {
    hostname: name,
    subdomain: 'web-h',
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'httpd',
        image: IMAGE,
        command: ['sh', '-c', `echo hello from ${name} > /tmp/index.html && exec httpd -f -p 8080 -h /tmp`],
        ports: [{ name: 'http', containerPort: 8080 }],
      },
    ],
  },
});

const manifests = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: NS },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web-h', namespace: NS },
      spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 8080 }] },
    },
    httpd('web-0'),
    httpd('web-1'),
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: NS },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'sh', image: IMAGE, command: ['sleep', '3600'] }],
      },
    },
  ],
};

describe('cluster DNS e2e: k8ts server with its node', { skip: skip ?? false, timeout: 300_000 }, () => {
  let cluster: Cluster | undefined;
  let dataDir = '';
  let gateway = '';
  const bridge = testBridgeName();
  const cgroupRoot = `/k8ts-dns-e2e-${process.pid}`;
  const nodeName = `dns-e2e-node-${process.pid}`;

  const kubectl = async (a: string[], input?: string) => {
    const r = await cluster!.kubectl('1.33', a, { input, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `kubectl ${a.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const exec = (pod: string, cmd: string) =>
    cluster!.kubectl('1.33', ['exec', '-n', NS, pod, '--', 'sh', '-c', cmd]);
  const podIPs = new Map<string, string>();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'k8ts-dns-e2e-'));
    cluster = await startCluster({
      agent: true,
      dataDir,
      args: [
        '--cluster-cidr',
        pickTestPodCidr(2),
        '--cni-bridge',
        bridge,
        '--cgroup-root',
        cgroupRoot,
        '--kubelet-port',
        '0',
        '--node-name',
        nodeName,
      ],
    });
    gateway = await eventually(
      'the node DNS server to listen',
      async () => /cluster DNS for cluster\.local listening on ([\d.]+):53/.exec(cluster!.output())?.[1],
      { timeoutMs: 60_000 },
    );
    await kubectl(['apply', '-f', '-'], JSON.stringify(manifests));
    await eventually(
      'the pods to run',
      async () => {
        const pods = JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-o', 'json'])).items as Obj[];
        const ready = (p: Obj) =>
          p.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True') && p.status.podIP;
        if (pods.length !== 3 || !pods.every(ready)) return undefined;
        for (const p of pods) podIPs.set(p.metadata.name, p.status.podIP);
        return true;
      },
      { timeoutMs: 120_000 },
    );
  });

  after(async () => {
    if (cluster) {
      const pid = cluster.pid;
      await cluster.stop();
      assert.throws(() => process.kill(pid, 0), 'k8ts server still running');
    }
    if (!dataDir) return;
    await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
    assert.deepEqual(mountsUnder(dataDir), []);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives pods the cluster nameserver, the namespace search path and ndots:5', async () => {
    const r = await exec('client', 'cat /etc/resolv.conf');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^nameserver ${gateway.replaceAll('.', '\\.')}$`, 'm'));
    assert.doesNotMatch(r.stdout, /^nameserver (?!\S+$)/m);
    assert.equal(r.stdout.match(/^nameserver /gm)?.length, 1);
    assert.match(
      r.stdout,
      new RegExp(`^search ${NS}\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local\\b`, 'm'),
    );
    assert.match(r.stdout, /^options ndots:5$/m);
    // The gateway is the first address of the node's podCIDR.
    const node = JSON.parse(await kubectl(['get', 'node', nodeName, '-o', 'json']));
    assert.equal(gateway, node.spec.podCIDR.replace(/\.0\/24$/, '.1'));
  });

  it('resolves a ClusterIP Service by short name and by full name', async () => {
    const clusterIP = (
      await kubectl(['get', 'svc', '-n', NS, 'web', '-o', 'jsonpath={.spec.clusterIP}'])
    ).trim();
    assert.match(clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
    const ip = clusterIP.replaceAll('.', '\\.');
    // busybox nslookup asks every search-path candidate and exits 1 when any of them is NXDOMAIN, so the
    // short name is judged by what it found: the first candidate, <name>.<ns>.svc.cluster.local.
    const short = await exec('client', 'nslookup -type=a web');
    assert.match(
      short.stdout,
      new RegExp(`Name:\\s+web\\.${NS}\\.svc\\.cluster\\.local\\nAddress:? ${ip}\\b`),
      short.stdout,
    );
    const full = await exec('client', `nslookup -type=a web.${NS}.svc.cluster.local`);
    assert.equal(full.code, 0, `nslookup: ${full.stdout}${full.stderr}`);
    assert.match(full.stdout, new RegExp(`Address:? ${ip}\\b`), full.stdout);
    const missing = await exec('client', `nslookup -type=a nope.${NS}.svc.cluster.local.`);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stdout + missing.stderr, /NXDOMAIN/);
  });

  it('resolves a headless Service to the pod IPs and pod hostnames to their own IP', async () => {
    const r = await exec('client', `nslookup -type=a web-h.${NS}.svc.cluster.local`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const found = [...r.stdout.matchAll(/Address:? (\d+\.\d+\.\d+\.\d+)$/gm)]
      .map((m) => m[1])
      .filter((ip) => ip !== gateway);
    assert.deepEqual(found.sort(), [podIPs.get('web-0'), podIPs.get('web-1')].sort());
    const one = await exec('client', `nslookup -type=a web-1.web-h.${NS}.svc.cluster.local`);
    assert.match(one.stdout, new RegExp(`Address:? ${podIPs.get('web-1')!.replaceAll('.', '\\.')}$`, 'm'));
  });

  it('answers SRV for a named port of the headless Service with each pod', async () => {
    const r = await exec('client', `nslookup -type=srv _http._tcp.web-h.${NS}.svc.cluster.local`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const pod of ['web-0', 'web-1'])
      assert.match(
        r.stdout,
        new RegExp(`0 50 8080 ${pod}\\.web-h\\.${NS}\\.svc\\.cluster\\.local`),
        r.stdout,
      );
  });

  it('reaches httpd pods by hostname.subdomain and by the headless Service name', async () => {
    const byHost = await exec('client', 'timeout 10 wget -q -O- http://web-0.web-h:8080/');
    assert.equal(byHost.code, 0, byHost.stderr);
    assert.equal(byHost.stdout.trim(), 'hello from web-0');
    const full = await exec(
      'client',
      `timeout 10 wget -q -O- http://web-1.web-h.${NS}.svc.cluster.local:8080/`,
    );
    assert.equal(full.stdout.trim(), 'hello from web-1');
    const bySvc = await exec('client', 'timeout 10 wget -q -O- http://web-h:8080/');
    assert.equal(bySvc.code, 0, bySvc.stderr);
    assert.match(bySvc.stdout.trim(), /^hello from web-[01]$/);
  });

  it('stops answering a deleted Service', async () => {
    await kubectl(['delete', 'svc', '-n', NS, 'web']);
    await eventually(
      'NXDOMAIN for the deleted Service',
      async () => {
        const r = await exec('client', `nslookup -type=a web.${NS}.svc.cluster.local.`);
        return /NXDOMAIN/.test(r.stdout + r.stderr) ? true : undefined;
      },
      { timeoutMs: 15_000 },
    );
  });
});
