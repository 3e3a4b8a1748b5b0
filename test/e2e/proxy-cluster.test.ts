// kube-proxy in a real single-node cluster: `k8ts server` with its node (containerd, CNI bridge, kubelet
// and the proxy in the node process), driven by real kubectl. A Deployment of busybox httpd pods behind a
// NodePort Service answers HTTP from another pod by ClusterIP (both replicas seen), from the host by
// ClusterIP and on the NodePort (at the bridge's address: traffic stays on this machine), a pod reaches
// itself through a Service (hairpin), scaling up adds the new pod to the rotation, deleting the Service
// removes its rules, and stopping the server removes the proxy's table. The cluster uses a service range
// of its own so that its cluster IPs cannot collide with another test cluster's on this host.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { proxyTableFor } from '../../src/proxy/index.js';
import { type Cluster, startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { cleanupNodeDataDir } from '../helpers/node-cleanup.js';
import { pickTestPodCidr, runtimeSkipReason, testBridgeName } from '../helpers/node-runtime.js';

type Obj = Record<string, any>;

const skip = runtimeSkipReason() ?? (spawnSync('nft', ['--version']).status === 0 ? null : 'nft is missing');
if (skip) console.log(`# skipping kube-proxy cluster e2e: ${skip}`);

/** A GET from this process: the body, or undefined with the error. */
function httpGet(url: string): Promise<{ body?: string; err?: string }> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 3000 }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve({ body: b.trim() }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ err: e.code ?? e.message }));
  });
}

describe('kube-proxy e2e: k8ts server with its node', { skip: skip ?? false, timeout: 300_000 }, () => {
  let cluster: Cluster | undefined;
  let dataDir = '';
  const bridge = testBridgeName();
  const table = proxyTableFor(bridge);
  const cgroupRoot = `/k8ts-e2e-proxy-${process.pid}`;
  const nodeName = `e2e-proxy-${process.pid}`;
  const podCidr = pickTestPodCidr(0);
  const bridgeIP = podCidr.replace(/\.0\/24$/, '.1');
  const serviceCidr = `10.43.${200 + (process.pid % 50)}.0/24`;
  let clusterIP = '';
  let nodePort = 0;

  const kubectl = async (a: string[], input?: string) => {
    const r = await cluster!.kubectl('1.33', a, { input });
    assert.equal(r.code, 0, `kubectl ${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (a: string[]): Promise<Obj> => JSON.parse(await kubectl([...a, '-o', 'json']));
  const nftTable = () => spawnSync('nft', ['list', 'table', 'ip', table], { encoding: 'utf8' });
  const runningPods = async (selector: string, n: number) => {
    const pods: Obj[] = (await getJson(['get', 'pods', '-l', selector])).items;
    const ready = pods.filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        p.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True'),
    );
    return ready.length === n ? ready : undefined;
  };
  /**
   * Waits until the proxy has programmed a cluster IP: before that, a packet to it would follow the
   * default route off this machine, so no request is sent earlier.
   */
  const programmed = (ip: string) =>
    eventually(
      `${ip} in the proxy's table`,
      async () => (nftTable().stdout.includes(`${ip} . tcp . 80 : goto service-`) ? true : undefined),
      { timeoutMs: 15_000 },
    );
  /**
   * An HTTP GET from inside a pod: the body's last line (httpd serves the pod's hostname), or undefined.
   * busybox nc rather than wget: the static busybox's wget crashes on this host's images (glibc NSS).
   */
  const getFrom = async (pod: string, url: string) => {
    const { hostname, port, pathname } = new URL(url);
    const request = `printf 'GET ${pathname} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${hostname} ${port || 80}`;
    const r = await cluster!.kubectl('1.33', ['exec', pod, '--', 'sh', '-c', request]);
    if (r.code !== 0 || !/^HTTP\/1\.[01] 200/.test(r.stdout)) return undefined;
    return r.stdout.trim().split('\n').at(-1)?.trim();
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'k8ts-proxy-e2e-'));
    cluster = await startCluster({
      agent: true,
      dataDir,
      args: [
        '--cluster-cidr',
        podCidr,
        '--service-cidr',
        serviceCidr,
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
    await eventually(
      'the node to be Ready',
      async () => {
        const r = await cluster!.kubectl('1.33', ['get', 'node', nodeName, '-o', 'json']);
        if (r.code !== 0) return undefined;
        const node = JSON.parse(r.stdout);
        return node.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True')
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
  });

  after(async () => {
    if (cluster) await cluster.stop();
    if (dataDir) {
      await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Only if the server died without its clean stop (the test below checks that the stop removed it).
    spawnSync('nft', ['delete', 'table', 'ip', table]);
  });

  it('a Deployment behind a NodePort Service answers another pod by ClusterIP, both replicas in rotation', async () => {
    await kubectl([
      'create',
      'deployment',
      'web',
      '--image=k8ts.local/busybox:latest',
      '--replicas=2',
      '--',
      'sh',
      '-c',
      'hostname > /tmp/index.html && exec httpd -f -p 8080 -h /tmp',
    ]);
    await kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=8080', '--type=NodePort']);
    await kubectl(['run', 'client', '--image=k8ts.local/busybox:latest', '--', 'sleep', '3600']);
    const web = await eventually('2 web pods ready', () => runningPods('app=web', 2), { timeoutMs: 90_000 });
    await eventually('the client pod ready', () => runningPods('run=client', 1), { timeoutMs: 60_000 });
    const svc = await getJson(['get', 'service', 'web']);
    clusterIP = svc.spec.clusterIP;
    nodePort = svc.spec.ports[0].nodePort;
    assert.ok(clusterIP.startsWith(serviceCidr.split('.').slice(0, 3).join('.')));
    await programmed(clusterIP);
    const names = new Set(web.map((p) => p.metadata.name));
    const seen = new Set<string>();
    await eventually(
      'GET ClusterIP from the client pod reaching both replicas',
      async () => {
        const body = await getFrom('client', `http://${clusterIP}/`);
        if (body) {
          assert.ok(names.has(body), `answered by ${body}`);
          seen.add(body);
        }
        return seen.size === 2 ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  });

  it('the host reaches the ClusterIP and the NodePort', async () => {
    const viaClusterIP = await httpGet(`http://${clusterIP}/`);
    assert.match(viaClusterIP.body ?? '', /^web-/, `ClusterIP from the host: ${viaClusterIP.err}`);
    const viaNodePort = await httpGet(`http://${bridgeIP}:${nodePort}/`);
    assert.match(viaNodePort.body ?? '', /^web-/, `NodePort from the host: ${viaNodePort.err}`);
  });

  it('a pod reaches itself through a Service (hairpin)', async () => {
    const pod = (await runningPods('app=web', 2))![0].metadata.name;
    await kubectl(['label', 'pod', pod, 'solo=yes']);
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'solo', namespace: 'default' },
        spec: { selector: { solo: 'yes' }, ports: [{ port: 80, targetPort: 8080 }] },
      }),
    );
    const ip = (await getJson(['get', 'service', 'solo'])).spec.clusterIP;
    await programmed(ip);
    const body = await eventually('the pod reaching itself', () => getFrom(pod, `http://${ip}/`), {
      timeoutMs: 20_000,
    });
    assert.equal(body, pod);
  });

  it('scaling up adds the new pod to the rotation', async () => {
    const before = new Set((await runningPods('app=web', 2))!.map((p) => p.metadata.name));
    await kubectl(['scale', 'deployment', 'web', '--replicas=3']);
    const three = await eventually('3 web pods ready', () => runningPods('app=web', 3), {
      timeoutMs: 60_000,
    });
    const added = three.map((p) => p.metadata.name).find((n) => !before.has(n))!;
    await eventually(
      'the new pod answering through the Service',
      async () => ((await getFrom('client', `http://${clusterIP}/`)) === added ? true : undefined),
      { timeoutMs: 30_000 },
    );
  });

  it('deleting the Service removes its rules', async () => {
    assert.match(nftTable().stdout, new RegExp(`${clusterIP.replaceAll('.', '\\.')} \\. tcp \\. 80`));
    await kubectl(['delete', 'service', 'web']);
    await eventually(
      'the Service gone from the table',
      async () => (/default\/web\/tcp\//.test(nftTable().stdout) ? undefined : true),
      { timeoutMs: 15_000 },
    );
    assert.doesNotMatch(nftTable().stdout, new RegExp(`${clusterIP.replaceAll('.', '\\.')} `));
    // (No request to the deleted cluster IP: with no rule it would leave this machine.)
  });

  it('stopping the server removes the table', async () => {
    assert.equal(nftTable().status, 0);
    await cluster!.stop();
    cluster = undefined;
    assert.notEqual(nftTable().status, 0, 'the table is gone');
  });
});
