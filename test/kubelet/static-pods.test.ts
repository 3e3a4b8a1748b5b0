// Static pods on a FakeClock: manifests read from an in-memory file source (dotfiles and directories
// skipped, bad files reported and skipped, upstream's name, namespace, uid hash, annotations and defaults),
// re-read every 20 s or soon after a directory change; run by the pod workers on a fake CRI without any API
// server; mirrored into an in-process API server (annotation, Node owner, status), made again after a
// kubectl-style delete while the container keeps running, replaced when the manifest changes, deleted with
// the file. The API server refuses mirror pods that reference service accounts or secrets and changes of
// the mirror annotation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock, settle } from '../../src/client/clock.js';
import type { EventRecorder } from '../../src/client/events.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { silentLogger } from '../../src/client/log.js';
import { RestClient } from '../../src/client/rest.js';
import { PodSyncer } from '../../src/kubelet/pod-sync.js';
import { PodWorkers } from '../../src/kubelet/pod-workers.js';
import { NODES, PODS } from '../../src/kubelet/refs.js';
import {
  type ManifestEntry,
  type ManifestFs,
  StaticPodSource,
} from '../../src/kubelet/static/file-source.js';
import {
  CONFIG_HASH_ANNOTATION,
  CONFIG_MIRROR_ANNOTATION,
  CONFIG_SEEN_ANNOTATION,
  CONFIG_SOURCE_ANNOTATION,
  ManifestError,
  staticPodFromManifest,
} from '../../src/kubelet/static/manifest.js';
import { MirrorPods } from '../../src/kubelet/static/mirror.js';
import { StatusManager } from '../../src/kubelet/status-manager.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';
import { type KubeletUnitEnv, startKubeletUnitEnv } from '../helpers/kubelet-unit-env.js';
import { capturingKubeletRecorder } from '../helpers/recorder.js';
import { FakeCri } from './fake-cri.js';

type Obj = Record<string, any>;

const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: c
    image: k8ts.local/busybox:latest
    command: [sleep, '3600']
`;

/** An in-memory manifest directory. */
class MemFs implements ManifestFs {
  readonly files = new Map<string, string>();
  readonly dirs = new Set<string>();
  onChange: (() => void) | undefined;
  list(dir: string): ManifestEntry[] | undefined {
    const out: ManifestEntry[] = [];
    for (const p of this.files.keys())
      if (p.startsWith(`${dir}/`)) out.push({ name: p.slice(dir.length + 1), kind: 'file' });
    for (const p of this.dirs)
      if (p.startsWith(`${dir}/`)) out.push({ name: p.slice(dir.length + 1), kind: 'dir' });
    return out;
  }
  read(path: string): string {
    const text = this.files.get(path);
    if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return text;
  }
  watch(_dir: string, onChange: () => void) {
    this.onChange = onChange;
    return { close: () => (this.onChange = undefined), closed: false };
  }
}

describe('static pod manifests', () => {
  it('names, namespaces, hashes, annotates, defaults and validates a pod as upstream', () => {
    const pod = staticPodFromManifest(WEB, '/etc/m/web.yaml', 'node-a');
    assert.equal(pod.metadata.name, 'web-node-a');
    assert.equal(pod.metadata.namespace, 'default');
    assert.match(pod.metadata.uid, /^[0-9a-f]{32}$/);
    assert.equal(pod.metadata.annotations[CONFIG_HASH_ANNOTATION], pod.metadata.uid);
    assert.equal(pod.metadata.annotations[CONFIG_SOURCE_ANNOTATION], 'file');
    assert.equal(pod.spec.nodeName, 'node-a');
    assert.deepEqual(pod.spec.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }]);
    // The registry's defaults, as the API server would apply them.
    assert.equal(pod.spec.restartPolicy, 'Always');
    assert.equal(pod.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(pod.spec.containers[0].imagePullPolicy, 'Always');
    assert.equal(pod.spec.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.status.qosClass, 'BestEffort');
    // The same file gives the same uid; another path, node or content another one.
    assert.equal(staticPodFromManifest(WEB, '/etc/m/web.yaml', 'node-a').metadata.uid, pod.metadata.uid);
    assert.notEqual(staticPodFromManifest(WEB, '/etc/m/other.yaml', 'node-a').metadata.uid, pod.metadata.uid);
    assert.notEqual(staticPodFromManifest(WEB, '/etc/m/web.yaml', 'node-b').metadata.uid, pod.metadata.uid);
    const edited = WEB.replace("'3600'", "'3601'");
    assert.notEqual(
      staticPodFromManifest(edited, '/etc/m/web.yaml', 'node-a').metadata.uid,
      pod.metadata.uid,
    );
    // JSON works; a uid in the file is kept; a namespace is kept.
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'j', namespace: 'kube-system', uid: 'fixed' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
    });
    const j = staticPodFromManifest(json, '/m/j.json', 'n');
    assert.equal(j.metadata.uid, 'fixed');
    assert.equal(j.metadata.namespace, 'kube-system');
    assert.equal(j.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    // Only the first document counts, as upstream decodes one.
    const two = staticPodFromManifest(`${WEB}---\n${WEB.replace('name: web', 'name: second')}`, '/m/x', 'n');
    assert.equal(two.metadata.name, 'web-n');
  });

  it('refuses what is not a valid v1 Pod', () => {
    assert.throws(() => staticPodFromManifest('a: [', '/m/x', 'n'), ManifestError);
    assert.throws(() => staticPodFromManifest('', '/m/x', 'n'), /Kind' is missing/);
    assert.throws(
      () => staticPodFromManifest(WEB.replace('kind: Pod', 'kind: Deployment'), '/m/x', 'n'),
      /invalid pod: kind "Deployment"/,
    );
    assert.throws(
      () => staticPodFromManifest(WEB.replace('    image: k8ts.local/busybox:latest\n', ''), '/m/x', 'n'),
      /invalid pod: .*spec\.containers\[0\]\.image: Required value/,
    );
    assert.throws(
      () => staticPodFromManifest(WEB.replace('name: web', 'name: Web_1'), '/m/x', 'n'),
      /metadata\.name/,
    );
  });
});

describe('StaticPodSource on a FakeClock', () => {
  it('reads the directory at start, every 20 s and 100 ms after a change; keeps unchanged pods', async () => {
    const clock = new FakeClock();
    const fs = new MemFs();
    const updates: Obj[][] = [];
    fs.files.set('/m/web.yaml', WEB);
    fs.files.set('/m/.hidden.yaml', WEB.replace('name: web', 'name: hidden'));
    fs.files.set('/m/bad.yaml', 'kind: Pod\n');
    fs.dirs.add('/m/sub');
    const warnings: string[] = [];
    const src = new StaticPodSource({
      dir: '/m',
      nodeName: 'n1',
      clock,
      log: { ...silentLogger, warn: (msg: string, f?: Obj) => warnings.push(`${msg} ${f?.path}`) },
      fs,
      onUpdate: (pods) => updates.push(pods),
    });
    src.start();
    assert.equal(updates.length, 1);
    assert.deepEqual(
      updates[0].map((p) => p.metadata.name),
      ['web-n1'],
    );
    const seen = updates[0][0].metadata.annotations[CONFIG_SEEN_ANNOTATION];
    assert.equal(seen, new Date(clock.now()).toISOString());
    assert.deepEqual(warnings.sort(), [
      'static pod manifest skipped /m/bad.yaml',
      'static pod manifest skipped /m/sub',
    ]);

    // A new file without a watch event: seen at the next period.
    fs.files.set('/m/db.yaml', WEB.replace('name: web', 'name: db'));
    clock.advance(19_999);
    assert.equal(updates.length, 1);
    clock.advance(1);
    assert.equal(updates.length, 2);
    assert.deepEqual(updates[1].map((p) => p.metadata.name).sort(), ['db-n1', 'web-n1']);
    // The unchanged pod is the same object (same seen time); nothing changed: nothing handed on, no new warning.
    assert.equal(
      updates[1].find((p) => p.metadata.name === 'web-n1'),
      updates[0][0],
    );
    clock.advance(20_000);
    assert.equal(updates.length, 2);
    assert.equal(warnings.length, 2);

    // A change with a watch event: read 100 ms later, not at once.
    fs.files.set('/m/web.yaml', WEB.replace("'3600'", "'7200'"));
    fs.onChange!();
    fs.onChange!();
    assert.equal(updates.length, 2);
    clock.advance(100);
    assert.equal(updates.length, 3);
    const web2 = updates[2].find((p) => p.metadata.name === 'web-n1')!;
    assert.notEqual(web2.metadata.uid, updates[0][0].metadata.uid);
    fs.files.delete('/m/db.yaml');
    fs.onChange!();
    clock.advance(100);
    assert.deepEqual(
      updates[3].map((p) => p.metadata.name),
      ['web-n1'],
    );
    src.stop();
    await settle();
  });
});

describe('static pods through the pod workers, a fake CRI and an in-process API server', () => {
  let env: KubeletUnitEnv;
  let rest: RestClient;
  let dataDir: string;
  const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
  const events: Obj[] = [];
  let cri: FakeCri;
  let recorder: EventRecorder;
  let informers: SharedInformerFactory;
  let workers: PodWorkers;
  let source: StaticPodSource;
  let mirrors: MirrorPods;
  const fs = new MemFs();
  const node = 'node-1';

  const running = (name: string) =>
    cri.running().filter((c) => c.config.labels?.['io.kubernetes.pod.name'] === name);

  before(async () => {
    env = await startKubeletUnitEnv('k8ts-static-', events);
    ({ rest, dataDir, recorder } = env);
    cri = new FakeCri(() => clock.now());
    await rest.resource<Obj>(NODES).create({ metadata: { name: node } });
    informers = new SharedInformerFactory(rest, { clock, log: silentLogger });
    const podInformer = informers.informerFor<Obj>(PODS, { fieldSelector: `spec.nodeName=${node}` });
    mirrors = new MirrorPods({
      rest,
      nodeName: node,
      log: silentLogger,
      lookup: (ns, name) => podInformer.store.getByName(ns, name),
    });
    mirrors.watch(podInformer);
    const syncer = new PodSyncer({
      cri: cri.asClient(),
      rest,
      recorder,
      status: new StatusManager(rest, silentLogger),
      clock,
      log: silentLogger,
      dataDir,
      dns: { servers: [], searches: [], options: [] },
      cgroupRoot: `/k8ts-unit-${process.pid}`,
      hostIPs: () => ['192.0.2.1'],
      nodeAllocatable: () => ({ cpu: '2', memory: '4Gi' }),
      mirrors,
      networkReady: () => true,
    });
    workers = new PodWorkers(syncer, clock, silentLogger, 4);
    workers.watch(podInformer);
    workers.onOrphanMirror = (m) => void mirrors.remove(m);
    source = new StaticPodSource({
      dir: '/etc/k8ts/manifests',
      nodeName: node,
      clock,
      log: silentLogger,
      fs,
      onUpdate: (pods) => workers.setStaticPods(pods),
    });
  });

  after(async () => {
    source.stop();
    await workers.stop();
    await informers.stop();
    await env.close();
  });

  const mirror = async () => {
    try {
      return await rest.resource<Obj>(PODS).in('default').get(`web-${node}`);
    } catch {
      return undefined;
    }
  };

  it('runs a static pod before the API server is watched, then mirrors it with its status', async () => {
    fs.files.set('/etc/k8ts/manifests/web.yaml', WEB);
    source.start();
    workers.start();
    // Only the runtime and the file: the pod runs; the mirror pod waits for the informer.
    const first = await eventually('the static pod container', async () => running(`web-${node}`)[0]);
    assert.equal(first.config.labels!['io.kubernetes.pod.namespace'], 'default');
    informers.start();
    await informers.waitForSync();
    // The pod syncs again (informer event or resync) and makes its mirror pod.
    await eventually(
      'the mirror pod Running',
      async () => {
        const m = await mirror();
        return m?.status?.phase === 'Running' ? m : undefined;
      },
      { step: async () => void clock.advance(5_000) },
    );
    const m = (await mirror())!;
    const staticPod = source.pods()[0];
    assert.equal(m.metadata.annotations[CONFIG_MIRROR_ANNOTATION], staticPod.metadata.uid);
    assert.equal(m.metadata.annotations[CONFIG_HASH_ANNOTATION], staticPod.metadata.uid);
    assert.equal(m.metadata.annotations[CONFIG_SOURCE_ANNOTATION], 'file');
    assert.ok(m.metadata.annotations[CONFIG_SEEN_ANNOTATION]);
    assert.notEqual(m.metadata.uid, staticPod.metadata.uid);
    const nodeObj = await rest.resource<Obj>(NODES).get(node);
    assert.deepEqual(m.metadata.ownerReferences, [
      { apiVersion: 'v1', kind: 'Node', name: node, uid: nodeObj.metadata.uid, controller: true },
    ]);
    assert.equal(m.spec.serviceAccountName, undefined, 'no service account defaulted on a mirror pod');
    assert.equal(m.metadata.labels.app, 'web');
    assert.equal(m.status.containerStatuses[0].ready, true);
    assert.equal(running(`web-${node}`).length, 1);
  });

  it('makes a deleted mirror pod again; the container keeps running', async () => {
    const before = (await mirror())!;
    const container = running(`web-${node}`)[0].id;
    await rest.resource<Obj>(PODS).in('default').delete(`web-${node}`); // graceful, as kubectl
    const again = await eventually('a new mirror pod', async () => {
      const m = await mirror();
      return m && m.metadata.uid !== before.metadata.uid && !m.metadata.deletionTimestamp ? m : undefined;
    });
    assert.equal(
      again.metadata.annotations[CONFIG_MIRROR_ANNOTATION],
      before.metadata.annotations[CONFIG_MIRROR_ANNOTATION],
    );
    await eventually('its status', async () =>
      (await mirror())?.status?.phase === 'Running' ? true : undefined,
    );
    assert.deepEqual(
      running(`web-${node}`).map((c) => c.id),
      [container],
    );
  });

  it('restarts the pod with the new spec when the manifest changes', async () => {
    const old = (await mirror())!;
    const oldContainer = running(`web-${node}`)[0];
    fs.files.set('/etc/k8ts/manifests/web.yaml', WEB.replace("'3600'", "'7200'"));
    fs.onChange!();
    clock.advance(100);
    const m = await eventually('the mirror pod of the new version Running', async () => {
      const x = await mirror();
      return x &&
        x.metadata.annotations[CONFIG_MIRROR_ANNOTATION] !==
          old.metadata.annotations[CONFIG_MIRROR_ANNOTATION] &&
        x.status?.phase === 'Running'
        ? x
        : undefined;
    });
    assert.equal(m.metadata.annotations[CONFIG_MIRROR_ANNOTATION], source.pods()[0].metadata.uid);
    const now = running(`web-${node}`);
    assert.equal(now.length, 1);
    assert.notEqual(now[0].id, oldContainer.id);
    assert.deepEqual(now[0].config.command, ['sleep', '7200']);
    assert.ok(cri.calls.includes('StopContainer c timeout=3'), 'the old pod stopped with its grace period');
  });

  it('stops the pod and deletes the mirror pod when the file is removed', async () => {
    fs.files.delete('/etc/k8ts/manifests/web.yaml');
    fs.onChange!();
    clock.advance(100);
    await eventually('the mirror pod gone', async () => ((await mirror()) ? undefined : true));
    await eventually('the containers stopped', async () =>
      running(`web-${node}`).length === 0 ? true : undefined,
    );
    assert.equal(source.pods().length, 0);
  });

  it('deletes a mirror pod no static pod claims', async () => {
    const orphan = await rest
      .resource<Obj>(PODS)
      .in('default')
      .create({
        metadata: { name: 'ghost', annotations: { [CONFIG_MIRROR_ANNOTATION]: 'abc' } },
        spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox:1.36' }] },
      });
    assert.equal(orphan.metadata.annotations[CONFIG_MIRROR_ANNOTATION], 'abc');
    await eventually('the orphan deleted', async () => {
      try {
        await rest.resource<Obj>(PODS).in('default').get('ghost');
        return undefined;
      } catch {
        return true;
      }
    });
    assert.equal(running('ghost').length, 0, 'a mirror pod is never run itself');
  });
});

describe('static pods without an API server', () => {
  it('start while the API server cannot be reached, and retry the mirror pod every 5 s', async () => {
    const clock = new FakeClock();
    const cri = new FakeCri(() => clock.now());
    const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-static-noapi-'));
    const rest = new RestClient({ baseUrl: 'http://127.0.0.1:9' }); // nothing listens on the discard port
    const events: Obj[] = [];
    const recorder = capturingKubeletRecorder(events);
    const mirrors = new MirrorPods({ rest, nodeName: 'n1', log: silentLogger, lookup: () => undefined });
    const syncer = new PodSyncer({
      cri: cri.asClient(),
      rest,
      recorder,
      status: new StatusManager(rest, silentLogger),
      clock,
      log: silentLogger,
      dataDir,
      dns: { servers: [], searches: [], options: [] },
      cgroupRoot: `/k8ts-unit-${process.pid}`,
      hostIPs: () => ['192.0.2.1'],
      nodeAllocatable: () => ({ cpu: '2', memory: '4Gi' }),
      mirrors,
      networkReady: () => false,
    });
    try {
      // Host network: it need not wait for the pod network either.
      const pod = staticPodFromManifest(
        WEB.replace('spec:\n', 'spec:\n  hostNetwork: true\n'),
        '/m/web.yaml',
        'n1',
      );
      const out = await syncer.sync(pod.metadata.uid, pod, pod);
      assert.equal(out.requeueAfterMs, 5_000);
      assert.deepEqual(cri.calls.slice(0, 3), [
        'RunPodSandbox web-n1 attempt=0',
        'CreateContainer c attempt=0',
        'StartContainer c',
      ]);
      assert.equal(pod.status.phase, 'Running', 'the static pod keeps its own status');
      assert.equal(mirrors.creates, 0);
      // A pod on the pod network waits for it.
      const other = staticPodFromManifest(WEB.replace('name: web', 'name: net'), '/m/net.yaml', 'n1');
      const held = await syncer.sync(other.metadata.uid, other, other);
      assert.equal(held.requeueAfterMs, 1_000);
      assert.ok(!cri.calls.some((c) => c.startsWith('RunPodSandbox net-n1')));
    } finally {
      await recorder.close();
      rest.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the API server and mirror pods', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api.close());

  const mirrorPod = (name: string, spec: Obj = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: { [CONFIG_MIRROR_ANNOTATION]: 'h1' } },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox:1.36' }], ...spec },
  });
  const create = (body: Obj) => api.req('POST', '/api/v1/namespaces/default/pods', body);

  it('refuses mirror pods that reference service accounts, secrets or token projections', async () => {
    const cases: [Obj, string][] = [
      [{ serviceAccountName: 'default' }, 'a mirror pod may not reference service accounts'],
      [{ volumes: [{ name: 's', secret: { secretName: 'x' } }] }, 'a mirror pod may not reference secrets'],
      [{ imagePullSecrets: [{ name: 'reg' }] }, 'a mirror pod may not reference secrets'],
      [
        {
          containers: [
            {
              name: 'c',
              image: 'busybox:1.36',
              env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
            },
          ],
        },
        'a mirror pod may not reference secrets',
      ],
      [
        { volumes: [{ name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }] },
        'a mirror pod may not use ServiceAccountToken volume projections',
      ],
    ];
    for (const [spec, why] of cases) {
      const r = await create(mirrorPod('m', spec));
      assert.equal(r.status, 403, JSON.stringify(spec));
      assert.equal(r.body.reason, 'Forbidden');
      assert.equal(r.body.message, `pods "m" is forbidden: ${why}`);
    }
  });

  it('needs spec.nodeName with the annotation and never lets an update touch the annotation', async () => {
    const noNode: Obj = mirrorPod('m0');
    delete noNode.spec.nodeName;
    let r = await create(noNode);
    assert.equal(r.status, 422);
    assert.match(
      r.body.message,
      /metadata\.annotations\[kubernetes\.io\/config\.mirror\]: Invalid value: "h1": must set spec\.nodeName if mirror pod annotation is set/,
    );

    r = await create(mirrorPod('m1'));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.spec.serviceAccountName, undefined);
    assert.equal(r.body.spec.volumes, undefined, 'no API access volume on a mirror pod');
    const patch = (body: Obj) =>
      api.req('PATCH', '/api/v1/namespaces/default/pods/m1', body, {
        'content-type': 'application/merge-patch+json',
      });
    r = await patch({ metadata: { annotations: { [CONFIG_MIRROR_ANNOTATION]: 'h2' } } });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /may not remove or update mirror pod annotation/);
    r = await patch({ metadata: { annotations: { [CONFIG_MIRROR_ANNOTATION]: null } } });
    assert.equal(r.status, 422);
    r = await create({ ...mirrorPod('plain'), metadata: { name: 'plain' } });
    assert.equal(r.status, 201);
    r = await api.req(
      'PATCH',
      '/api/v1/namespaces/default/pods/plain',
      { metadata: { annotations: { [CONFIG_MIRROR_ANNOTATION]: 'x' } } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    assert.equal(r.status, 422);
    assert.match(r.body.message, /may not add mirror pod annotation/);
  });
});
