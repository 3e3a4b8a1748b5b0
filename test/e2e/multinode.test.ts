// Two real nodes on one machine (test/helpers/multinode.ts: a network namespace per node on a test
// bridge, each running `k8ts agent` with its own containerd) driven by real kubectl 1.27 and 1.33:
// - a pod on one node reaches a busybox httpd pod on the other by pod IP, over host-gw routes, and the
//   server sees the caller's own pod IP (no masquerade between pods); traffic leaving the pod network
//   (to the API server) is masqueraded;
// - node failure (issue 8): SIGKILL of one agent (its containers keep running) turns its Ready condition
//   Unknown after the grace period, taints it unreachable, evicts its pods after their tolerationSeconds,
//   and the Deployment's replacements run on the other node; the restarted agent makes the node Ready
//   again and the taints go;
// - a Service (issue 9): a busybox httpd Deployment on one node answers a pod on the other by DNS name and
//   by ClusterIP, its NodePort answers on each node's address, scaling publishes new pods within a second
//   of their readiness, a pod failing readiness leaves the rotation, and deleting the Service removes its
//   rules from every node;
// - `kubectl drain` moves a node's pods away and cordons it, `uncordon` undoes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cgroupPids } from '../../src/kubelet/cgroups.js';
import type { KubectlVersion } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { type MultiNode, multiNodeSkipReason, startMultiNode } from '../helpers/multinode.js';

const skip = multiNodeSkipReason();
if (skip) console.log(`# skipping multi-node e2e: ${skip}`);

type Obj = Record<string, any>;

const GRACE_S = 16; // above the kubelet's 10 s lease renewal, as upstream's 40 s is above its 10 s
const TOLERATION_S = 5;
const IMAGE = 'k8ts.local/busybox:latest';

describe('multi-node e2e: two nodes in network namespaces', { skip: skip ?? false, timeout: 300_000 }, () => {
  let mn: MultiNode;
  before(async () => {
    const t0 = Date.now();
    mn = await startMultiNode({
      nodes: 2,
      serverArgs: ['--node-monitor-grace-period', String(GRACE_S), '--node-monitor-period', '1'],
    });
    console.log(`# server and 2 nodes Ready in ${Date.now() - t0} ms`);
  });
  after(async () => {
    await mn?.stop();
  });

  const ok = async (v: KubectlVersion, args: string[], input?: string) => {
    const r = await mn.kubectl(v, args, { input, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `kubectl ${v} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const pods = async (selector: string): Promise<Obj[]> => {
    const r = await mn.api(
      'GET',
      `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`,
    );
    return r.body.items;
  };
  const ready = (p: Obj) => p.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True');
  const getNode = async (name: string): Promise<Obj> => (await mn.api('GET', `/api/v1/nodes/${name}`)).body;
  const readyStatus = (n: Obj) => n.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status;

  it('a pod reaches a pod on the other node by pod IP, unNATed', async () => {
    const pod = (name: string, node: string, command: string[]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { test: 'xnode' } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': node },
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: IMAGE, command }],
      },
    });
    const web = pod('web', 'mn-2', [
      'sh',
      '-c',
      'mkdir -p /www && echo hello-from-mn-2 > /www/index.html && exec httpd -f -vv -p 8080 -h /www',
    ]);
    const client = pod('client', 'mn-1', ['sleep', '3600']);
    await ok(
      '1.33',
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [web, client] }),
    );
    try {
      const [webPod, clientPod] = await eventually(
        'web and client running',
        async () => {
          const all = await pods('test=xnode');
          const w = all.find((p) => p.metadata.name === 'web');
          const c = all.find((p) => p.metadata.name === 'client');
          return w && c && ready(w) && ready(c) && w.status.podIP && c.status.podIP ? [w, c] : undefined;
        },
        { timeoutMs: 60_000 },
      );
      assert.equal(webPod.spec.nodeName, 'mn-2');
      assert.equal(clientPod.spec.nodeName, 'mn-1');
      const mn2 = await getNode('mn-2');
      // mn-1 routes mn-2's podCIDR via mn-2's address.
      const routes = await mn.node('mn-1').exec('ip', ['route', 'show', mn2.spec.podCIDR]);
      assert.match(routes.stdout, new RegExp(`via ${mn.node('mn-2').ip.replaceAll('.', '\\.')} `));

      const body = await eventually(
        'wget across nodes',
        async () => {
          const r = await mn.kubectl('1.33', [
            'exec',
            'client',
            '--',
            'wget', // (the static busybox's wget crashes with -T)
            '-qO-',
            `http://${webPod.status.podIP}:8080/`,
          ]);
          return r.code === 0 ? r.stdout : undefined;
        },
        { timeoutMs: 20_000 },
      );
      assert.equal(body.trim(), 'hello-from-mn-2');
      // httpd -vv logs each caller's address: the client pod's own IP, not its node's.
      const logs = await ok('1.27', ['logs', 'web']);
      assert.match(
        logs,
        new RegExp(`${clientPod.status.podIP.replaceAll('.', '\\.')}\\]?:\\d+: url:/`),
        logs,
      );
      assert.doesNotMatch(logs, new RegExp(mn.node('mn-1').ip.replaceAll('.', '\\.')));
      // Leaving the pod network (to the API server on the test bridge, which has no route to pods) the
      // pod's traffic is masqueraded to its node's address.
      const healthz = await ok('1.33', ['exec', 'client', '--', 'wget', '-qO-', `${mn.url}/healthz`]);
      assert.equal(healthz.trim(), 'ok');
    } finally {
      // The drain below refuses bare pods: these must be gone whatever happened here.
      await mn.kubectl('1.33', ['delete', 'pod', 'web', 'client', '--wait=true']);
    }
  });

  it('a Service across nodes: DNS name and ClusterIP from the other node, NodePort on each node, scaling, readiness, deletion', async () => {
    const labels = { app: 'svcweb' };
    const web = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'svcweb' },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            // The server pods live on mn-2, the client on mn-1: every request crosses nodes.
            nodeSelector: { 'kubernetes.io/hostname': 'mn-2' },
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'httpd',
                image: IMAGE,
                command: [
                  'sh',
                  '-c',
                  'mkdir -p /www && hostname > /www/index.html && touch /www/ready && exec httpd -f -p 8080 -h /www',
                ],
                readinessProbe: {
                  httpGet: { path: '/ready', port: 8080 },
                  periodSeconds: 1,
                  failureThreshold: 1,
                },
              },
            ],
          },
        },
      },
    };
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svcweb' },
      spec: { type: 'NodePort', selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    };
    const client = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'svcclient', labels: { test: 'svcclient' } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': 'mn-1' },
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: IMAGE, command: ['sleep', '3600'] }],
      },
    };
    const readyAddresses = async (): Promise<string[]> => {
      const r = await mn.api(
        'GET',
        '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dsvcweb',
      );
      return r.body.items.flatMap((s: Obj) =>
        (s.endpoints ?? []).filter((e: Obj) => e.conditions?.ready).flatMap((e: Obj) => e.addresses),
      );
    };
    /** GET / through the client pod (on mn-1): the answering pod's name, or undefined on failure. */
    const fromClient = async (host: string): Promise<string | undefined> => {
      const r = await mn.kubectl('1.33', ['exec', 'svcclient', '--', 'wget', '-qO-', `http://${host}/`]);
      return r.code === 0 ? r.stdout.trim() : undefined;
    };
    await ok(
      '1.33',
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [web, service, client] }),
    );
    try {
      const webPod = await eventually(
        'the web pod ready and published, the client running',
        async () => {
          const [w] = (await pods('app=svcweb')).filter(ready);
          const [c] = (await pods('test=svcclient')).filter(ready);
          return w && c && (await readyAddresses()).includes(w.status.podIP) ? w : undefined;
        },
        { timeoutMs: 60_000 },
      );
      assert.equal(webPod.spec.nodeName, 'mn-2');
      const svc = (await mn.api('GET', '/api/v1/namespaces/default/services/svcweb')).body;
      const clusterIP: string = svc.spec.clusterIP;
      const nodePort: number = svc.spec.ports[0].nodePort;

      // By name through the node-local cluster DNS, short and fully qualified, and by ClusterIP.
      for (const host of ['svcweb', 'svcweb.default.svc.cluster.local', clusterIP]) {
        const who = await eventually(`GET http://${host}/ from mn-1`, () => fromClient(host), {
          timeoutMs: 20_000,
        });
        assert.equal(who, webPod.metadata.name, host);
      }
      // The NodePort answers on each node's address (from the test bridge, outside the cluster).
      for (const node of mn.nodes) {
        const body = await eventually(
          `NodePort on ${node.name}`,
          async () => {
            try {
              const res = await fetch(`http://${node.ip}:${nodePort}/`, {
                signal: AbortSignal.timeout(3000),
              });
              return res.ok ? (await res.text()).trim() : undefined;
            } catch {
              return undefined;
            }
          },
          { timeoutMs: 20_000 },
        );
        assert.equal(body, webPod.metadata.name, node.name);
      }

      // Scaling: each new pod is published within a second of being seen Ready.
      await ok('1.27', ['scale', 'deployment/svcweb', '--replicas=3']);
      const seenReady = new Map<string, number>();
      const lags: number[] = [];
      await eventually(
        'three pods ready and published',
        async () => {
          const now = Date.now();
          const live = (await pods('app=svcweb')).filter((p) => ready(p) && !p.metadata.deletionTimestamp);
          for (const p of live) if (!seenReady.has(p.status.podIP)) seenReady.set(p.status.podIP, now);
          const published = new Set(await readyAddresses());
          for (const [ip, at] of seenReady) {
            if (published.has(ip)) {
              if (at >= 0) lags.push(Date.now() - at);
              seenReady.set(ip, -1);
            } else assert.ok(Date.now() - at < 1000, `pod ${ip} Ready for over a second but not published`);
          }
          return live.length === 3 && published.size === 3 ? true : undefined;
        },
        { timeoutMs: 60_000 },
      );
      console.log(`# endpoint publish lag after Ready (as polled): max ${Math.max(...lags)} ms`);

      // Readiness: a pod whose probe fails leaves the rotation.
      const [out, ...stay] = (await pods('app=svcweb')).filter(ready);
      await ok('1.33', ['exec', out.metadata.name, '--', 'rm', '/www/ready']);
      await eventually(
        'the unready pod unpublished',
        async () => ((await readyAddresses()).includes(out.status.podIP) ? undefined : true),
        { timeoutMs: 15_000 },
      );
      const answered = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const who = await eventually('an answer', () => fromClient(clusterIP), { timeoutMs: 10_000 });
        answered.add(who);
      }
      assert.ok(!answered.has(out.metadata.name), `${out.metadata.name} still answers: ${[...answered]}`);
      assert.ok(
        [...answered].every((n) => stay.some((p) => p.metadata.name === n)),
        [...answered].join(),
      );

      // Deleting the Service removes its rules from every node; the ClusterIP stops answering.
      await ok('1.33', ['delete', 'service', 'svcweb']);
      for (const node of mn.nodes) {
        await eventually(
          `rules for ${clusterIP} gone on ${node.name}`,
          async () => {
            const r = await node.exec('nft', ['list', 'table', 'ip', 'k8ts-proxy']);
            assert.equal(r.code, 0, r.stderr);
            return r.stdout.includes(clusterIP) || r.stdout.includes(`${nodePort}`) ? undefined : true;
          },
          { timeoutMs: 10_000 },
        );
      }
      assert.equal(await fromClient(clusterIP), undefined);
    } finally {
      await mn.kubectl('1.33', [
        'delete',
        'deployment/svcweb',
        'pod/svcclient',
        '--ignore-not-found',
        '--wait=true',
      ]);
      await mn.kubectl('1.33', ['delete', 'service', 'svcweb', '--ignore-not-found']);
    }
  });

  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          // One per node to start with, so that each node has a pod to lose.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: { app: 'app' } },
            },
          ],
          tolerations: ['not-ready', 'unreachable'].map((k) => ({
            key: `node.kubernetes.io/${k}`,
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: TOLERATION_S,
          })),
          containers: [{ name: 'main', image: IMAGE, command: ['sleep', '3600'] }],
        },
      },
    },
  };
  /** The Deployment's live (not terminating), Ready pods. */
  const liveApp = async () =>
    (await pods('app=app')).filter((p) => !p.metadata.deletionTimestamp && ready(p));

  it('a failed node turns Unknown, is tainted, its pods move; back, it is Ready and untainted', async () => {
    await ok('1.27', ['apply', '-f', '-'], JSON.stringify(deployment));
    const placed = await eventually(
      'one app pod Ready per node',
      async () => {
        const live = await liveApp();
        const nodes = new Set(live.map((p) => p.spec.nodeName));
        return live.length === 2 && nodes.size === 2 ? live : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const victim = mn.node('mn-1');
    const lost = placed.find((p) => p.spec.nodeName === victim.name)!;

    const killedAt = Date.now();
    await victim.kill();
    // As on a real node failure, only the agent is gone: the pods' processes still run in its cgroups.
    assert.ok(cgroupPids(victim.cgroupRoot).length > 0, 'the lost node has no running containers');
    await eventually(
      'mn-1 Ready=Unknown',
      async () => (readyStatus(await getNode(victim.name)) === 'Unknown' ? true : undefined),
      { timeoutMs: (GRACE_S + 15) * 1000 },
    );
    const unknownAfterMs = Date.now() - killedAt;
    // Not before the grace period: the last heartbeat (Lease renewal or status update) is that old.
    const lease = (
      await mn.api('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${victim.name}`)
    ).body;
    const down = await getNode(victim.name);
    const readyCond = down.status.conditions.find((c: Obj) => c.type === 'Ready');
    const lastBeat = Math.max(Date.parse(lease.spec.renewTime), Date.parse(readyCond.lastHeartbeatTime));
    const silentS = (Date.parse(readyCond.lastTransitionTime) - lastBeat) / 1000;
    assert.ok(silentS >= GRACE_S - 1, `Unknown after ${silentS} s without a heartbeat`);
    const taint = await eventually(
      'the unreachable NoExecute taint',
      async () =>
        ((await getNode(victim.name)).spec.taints ?? []).find(
          (t: Obj) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute',
        ),
      { timeoutMs: 15_000 },
    );
    const tainted = await getNode(victim.name);
    assert.ok(
      tainted.spec.taints.some(
        (t: Obj) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoSchedule',
      ),
      JSON.stringify(tainted.spec.taints),
    );
    // Evicted after its toleration, not before; the agent is down, so the pod stays Terminating.
    const evicted = await eventually(
      'the lost pod evicted',
      async () =>
        (await pods('app=app')).find(
          (p) => p.metadata.uid === lost.metadata.uid && p.metadata.deletionTimestamp,
        ),
      { timeoutMs: (TOLERATION_S + 15) * 1000 },
    );
    const waitedS = (Date.parse(evicted.metadata.deletionTimestamp) - Date.parse(taint.timeAdded)) / 1000;
    assert.ok(waitedS >= TOLERATION_S - 1, `evicted ${waitedS} s after the taint`);
    await eventually(
      'two Ready app pods on mn-2',
      async () => {
        const live = await liveApp();
        return live.length === 2 && live.every((p) => p.spec.nodeName === 'mn-2') ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    console.log(
      `# node Unknown ${unknownAfterMs} ms after SIGKILL (${silentS} s after its last heartbeat); pod evicted ${waitedS} s after the taint`,
    );

    // The node comes back: Ready, the taints go, and its kubelet finishes the evicted pod's deletion.
    await victim.start();
    await mn.waitReady([victim.name]);
    await eventually(
      'mn-1 untainted',
      async () => {
        const taints: Obj[] = (await getNode(victim.name)).spec.taints ?? [];
        return taints.some((t) => t.key.startsWith('node.kubernetes.io/')) ? undefined : true;
      },
      { timeoutMs: 20_000 },
    );
    await eventually(
      'the evicted pod gone',
      async () =>
        (await pods('app=app')).some((p) => p.metadata.uid === lost.metadata.uid) ? undefined : true,
      { timeoutMs: 30_000 },
    );
  });

  it('kubectl drain empties a node and cordons it; uncordon undoes it', async () => {
    const from = (await liveApp())[0]?.spec.nodeName ?? 'mn-2';
    const to = from === 'mn-1' ? 'mn-2' : 'mn-1';
    const out = await ok('1.33', [
      'drain',
      from,
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      '--timeout=90s',
    ]);
    assert.match(out, new RegExp(`node/${from} (cordoned|drained)`));
    assert.equal((await getNode(from)).spec.unschedulable, true);
    await eventually(
      `two Ready app pods on ${to}`,
      async () => {
        const live = await liveApp();
        return live.length === 2 && live.every((p) => p.spec.nodeName === to) ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal((await pods('app=app')).filter((p) => p.spec.nodeName === from).length, 0);
    const nodes = await ok('1.27', ['get', 'nodes']);
    assert.match(nodes, new RegExp(`${from}\\s+Ready,SchedulingDisabled`));

    await ok('1.27', ['uncordon', from]);
    const n = await getNode(from);
    assert.ok(!n.spec.unschedulable, JSON.stringify(n.spec));
    // The node lifecycle controller follows spec.unschedulable with its NoSchedule taint.
    await eventually('the unschedulable taint gone', async () =>
      ((await getNode(from)).spec.taints ?? []).some((t: Obj) => t.key === 'node.kubernetes.io/unschedulable')
        ? undefined
        : true,
    );
    await ok('1.33', ['delete', 'deployment', 'app']);
  });
});
