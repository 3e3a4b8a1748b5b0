// Node maintenance and service-account tokens with real kubectl 1.27 and 1.33 against one real
// `k8ts server --disable-agent`: fake Nodes, and the test playing the kubelet (it marks bound pods Ready and
// finishes graceful deletions). cordon, drain blocked then allowed by a PodDisruptionBudget, uncordon;
// `kubectl create token` and TokenReview.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cluster, KUBECTL_VERSIONS, type KubectlVersion, startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

type Obj = Record<string, any>;

let cluster: Cluster;
let kubelet: NodeJS.Timeout | undefined;
const managedNamespaces = new Set<string>();

async function api(
  method: string,
  path: string,
  body?: unknown,
  type = 'application/json',
): Promise<{ status: number; body: any }> {
  const res = await fetch(cluster.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': type },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The test's stand-in kubelet: bound pods become Running and Ready; deletions it would finish, it finishes. */
async function kubeletPass(): Promise<void> {
  for (const ns of managedNamespaces) {
    const { body } = await api('GET', `/api/v1/namespaces/${ns}/pods`);
    for (const p of body?.items ?? []) {
      if (!p.spec.nodeName) continue;
      if (p.metadata.deletionTimestamp) {
        await api('DELETE', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`, { gracePeriodSeconds: 0 });
        continue;
      }
      if (p.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True')) continue;
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      p.status = {
        ...p.status,
        phase: 'Running',
        conditions: [
          ...(p.status?.conditions ?? []).filter((c: Obj) => c.type !== 'Ready'),
          { type: 'Ready', status: 'True', lastTransitionTime: now },
        ],
      };
      await api('PUT', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}/status`, p);
    }
  }
}

before(async () => {
  // Fake nodes post no heartbeats: a long grace period keeps them Ready for the test's duration.
  cluster = await startCluster({ args: ['--node-monitor-grace-period', '3600'] });
  let busy = false;
  kubelet = setInterval(() => {
    if (busy) return;
    busy = true;
    kubeletPass()
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  }, 200);
});
after(async () => {
  if (kubelet) clearInterval(kubelet);
  await cluster?.stop();
});

async function ok(v: KubectlVersion, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(v, args, { input, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `kubectl ${v} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function createNode(name: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const r = await api('POST', '/api/v1/nodes', {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

const podsOn = async (ns: string, node: string, label = 'app=web') =>
  (
    await api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(label)}`)
  ).body.items.filter((p: Obj) => p.spec.nodeName === node && !p.metadata.deletionTimestamp);

for (const v of KUBECTL_VERSIONS) {
  const tag = v.replace('.', '-');
  const ns = `drain-${tag}`;
  const nodeA = `node-a-${tag}`;
  const nodeB = `node-b-${tag}`;

  describe(`kubectl ${v}: cordon, drain, uncordon`, () => {
    before(async () => {
      await ok(v, ['create', 'namespace', ns]);
      managedNamespaces.add(ns);
    });
    after(async () => {
      await cluster.kubectl(v, ['delete', 'namespace', ns, '--wait=false']);
      await cluster.kubectl(v, ['delete', 'node', nodeA, nodeB]);
    });

    it('drains a node: blocked by a PodDisruptionBudget, then allowed; daemon pods stay', async () => {
      await createNode(nodeA);
      await ok(v, ['-n', ns, 'apply', '-f', '-'], deploymentYaml());
      await eventually(
        '2 web pods on node A',
        async () => ((await podsOn(ns, nodeA)).length === 2 ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      await createNode(nodeB);
      // A DaemonSet-managed pod on A (no DaemonSet controller yet: the test makes the pod).
      const ds = await api('POST', `/apis/apps/v1/namespaces/${ns}/daemonsets`, daemonSet());
      assert.equal(ds.status, 201, JSON.stringify(ds.body));
      const dsPod = await api('POST', `/api/v1/namespaces/${ns}/pods`, {
        metadata: {
          name: 'agent-a',
          labels: { app: 'agent' },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'DaemonSet',
              name: 'agent',
              uid: ds.body.metadata.uid,
              controller: true,
            },
          ],
        },
        spec: { nodeName: nodeA, containers: [{ name: 'c', image: 'busybox' }] },
      });
      assert.equal(dsPod.status, 201, JSON.stringify(dsPod.body));
      await ok(v, [
        '-n',
        ns,
        'create',
        'poddisruptionbudget',
        'web',
        '--selector=app=web',
        '--min-available=2',
      ]);
      await eventually(
        'pdb allows none with 2 healthy',
        async () => {
          const p = (await api('GET', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/web`)).body;
          return p.status?.currentHealthy === 2 && p.status.disruptionsAllowed === 0 ? true : undefined;
        },
        { timeoutMs: 20_000 },
      );

      assert.equal(await ok(v, ['cordon', nodeA]), `node/${nodeA} cordoned\n`);
      await eventually('unschedulable taint', async () => {
        const n = (await api('GET', `/api/v1/nodes/${nodeA}`)).body;
        return n.spec.unschedulable &&
          n.spec.taints?.some(
            (t: Obj) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule',
          )
          ? true
          : undefined;
      });
      const status = await ok(v, ['get', 'node', nodeA, '--no-headers']);
      assert.match(status, /Ready,SchedulingDisabled/);

      const blocked = await cluster.kubectl(
        v,
        ['drain', nodeA, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=8s'],
        {
          timeoutMs: 60_000,
        },
      );
      assert.notEqual(blocked.code, 0, blocked.stdout);
      assert.match(
        blocked.stderr + blocked.stdout,
        /Cannot evict pod as it would violate the pod's disruption budget/,
        blocked.stderr + blocked.stdout,
      );
      assert.match(blocked.stderr + blocked.stdout, /ignoring DaemonSet-managed Pods: .*agent-a/);
      assert.equal((await podsOn(ns, nodeA)).length, 2, 'nothing evicted');

      await ok(v, ['-n', ns, 'patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":1}}']);
      await eventually(
        'pdb allows one',
        async () => {
          const p = (await api('GET', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/web`)).body;
          return p.status?.observedGeneration === 2 && p.status.disruptionsAllowed === 1 ? true : undefined;
        },
        { timeoutMs: 20_000 },
      );
      const drained = await ok(v, [
        'drain',
        nodeA,
        '--ignore-daemonsets',
        '--delete-emptydir-data',
        '--timeout=120s',
      ]);
      assert.match(drained, new RegExp(`node/${nodeA} drained`));
      assert.match(drained, /evicted/);
      assert.equal((await podsOn(ns, nodeA)).length, 0);
      await eventually(
        '2 web pods on node B',
        async () => ((await podsOn(ns, nodeB)).length === 2 ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      assert.equal((await podsOn(ns, nodeA, 'app=agent')).length, 1, 'the DaemonSet pod stays');

      assert.equal(await ok(v, ['uncordon', nodeA]), `node/${nodeA} uncordoned\n`);
      await eventually('no taints', async () => {
        const n = (await api('GET', `/api/v1/nodes/${nodeA}`)).body;
        return !n.spec.unschedulable && !n.spec.taints?.length ? true : undefined;
      });
    });
  });

  describe(`kubectl ${v}: create token`, () => {
    const tns = `token-${tag}`;
    before(async () => {
      await ok(v, ['create', 'namespace', tns]);
      await eventually('default service account', async () =>
        (await api('GET', `/api/v1/namespaces/${tns}/serviceaccounts/default`)).status === 200
          ? true
          : undefined,
      );
    });
    after(async () => {
      await cluster.kubectl(v, ['delete', 'namespace', tns, '--wait=false']);
    });

    const review = async (token: string, audiences?: string[]) =>
      JSON.parse(
        // Default validation: kubectl's fieldValidation probe lists CRDs for kinds without a PATCH operation.
        await ok(
          v,
          ['create', '-o', 'json', '-f', '-'],
          JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, ...(audiences ? { audiences } : {}) },
          }),
        ),
      );

    it('issues a token that TokenReview accepts', async () => {
      const token = (await ok(v, ['-n', tns, 'create', 'token', 'default'])).trim();
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      assert.equal(claims.sub, `system:serviceaccount:${tns}:default`);
      assert.equal(claims.exp - claims.iat, 3600);
      const r = await review(token);
      assert.equal(r.status.authenticated, true, JSON.stringify(r));
      assert.equal(r.status.user.username, `system:serviceaccount:${tns}:default`);
    });

    it('honours --audience, --duration and --bound-object-kind', async () => {
      await ok(v, ['-n', tns, 'create', 'secret', 'generic', 'anchor', '--from-literal=a=b']);
      const token = (
        await ok(v, [
          '-n',
          tns,
          'create',
          'token',
          'default',
          '--audience=vault',
          '--duration=20m',
          '--bound-object-kind=Secret',
          '--bound-object-name=anchor',
        ])
      ).trim();
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      assert.deepEqual(claims.aud, ['vault']);
      assert.equal(claims.exp - claims.iat, 1200);
      assert.equal(claims['kubernetes.io'].secret.name, 'anchor');
      assert.equal((await review(token, ['vault'])).status.authenticated, true);
      assert.equal((await review(token)).status.authenticated, undefined, 'wrong audience');
      await ok(v, ['-n', tns, 'delete', 'secret', 'anchor']);
      const gone = await review(token, ['vault']);
      assert.equal(gone.status.error, 'service account token has been invalidated');
    });

    it('refuses a too-short duration and an unknown account', async () => {
      const short = await cluster.kubectl(v, ['-n', tns, 'create', 'token', 'default', '--duration=1m']);
      assert.notEqual(short.code, 0);
      assert.match(short.stderr, /may not specify a duration less than 10 minutes/);
      const none = await cluster.kubectl(v, ['-n', tns, 'create', 'token', 'nobody']);
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /serviceaccounts "nobody" not found/);
    });
  });
}

function deploymentYaml(): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox
        volumeMounts: [{name: scratch, mountPath: /scratch}]
      volumes:
      - name: scratch
        emptyDir: {}
`;
}

function daemonSet(): Obj {
  return {
    metadata: { name: 'agent' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  };
}
