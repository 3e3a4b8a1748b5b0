// The API server driven by real kubectl 1.27 and 1.33 against one `k8ts server` process.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Cluster, KUBECTL_VERSIONS, type KubectlVersion, startCluster } from '../helpers/cluster.js';
import { type StandInKubelet, startStandInKubelet } from '../helpers/standin-kubelet.js';

let cluster: Cluster;

before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

/** Runs kubectl and fails the test on a non-zero exit or any warning on stderr. */
async function ok(v: KubectlVersion, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(v, args, { input });
  assert.equal(r.code, 0, `kubectl ${v} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  assert.equal(r.stderr, '', `kubectl ${v} ${args.join(' ')} printed to stderr:\n${r.stderr}`);
  return r.stdout;
}

function file(name: string, text: string): string {
  const p = join(cluster.dataDir, name);
  writeFileSync(p, text);
  return p;
}

for (const v of KUBECTL_VERSIONS) {
  const ns = `e2e-${v.replace('.', '-')}`;
  describe(`kubectl ${v}`, () => {
    before(async () => {
      await ok(v, ['create', 'namespace', ns]);
    });

    it('reports version and lists API resources and versions', async () => {
      // `kubectl version` itself warns when the client is more than one minor away from the server;
      // that warning is about the client binary, so it is the one message allowed here.
      const ver = await cluster.kubectl(v, ['version', '-o', 'json']);
      assert.equal(ver.code, 0, ver.stderr);
      assert.equal(JSON.parse(ver.stdout).serverVersion.minor, '33');
      const skew =
        /^WARNING: version difference between client \(1\.\d+\) and server \(1\.33\) exceeds the supported minor version skew of \+\/-1\n?$/;
      assert.ok(ver.stderr === '' || (v !== '1.33' && skew.test(ver.stderr)), ver.stderr);
      const res = await ok(v, ['api-resources']);
      assert.match(res, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
      const versions = await ok(v, ['api-versions']);
      assert.match(versions, /^v1$/m);
    });

    it('creates, reads, labels, annotates, patches and deletes a configmap', async () => {
      assert.equal(
        await ok(v, ['-n', ns, 'create', 'configmap', 'c1', '--from-literal=a=b']),
        'configmap/c1 created\n',
      );
      const got = JSON.parse(await ok(v, ['-n', ns, 'get', 'configmap', 'c1', '-o', 'json']));
      assert.deepEqual(got.data, { a: 'b' });
      await ok(v, ['-n', ns, 'label', 'configmap', 'c1', 'tier=web']);
      await ok(v, ['-n', ns, 'annotate', 'configmap', 'c1', 'note=hi']);
      await ok(v, ['-n', ns, 'patch', 'configmap', 'c1', '--type=merge', '-p', '{"data":{"m":"1"}}']);
      const names = await ok(v, ['-n', ns, 'get', 'cm', '-l', 'tier=web', '-o', 'name']);
      assert.equal(names, 'configmap/c1\n');
      const jp = await ok(v, [
        '-n',
        ns,
        'get',
        'cm',
        'c1',
        '-o',
        'jsonpath={.data.m} {.metadata.annotations.note}',
      ]);
      assert.equal(jp, '1 hi');
      assert.equal(await ok(v, ['-n', ns, 'delete', 'configmap', 'c1']), 'configmap "c1" deleted\n');
      const gone = await cluster.kubectl(v, ['-n', ns, 'get', 'configmap', 'c1']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /configmaps "c1" not found/);
    });

    it('prints tables with upstream columns, sorting and field selectors', async () => {
      await ok(v, ['-n', ns, 'create', 'configmap', 'zz', '--from-literal=a=b', '--from-literal=c=d']);
      await ok(v, ['-n', ns, 'create', 'configmap', 'aa', '--from-literal=a=b']);
      const table = await ok(v, ['-n', ns, 'get', 'configmaps', '--sort-by=.metadata.name']);
      const lines = table.trim().split('\n');
      assert.match(lines[0], /^NAME\s+DATA\s+AGE$/);
      assert.match(lines[1], /^aa\s+1\s+\d+s$/);
      const wide = await ok(v, ['-n', ns, 'get', 'configmaps', 'zz', '-o', 'wide']);
      assert.match(wide, /^zz\s+2\s+/m);
      const sel = await ok(v, ['-n', ns, 'get', 'cm', '--field-selector', 'metadata.name=aa', '-o', 'name']);
      assert.equal(sel, 'configmap/aa\n');
      const all = await ok(v, ['get', 'namespaces', '-A']);
      assert.match(all, /^kube-system\s+Active/m);
    });

    it('reports a stale update as a conflict and bad input as 4xx', async () => {
      const r = await cluster.kubectl(v, ['-n', ns, 'create', 'configmap', 'Bad_Name']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /is invalid|must consist of/);
      const missing = await cluster.kubectl(v, ['-n', 'no-such-ns', 'create', 'configmap', 'x']);
      assert.match(missing.stderr, /namespaces "no-such-ns" not found/);
    });

    it('creates from a file', async () => {
      const p = file(
        `cm-${v}.yaml`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromfile\n  namespace: ${ns}\ndata:\n  k: v\n`,
      );
      assert.equal(await ok(v, ['create', '-f', p]), 'configmap/fromfile created\n');
      const yaml = await ok(v, ['-n', ns, 'get', 'cm', 'fromfile', '-o', 'yaml']);
      assert.match(yaml, /^ {2}k: v$/m);
    });

    it('applies client-side twice and with a field removed, then server-side, and diffs', async () => {
      const manifest = (replicas: number, extraLabel: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels:
    app: web${extraLabel ? '\n    tier: front' : ''}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: httpd
        image: k8ts.local/busybox:latest
        command: [httpd, -f, -p, "8080"]
        ports:
        - containerPort: 8080
        env:
        - {name: A, value: "1"}
`;
      const p1 = file(`deploy-${v}.yaml`, manifest(2, true));
      assert.equal(await ok(v, ['apply', '-f', p1]), 'deployment.apps/web created\n');
      assert.equal(await ok(v, ['apply', '-f', p1]), 'deployment.apps/web unchanged\n');
      const p2 = file(`deploy2-${v}.yaml`, manifest(3, false));
      const diff = await cluster.kubectl(v, ['diff', '-f', p2]);
      assert.equal(diff.code, 1, diff.stderr);
      assert.match(diff.stdout, /^-\s+replicas: 2$/m);
      assert.match(diff.stdout, /^\+\s+replicas: 3$/m);
      assert.equal(await ok(v, ['apply', '-f', p2]), 'deployment.apps/web configured\n');
      const d = JSON.parse(await ok(v, ['-n', ns, 'get', 'deploy', 'web', '-o', 'json']));
      assert.equal(d.spec.replicas, 3);
      assert.equal(d.metadata.labels.tier, undefined, 'a label removed from the manifest is removed');
      assert.equal(d.spec.strategy.rollingUpdate.maxSurge, '25%', 'defaults are applied');
      assert.equal(d.metadata.generation, 2);
      const ssa = await ok(v, ['apply', '--server-side', '--force-conflicts', '-f', p1]);
      assert.equal(ssa, 'deployment.apps/web serverside-applied\n');
      const after = JSON.parse(
        await ok(v, ['-n', ns, 'get', 'deploy', 'web', '-o', 'json', '--show-managed-fields']),
      );
      assert.equal(after.spec.replicas, 2);
      assert.ok(
        after.metadata.managedFields.some((m: any) => m.manager === 'kubectl' && m.operation === 'Apply'),
      );
    });

    it('patches with all three types, edits with a scripted editor, replaces and scales', async () => {
      await ok(v, [
        '-n',
        ns,
        'patch',
        'deploy',
        'web',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"httpd","env":[{"name":"B","value":"2"}]}]}}}}',
      ]);
      let d = JSON.parse(await ok(v, ['-n', ns, 'get', 'deploy', 'web', '-o', 'json']));
      assert.deepEqual(
        d.spec.template.spec.containers[0].env.map((e: any) => e.name).sort(),
        ['A', 'B'],
        'a strategic merge patch merges env by name',
      );
      await ok(v, [
        '-n',
        ns,
        'patch',
        'deploy',
        'web',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/replicas","value":4}]',
      ]);
      await ok(v, [
        '-n',
        ns,
        'patch',
        'deploy',
        'web',
        '--type=merge',
        '-p',
        '{"metadata":{"annotations":{"m":"1"}}}',
      ]);
      const editor = file(`editor-${v}.sh`, '#!/bin/sh\nsed -i "s/replicas: 4/replicas: 5/" "$1"\n');
      await ok(v, ['-n', ns, 'get', 'deploy', 'web', '-o', 'name']);
      const { chmodSync } = await import('node:fs');
      chmodSync(editor, 0o755);
      const edit = await cluster.kubectl(v, ['-n', ns, 'edit', 'deploy', 'web'], {
        env: { KUBE_EDITOR: editor },
      });
      assert.equal(edit.code, 0, edit.stderr);
      assert.equal(edit.stdout, 'deployment.apps/web edited\n');
      d = JSON.parse(await ok(v, ['-n', ns, 'get', 'deploy', 'web', '-o', 'json']));
      assert.equal(d.spec.replicas, 5);
      assert.equal(d.metadata.annotations.m, '1');
      await ok(v, ['-n', ns, 'scale', 'deploy', 'web', '--replicas=1']);
      // The deployment controller writes status and annotations too: re-read and retry on a conflict.
      let replaced = '';
      for (let attempt = 0; attempt < 20 && !replaced; attempt++) {
        d = JSON.parse(await ok(v, ['-n', ns, 'get', 'deploy', 'web', '-o', 'json']));
        assert.ok(d.spec.replicas === 1 || d.spec.replicas === 2);
        d.spec.replicas = 2;
        delete d.metadata.managedFields;
        const r = await cluster.kubectl(v, ['replace', '-f', '-'], { input: JSON.stringify(d) });
        if (r.code === 0) replaced = r.stdout;
        else assert.match(r.stderr, /the object has been modified/);
      }
      assert.equal(replaced, 'deployment.apps/web replaced\n');
      const stale = await cluster.kubectl(v, ['replace', '-f', '-'], { input: JSON.stringify(d) });
      assert.notEqual(stale.code, 0);
      assert.match(stale.stderr, /the object has been modified/);
    });

    it('describes, explains and lists everything', async () => {
      const desc = await ok(v, ['-n', ns, 'describe', 'deployment', 'web']);
      assert.match(desc, /^Name:\s+web$/m);
      assert.match(desc, /^Replicas:\s+2 desired/m);
      const explain = await ok(v, ['explain', 'deployment.spec.replicas']);
      assert.match(explain, /FIELD:\s+replicas <integer>/);
      const all = await ok(v, ['-n', ns, 'get', 'all']);
      assert.match(all, /deployment\.apps\/web/);
      const wide = await ok(v, ['-n', ns, 'get', 'deploy', '-o', 'wide']);
      assert.match(wide, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
    });

    it('creates secrets, deployments and jobs imperatively, and runs a server-side dry run', async () => {
      await ok(v, ['-n', ns, 'create', 'secret', 'generic', 's1', '--from-literal=password=hunter2']);
      const sec = JSON.parse(await ok(v, ['-n', ns, 'get', 'secret', 's1', '-o', 'json']));
      assert.equal(Buffer.from(sec.data.password, 'base64').toString(), 'hunter2');
      assert.equal(sec.type, 'Opaque');
      await ok(v, [
        '-n',
        ns,
        'create',
        'deployment',
        'imp',
        '--image=k8ts.local/busybox:latest',
        '--replicas=2',
      ]);
      await ok(v, ['-n', ns, 'create', 'job', 'j1', '--image=k8ts.local/busybox:latest', '--', 'echo', 'hi']);
      const job = JSON.parse(await ok(v, ['-n', ns, 'get', 'job', 'j1', '-o', 'json']));
      assert.equal(job.spec.template.spec.restartPolicy, 'Never');
      assert.ok(job.spec.selector.matchLabels['batch.kubernetes.io/controller-uid']);
      const run = await ok(v, [
        '-n',
        ns,
        'run',
        'dry',
        '--image=k8ts.local/busybox:latest',
        '--dry-run=server',
        '-o',
        'name',
      ]);
      assert.equal(run, 'pod/dry\n');
      const none = await cluster.kubectl(v, ['-n', ns, 'get', 'pod', 'dry']);
      assert.notEqual(none.code, 0, 'a server-side dry run stores nothing');
    });

    it('waits for a condition and streams changes with get -w', async () => {
      await ok(v, ['-n', ns, 'run', 'cond', '--image=k8ts.local/busybox:latest']);
      const watcher = cluster.kubectl(v, ['-n', ns, 'get', 'pods', 'cond', '-w', '--request-timeout=4s']);
      const waiter = cluster.kubectl(v, [
        '-n',
        ns,
        'wait',
        '--for=condition=Ready',
        'pod/cond',
        '--timeout=20s',
      ]);
      await new Promise((r) => setTimeout(r, 500));
      // Stand in for a kubelet: report the pod Ready through the status subresource.
      const pod = JSON.parse(await ok(v, ['-n', ns, 'get', 'pod', 'cond', '-o', 'json']));
      pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
      await ok(v, ['replace', '--subresource=status', '-f', '-'], JSON.stringify(pod)).catch(async () => {
        // kubectl 1.27 has --subresource for replace as alpha; fall back to a raw status write.
        const r = await cluster.kubectl(
          v,
          ['replace', '--raw', `/api/v1/namespaces/${ns}/pods/cond/status`, '-f', '-'],
          {
            input: JSON.stringify(pod),
          },
        );
        assert.equal(r.code, 0, r.stderr);
      });
      const w = await waiter;
      assert.equal(w.code, 0, w.stderr);
      assert.equal(w.stdout, 'pod/cond condition met\n');
      const watched = await watcher;
      assert.match(watched.stdout, /^cond\s+0\/1\s+Pending/m);
      assert.match(watched.stdout, /^cond\s+\S+\s+Running/m);
    });

    it('deletes a deployment with --cascade=orphan and --cascade=foreground', async () => {
      const items = async (kind: string, app: string): Promise<Record<string, any>[]> =>
        JSON.parse(await ok(v, ['-n', ns, 'get', kind, '-l', `app=${app}`, '-o', 'json'])).items;
      const until = async (what: string, check: () => Promise<boolean>) => {
        for (let i = 0; !(await check()); i++) {
          assert.ok(i < 100, `timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      for (const name of ['keep', 'fg']) {
        await ok(v, [
          '-n',
          ns,
          'create',
          'deployment',
          name,
          '--image=k8ts.local/busybox:latest',
          '--replicas=2',
        ]);
        await until(`pods of ${name}`, async () => (await items('pods', name)).length === 2);
      }
      await ok(v, ['-n', ns, 'delete', 'deployment', 'keep', '--cascade=orphan']);
      await until('orphaned replica set', async () => {
        const rs = await items('rs', 'keep');
        return rs.length === 1 && rs[0].metadata.ownerReferences === undefined;
      });
      assert.equal((await items('pods', 'keep')).length, 2);
      await ok(v, ['-n', ns, 'delete', 'rs', '-l', 'app=keep']);
      await ok(v, ['-n', ns, 'delete', 'deployment', 'fg', '--cascade=foreground']);
      await until('foreground deletion', async () => (await items('rs', 'fg')).length === 0);
      assert.equal((await items('pods', 'fg')).length, 0);
    });

    it('waits for deletion with --wait', async () => {
      await ok(v, ['-n', ns, 'create', 'configmap', 'waitme']);
      await ok(v, ['-n', ns, 'delete', 'configmap', 'waitme', '--wait=true']);
      const r = await cluster.kubectl(v, ['-n', ns, 'get', 'configmap', 'waitme']);
      assert.notEqual(r.code, 0);
    });
  });
}

// The controller manager driven by kubectl, with a stand-in kubelet that reports pods Running and Ready
// (Job pods: Succeeded). One kubectl version: the rollout commands are client logic over the same API.
describe('controllers through kubectl 1.33', () => {
  const v = '1.33';
  const ns = 'e2e-controllers';
  let kubelet: StandInKubelet;
  before(async () => {
    await ok(v, ['create', 'namespace', ns]);
    kubelet = await startStandInKubelet(cluster.url, ns);
  });
  after(async () => {
    await kubelet?.stop();
  });

  const json = async (args: string[]) => JSON.parse(await ok(v, ['-n', ns, ...args, '-o', 'json']));
  const image = async (name: string) =>
    (await json(['get', 'deployment', name])).spec.template.spec.containers[0].image as string;

  it('rollout status, history, undo, pause, resume and restart on a Deployment', async () => {
    await ok(v, ['-n', ns, 'create', 'deployment', 'web', '--image=k8ts.local/busybox:1', '--replicas=3']);
    await ok(v, ['-n', ns, 'annotate', 'deployment', 'web', 'kubernetes.io/change-cause=first']);
    const status = async () => ok(v, ['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s']);
    assert.match(await status(), /deployment "web" successfully rolled out\n$/);

    await ok(v, ['-n', ns, 'set', 'image', 'deployment/web', 'busybox=k8ts.local/busybox:2']);
    await ok(v, [
      '-n',
      ns,
      'annotate',
      'deployment',
      'web',
      '--overwrite',
      'kubernetes.io/change-cause=second',
    ]);
    assert.match(await status(), /deployment "web" successfully rolled out\n$/);
    const history = await ok(v, ['-n', ns, 'rollout', 'history', 'deployment/web']);
    assert.match(history, /^REVISION\s+CHANGE-CAUSE$/m);
    assert.match(history, /^1\s+first$/m);
    assert.match(history, /^2\s+second$/m);
    const rev1 = await ok(v, ['-n', ns, 'rollout', 'history', 'deployment/web', '--revision=1']);
    assert.match(rev1, /Image:\s+k8ts\.local\/busybox:1/);

    // undo brings back revision 1's template as revision 3.
    assert.equal(
      await ok(v, ['-n', ns, 'rollout', 'undo', 'deployment/web']),
      'deployment.apps/web rolled back\n',
    );
    assert.match(await status(), /deployment "web" successfully rolled out\n$/);
    assert.equal(await image('web'), 'k8ts.local/busybox:1');
    const after = await ok(v, ['-n', ns, 'rollout', 'history', 'deployment/web']);
    assert.match(after, /^2\s+second$/m);
    assert.match(after, /^3\s+first$/m);
    assert.doesNotMatch(after, /^1\s/m);
    const d = await json(['get', 'deployment', 'web']);
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '3');

    // Paused: a new template makes no new ReplicaSet until resumed.
    assert.equal(
      await ok(v, ['-n', ns, 'rollout', 'pause', 'deployment/web']),
      'deployment.apps/web paused\n',
    );
    await ok(v, ['-n', ns, 'set', 'image', 'deployment/web', 'busybox=k8ts.local/busybox:3']);
    await new Promise((r) => setTimeout(r, 500));
    const rsBefore = (await json(['get', 'rs', '-l', 'app=web'])).items.length;
    assert.equal(rsBefore, 2);
    const paused = await json(['get', 'deployment', 'web']);
    const prog = paused.status.conditions.find((c: Record<string, any>) => c.type === 'Progressing');
    assert.equal(prog.reason, 'DeploymentPaused');
    assert.equal(
      await ok(v, ['-n', ns, 'rollout', 'resume', 'deployment/web']),
      'deployment.apps/web resumed\n',
    );
    assert.match(await status(), /deployment "web" successfully rolled out\n$/);
    assert.equal((await json(['get', 'rs', '-l', 'app=web'])).items.length, 3);

    // restart: a new template annotation, so a new ReplicaSet and new pods.
    const podsBefore = new Set(
      (await json(['get', 'pods', '-l', 'app=web'])).items.map((p: Record<string, any>) => p.metadata.name),
    );
    assert.equal(
      await ok(v, ['-n', ns, 'rollout', 'restart', 'deployment/web']),
      'deployment.apps/web restarted\n',
    );
    assert.match(await status(), /deployment "web" successfully rolled out\n$/);
    const restarted = await json(['get', 'deployment', 'web']);
    assert.ok(restarted.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
    assert.equal(restarted.status.updatedReplicas, 3);
    assert.equal(restarted.status.availableReplicas, 3);
    const live = (await json(['get', 'pods', '-l', 'app=web'])).items.filter(
      (p: Record<string, any>) => !p.metadata.deletionTimestamp,
    );
    assert.equal(live.length, 3);
    for (const p of live)
      assert.ok(!podsBefore.has(p.metadata.name), `${p.metadata.name} survived the restart`);
  });

  it('a Job reaches exactly its completions', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'count', namespace: ns },
      spec: {
        completions: 7,
        parallelism: 3,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'k8ts.local/busybox:1' }] },
        },
      },
    });
    await ok(v, ['apply', '-f', '-'], manifest);
    assert.equal(
      await ok(v, ['-n', ns, 'wait', '--for=condition=complete', 'job/count', '--timeout=60s']),
      'job.batch/count condition met\n',
    );
    const job = await json(['get', 'job', 'count']);
    assert.equal(job.status.succeeded, 7);
    assert.equal(job.status.failed ?? 0, 0);
    assert.equal(job.status.active ?? 0, 0);
    const pods = (await json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=count'])).items;
    assert.equal(pods.length, 7);
    for (const p of pods) {
      assert.equal(p.status.phase, 'Succeeded');
      assert.deepEqual(p.metadata.finalizers ?? [], []);
    }
  });

  it('kubectl create job --from=cronjob/NAME runs the CronJob template by hand', async () => {
    await ok(v, [
      '-n',
      ns,
      'create',
      'cronjob',
      'tick',
      '--image=k8ts.local/busybox:1',
      '--schedule=*/1 * * * *',
    ]);
    assert.equal(
      await ok(v, ['-n', ns, 'create', 'job', 'by-hand', '--from=cronjob/tick']),
      'job.batch/by-hand created\n',
    );
    const job = await json(['get', 'job', 'by-hand']);
    const cj = await json(['get', 'cronjob', 'tick']);
    assert.equal(job.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.deepEqual(
      job.metadata.ownerReferences.map((r: Record<string, any>) => [r.kind, r.name, r.uid, r.controller]),
      [['CronJob', 'tick', cj.metadata.uid, true]],
    );
    assert.equal(
      await ok(v, ['-n', ns, 'wait', '--for=condition=complete', 'job/by-hand', '--timeout=60s']),
      'job.batch/by-hand condition met\n',
    );
    // The CronJob controller did not create it, and says so.
    for (let i = 0; ; i++) {
      const events = await json(['get', 'events', '--field-selector', 'reason=UnexpectedJob']);
      if (events.items.some((e: Record<string, any>) => e.message.includes('by-hand'))) break;
      assert.ok(i < 50, 'no UnexpectedJob event');
      await new Promise((r) => setTimeout(r, 100));
    }
    await ok(v, ['-n', ns, 'delete', 'cronjob', 'tick']);
  });
});
