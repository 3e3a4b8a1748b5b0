// The kubelet's volume pieces without a runtime: the atomic writer's `..data` layout and swap, payload
// paths and modes, hostPath type checks, the payloads of configMap/secret/downwardAPI/projected volumes,
// CRI mounts with subPath and readOnly, and the token refresh at 80% of its lifetime (FakeClock).
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { silentLogger } from '../../src/client/log.js';
import type { RestClient } from '../../src/client/rest.js';
import { DATA_DIR_NAME, writeAtomic } from '../../src/kubelet/volumes/atomic-writer.js';
import { checkHostPathType } from '../../src/kubelet/volumes/hostpath.js';
import { VolumeManager, VolumeSetupFailed } from '../../src/kubelet/volumes/manager.js';
import {
  cleanPath,
  fileMode,
  type Payload,
  VolumeSetupError,
  validatePayloadPath,
} from '../../src/kubelet/volumes/paths.js';
import { apiDataPayload, type VolumeSources } from '../../src/kubelet/volumes/sources.js';
import { mountsBelow } from '../../src/kubelet/volumes/tmpfs.js';
import { TokenManager, tokenNeedsRefresh } from '../../src/kubelet/volumes/tokens.js';

type Obj = Record<string, any>;

const file = (text: string, mode = 0o644) => ({ data: Buffer.from(text), mode });
const payloadOf = (entries: Record<string, string>): Payload =>
  new Map(Object.entries(entries).map(([k, v]) => [k, file(v)]));

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'k8ts-volumes-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('atomic writer', () => {
  it('lays files out behind ..data and a link per top-level name', () => {
    const dir = join(root, 'aw1');
    assert.equal(writeAtomic(dir, payloadOf({ a: 'one', 'sub/b': 'two' })), true);
    const gen = readlinkSync(join(dir, DATA_DIR_NAME));
    assert.match(gen, /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\w+$/);
    assert.equal(readlinkSync(join(dir, 'a')), '..data/a');
    assert.equal(readlinkSync(join(dir, 'sub')), '..data/sub');
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'one');
    assert.equal(readFileSync(join(dir, 'sub/b'), 'utf8'), 'two');
    assert.deepEqual(readdirSync(dir).sort(), [DATA_DIR_NAME, gen, 'a', 'sub'].sort());
  });

  it('swaps generations on a change, drops removed names and the old generation', () => {
    const dir = join(root, 'aw2');
    writeAtomic(dir, payloadOf({ a: 'one', gone: 'x' }));
    const first = readlinkSync(join(dir, DATA_DIR_NAME));
    assert.equal(writeAtomic(dir, payloadOf({ a: 'changed', fresh: 'new' })), true);
    const second = readlinkSync(join(dir, DATA_DIR_NAME));
    assert.notEqual(first, second);
    assert.equal(existsSync(join(dir, first)), false);
    assert.equal(existsSync(join(dir, 'gone')), false);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'changed');
    assert.equal(readFileSync(join(dir, 'fresh'), 'utf8'), 'new');
    assert.equal(existsSync(join(dir, '..data_tmp')), false);
  });

  it('writes nothing when the content and modes are the same', () => {
    const dir = join(root, 'aw3');
    writeAtomic(dir, payloadOf({ a: 'one' }));
    const gen = readlinkSync(join(dir, DATA_DIR_NAME));
    assert.equal(writeAtomic(dir, payloadOf({ a: 'one' })), false);
    assert.equal(readlinkSync(join(dir, DATA_DIR_NAME)), gen);
    // a mode change alone is a change
    assert.equal(writeAtomic(dir, new Map([['a', file('one', 0o400)]])), true);
    assert.equal(statSync(join(dir, 'a')).mode & 0o777, 0o400);
  });

  it('applies file modes regardless of the umask', () => {
    const dir = join(root, 'aw4');
    writeAtomic(
      dir,
      new Map([
        ['x', file('1', 0o777)],
        ['y', file('2', 0o600)],
      ]),
    );
    assert.equal(statSync(join(dir, 'x')).mode & 0o777, 0o777);
    assert.equal(statSync(join(dir, 'y')).mode & 0o777, 0o600);
  });

  it('refuses a bad path before touching anything', () => {
    const dir = join(root, 'aw5');
    writeAtomic(dir, payloadOf({ a: 'one' }));
    const gen = readlinkSync(join(dir, DATA_DIR_NAME));
    assert.throws(() => writeAtomic(dir, payloadOf({ a: 'two', '../escape': 'x' })), VolumeSetupError);
    assert.equal(readlinkSync(join(dir, DATA_DIR_NAME)), gen);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'one');
  });

  it('writes an empty payload as an empty ..data', () => {
    const dir = join(root, 'aw6');
    writeAtomic(dir, new Map());
    assert.deepEqual(readdirSync(join(dir, DATA_DIR_NAME)), []);
  });
});

describe('payload paths and modes', () => {
  it('accepts relative paths and refuses absolute, .. and ..-prefixed ones', () => {
    for (const ok of ['a', 'a/b/c', 'a..b', '.hidden', 'x/..y']) validatePayloadPath(ok);
    for (const bad of ['', '/abs', '..', '../x', 'a/../b', '..data', '..hidden', 'a/..'])
      assert.throws(() => validatePayloadPath(bad), VolumeSetupError, bad);
    assert.throws(() => validatePayloadPath('x'.repeat(256)), /255/);
    assert.throws(() => validatePayloadPath('a/'.repeat(2049)), /4096/);
  });

  it('cleans paths and picks item mode, then defaultMode, then 0644', () => {
    assert.equal(cleanPath('a//b/./c'), 'a/b/c');
    assert.equal(fileMode(0o400, 0o600), 0o400);
    assert.equal(fileMode(undefined, 0o600), 0o600);
    assert.equal(fileMode(undefined, undefined), 0o644);
    assert.equal(fileMode(0o100755, undefined), 0o755);
  });
});

describe('hostPath type checks', () => {
  it('DirectoryOrCreate makes a 0755 directory; Directory wants one', () => {
    const d = join(root, 'hp', 'made', 'deep');
    checkHostPathType(d, 'DirectoryOrCreate');
    assert.ok(statSync(d).isDirectory());
    assert.equal(statSync(d).mode & 0o777, 0o755);
    checkHostPathType(d, 'Directory');
    assert.throws(() => checkHostPathType(join(root, 'hp', 'nope'), 'Directory'), {
      message: `hostPath type check failed: ${join(root, 'hp', 'nope')} is not a directory`,
    });
  });

  it('FileOrCreate makes an empty 0644 file (not its parent); File wants one', () => {
    const f = join(root, 'hp', 'made', 'f.txt');
    checkHostPathType(f, 'FileOrCreate');
    assert.ok(statSync(f).isFile());
    assert.equal(statSync(f).size, 0);
    checkHostPathType(f, 'File');
    assert.throws(() => checkHostPathType(join(root, 'hp', 'made'), 'File'), /is not a file/);
    assert.throws(
      () => checkHostPathType(join(root, 'hp', 'noparent', 'f'), 'FileOrCreate'),
      VolumeSetupError,
    );
    assert.throws(() => checkHostPathType(join(root, 'hp', 'made'), 'FileOrCreate'), /is not a file/);
  });

  it('Socket, CharDevice and BlockDevice check the file type; unset checks nothing', async () => {
    const sock = join(root, 'hp', 's.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      checkHostPathType(sock, 'Socket');
      assert.throws(
        () => checkHostPathType(join(root, 'hp', 'made', 'f.txt'), 'Socket'),
        /is not a socket file/,
      );
    } finally {
      server.close();
    }
    checkHostPathType('/dev/null', 'CharDevice');
    assert.throws(() => checkHostPathType('/dev/null', 'BlockDevice'), /is not a block device/);
    assert.throws(() => checkHostPathType(join(root, 'hp'), 'CharDevice'), /is not a character device/);
    checkHostPathType(join(root, 'does-not-exist'), undefined);
    checkHostPathType(join(root, 'does-not-exist'), '');
  });
});

function sourcesWith(objs: {
  configMaps?: Record<string, Obj>;
  secrets?: Record<string, Obj>;
}): VolumeSources {
  return {
    configMap: async (_ns, name) => objs.configMaps?.[name],
    secret: async (_ns, name) => objs.secrets?.[name],
    token: async (pod, audience, seconds) => `token-for-${pod.metadata.name}-${audience}-${seconds}`,
    nodeAllocatable: () => ({ cpu: '4', memory: '8Gi' }),
  };
}

const testPod = (volumes: Obj[], containers: Obj[] = [{ name: 'app', image: 'x' }]): Obj => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'uid-vol', labels: { b: '2', a: '1' }, annotations: {} },
  spec: { serviceAccountName: 'default', containers, volumes },
});

const text = (p: Payload | undefined) =>
  Object.fromEntries(
    [...(p ?? new Map()).entries()].map(([k, f]) => [k, [f.data.toString(), f.mode.toString(8)]]),
  );

describe('API data payloads', () => {
  const cm = {
    data: { 'game.properties': 'lives=3', ui: 'color=red' },
    binaryData: { bin: Buffer.from([1, 2]).toString('base64') },
  };
  const secret = {
    data: { user: Buffer.from('admin').toString('base64'), pass: Buffer.from('s3cr3t').toString('base64') },
  };
  const s = sourcesWith({ configMaps: { cfg: cm }, secrets: { creds: secret } });

  it('configMap: every key with defaultMode, or the items with their paths and modes', async () => {
    const all = await apiDataPayload(
      testPod([]),
      { name: 'v', configMap: { name: 'cfg', defaultMode: 0o600 } },
      s,
    );
    assert.deepEqual(Object.keys(text(all)).sort(), ['bin', 'game.properties', 'ui']);
    assert.deepEqual(text(all)['game.properties'], ['lives=3', '600']);
    assert.deepEqual([...all!.get('bin')!.data], [1, 2]);
    const items = await apiDataPayload(
      testPod([]),
      { name: 'v', configMap: { name: 'cfg', items: [{ key: 'ui', path: 'conf/ui.ini', mode: 0o400 }] } },
      s,
    );
    assert.deepEqual(text(items), { 'conf/ui.ini': ['color=red', '400'] });
  });

  it('a missing object or key fails unless optional', async () => {
    const pod = testPod([]);
    await assert.rejects(apiDataPayload(pod, { name: 'v', configMap: { name: 'nope' } }, s), {
      message: 'configmap "nope" not found',
    });
    assert.deepEqual(
      text(await apiDataPayload(pod, { name: 'v', configMap: { name: 'nope', optional: true } }, s)),
      {},
    );
    await assert.rejects(
      apiDataPayload(pod, { name: 'v', configMap: { name: 'cfg', items: [{ key: 'x', path: 'x' }] } }, s),
      {
        message: 'configmap references non-existent config key: x',
      },
    );
    await assert.rejects(apiDataPayload(pod, { name: 'v', secret: { secretName: 'gone' } }, s), {
      message: 'secret "gone" not found',
    });
    await assert.rejects(
      apiDataPayload(
        pod,
        { name: 'v', secret: { secretName: 'creds', items: [{ key: 'k', path: 'k' }] } },
        s,
      ),
      {
        message: 'references non-existent secret key: k',
      },
    );
  });

  it('secret: decoded values', async () => {
    const p = await apiDataPayload(
      testPod([]),
      { name: 'v', secret: { secretName: 'creds', defaultMode: 0o400 } },
      s,
    );
    assert.deepEqual(text(p), { user: ['admin', '400'], pass: ['s3cr3t', '400'] });
  });

  it('downwardAPI: fields, labels as sorted key="value" lines, resources with divisor', async () => {
    const pod = testPod([], [{ name: 'app', image: 'x', resources: { limits: { memory: '64Mi' } } }]);
    const p = await apiDataPayload(
      pod,
      {
        name: 'v',
        downwardAPI: {
          items: [
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            {
              path: 'mem',
              resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' },
            },
            { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' }, mode: 0o400 },
          ],
        },
      },
      s,
    );
    assert.deepEqual(text(p), {
      name: ['p', '644'],
      labels: ['a="1"\nb="2"', '644'],
      mem: ['64', '644'],
      cpu: ['4', '400'],
    });
  });

  it('projected: token, configMap item and namespace with the volume defaultMode', async () => {
    const s2 = sourcesWith({ configMaps: { 'kube-root-ca.crt': { data: { 'ca.crt': '' } } } });
    const p = await apiDataPayload(
      testPod([]),
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      },
      s2,
    );
    assert.deepEqual(text(p), {
      token: ['token-for-p--3607', '644'],
      'ca.crt': ['', '644'],
      namespace: ['ns', '644'],
    });
  });
});

describe('VolumeManager', () => {
  const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
  let dataDir: string;
  before(() => {
    dataDir = join(root, 'kubelet');
  });
  const manager = (s: VolumeSources) => new VolumeManager({ dataDir, sources: s, clock, log: silentLogger });

  it('sets volumes up under pods/<uid>/volumes and mounts them with subPath and readOnly', async () => {
    const host = join(root, 'hostdir');
    const cfgs: Record<string, Obj> = { cfg: { data: { k: 'v1' } } };
    const m = manager(sourcesWith({ configMaps: cfgs }));
    const pod = testPod(
      [
        { name: 'scratch', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'cfg' } },
        { name: 'host', hostPath: { path: host, type: 'DirectoryOrCreate' } },
      ],
      [
        {
          name: 'app',
          image: 'x',
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'scratch', mountPath: '/logs', subPath: 'logs', readOnly: true },
            { name: 'cfg', mountPath: '/etc/cfg' },
            { name: 'cfg', mountPath: '/etc/k', subPath: 'k' },
            { name: 'host', mountPath: '/host', subPathExpr: '$(POD)', mountPropagation: 'HostToContainer' },
          ],
        },
      ],
    );
    await m.setUp(pod);
    const vols = join(dataDir, 'pods', 'uid-vol', 'volumes');
    assert.equal(statSync(join(vols, 'kubernetes.io~empty-dir', 'scratch')).mode & 0o777, 0o777);
    assert.equal(readFileSync(join(vols, 'kubernetes.io~configmap', 'cfg', 'k'), 'utf8'), 'v1');
    const mounts = m.mounts(pod, pod.spec.containers[0], [{ key: 'POD', value: 'p' }]);
    assert.deepEqual(mounts, [
      {
        containerPath: '/scratch',
        hostPath: join(vols, 'kubernetes.io~empty-dir', 'scratch'),
        readonly: false,
        selinuxRelabel: false,
        propagation: 'PROPAGATION_PRIVATE',
      },
      {
        containerPath: '/logs',
        hostPath: join(vols, 'kubernetes.io~empty-dir', 'scratch', 'logs'),
        readonly: true,
        selinuxRelabel: false,
        propagation: 'PROPAGATION_PRIVATE',
      },
      {
        containerPath: '/etc/cfg',
        hostPath: join(vols, 'kubernetes.io~configmap', 'cfg'),
        readonly: true,
        selinuxRelabel: false,
        propagation: 'PROPAGATION_PRIVATE',
      },
      {
        containerPath: '/etc/k',
        hostPath: join(vols, 'kubernetes.io~configmap', 'cfg', 'k'),
        readonly: true,
        selinuxRelabel: false,
        propagation: 'PROPAGATION_PRIVATE',
      },
      {
        containerPath: '/host',
        hostPath: join(host, 'p'),
        readonly: false,
        selinuxRelabel: false,
        propagation: 'PROPAGATION_HOST_TO_CONTAINER',
      },
    ]);
    // the missing subPath was made as a directory
    assert.ok(statSync(join(vols, 'kubernetes.io~empty-dir', 'scratch', 'logs')).isDirectory());

    // a refresh carries an edit to the file
    cfgs.cfg = { data: { k: 'v2' } };
    await m.refreshAll();
    assert.equal(readFileSync(join(vols, 'kubernetes.io~configmap', 'cfg', 'k'), 'utf8'), 'v2');

    await m.tearDown('uid-vol');
    assert.equal(existsSync(join(dataDir, 'pods', 'uid-vol')), false);
    assert.ok(existsSync(host), 'a hostPath is left alone');
  });

  it('reports each volume that fails, keeps the previous files on a failed refresh', async () => {
    const cfgs: Record<string, Obj> = {};
    const m = manager(sourcesWith({ configMaps: cfgs }));
    const pod = testPod([
      { name: 'a', configMap: { name: 'missing' } },
      { name: 'b', secret: { secretName: 'nope' } },
      { name: 'c', emptyDir: {} },
    ]);
    await assert.rejects(m.setUp(pod), (err: unknown) => {
      assert.ok(err instanceof VolumeSetupFailed);
      assert.deepEqual(err.failures, [
        { volume: 'a', message: 'configmap "missing" not found' },
        { volume: 'b', message: 'secret "nope" not found' },
      ]);
      return true;
    });
    cfgs.missing = { data: { x: '1' } };
    const ok = testPod([{ name: 'a', configMap: { name: 'missing' } }]);
    await m.setUp(ok);
    delete cfgs.missing;
    await m.refreshAll();
    assert.equal(
      readFileSync(join(dataDir, 'pods', 'uid-vol', 'volumes', 'kubernetes.io~configmap', 'a', 'x'), 'utf8'),
      '1',
    );
    await m.tearDown('uid-vol');
  });

  it('refuses a subPath that leaves its volume through a symlink', async () => {
    const m = manager(sourcesWith({}));
    const pod = testPod(
      [{ name: 's', emptyDir: {} }],
      [{ name: 'app', image: 'x', volumeMounts: [{ name: 's', mountPath: '/x', subPath: 'link' }] }],
    );
    await m.setUp(pod);
    const dir = join(dataDir, 'pods', 'uid-vol', 'volumes', 'kubernetes.io~empty-dir', 's');
    mkdirSync(join(root, 'outside'), { recursive: true });
    symlinkSync(join(root, 'outside'), join(dir, 'link'));
    assert.throws(() => m.mounts(pod, pod.spec.containers[0]), /not within volume path/);
    const bad = testPod(
      [{ name: 's', emptyDir: {} }],
      [{ name: 'app', image: 'x', volumeMounts: [{ name: 's', mountPath: '/x', subPath: '../up' }] }],
    );
    assert.throws(() => m.mounts(bad, bad.spec.containers[0]), VolumeSetupError);
    assert.ok(lstatSync(join(dir, 'link')).isSymbolicLink());
    await m.tearDown('uid-vol');
  });

  it('puts secret and projected volumes on their own tmpfs and unmounts it on teardown', {
    skip: process.getuid?.() !== 0 ? 'needs root to mount' : false,
  }, async () => {
    const m = new VolumeManager({
      dataDir,
      sources: sourcesWith({ secrets: { s: { data: { k: Buffer.from('v').toString('base64') } } } }),
      clock,
      log: silentLogger,
      memoryBackedSecrets: true,
    });
    const pod = testPod([
      { name: 'sec', secret: { secretName: 's' } },
      { name: 'cfg', configMap: { name: 'none', optional: true } },
    ]);
    const podDir = join(dataDir, 'pods', 'uid-vol');
    try {
      await m.setUp(pod);
      await m.setUp(pod); // a second setup does not mount again
      assert.deepEqual(await mountsBelow(podDir), [join(podDir, 'volumes', 'kubernetes.io~secret', 'sec')]);
      assert.equal(readFileSync(join(podDir, 'volumes', 'kubernetes.io~secret', 'sec', 'k'), 'utf8'), 'v');
    } finally {
      await m.tearDown('uid-vol');
    }
    assert.deepEqual(await mountsBelow(podDir), []);
    assert.equal(existsSync(podDir), false);
  });

  it('rejects unsupported volume types', async () => {
    const m = manager(sourcesWith({}));
    await assert.rejects(
      m.setUp(testPod([{ name: 'nfs', nfs: { server: 'x', path: '/' } }])),
      /volume type nfs is not supported/,
    );
    await m.tearDown('uid-vol');
  });
});

describe('service account tokens', () => {
  it('needs a refresh after 80% of the lifetime or 24 h', () => {
    assert.equal(tokenNeedsRefresh(0, 3600_000, 2879_000), false);
    assert.equal(tokenNeedsRefresh(0, 3600_000, 2880_000), true);
    assert.equal(tokenNeedsRefresh(0, 48 * 3600_000, 24 * 3600_000), true);
  });

  it('requests a bound token, reuses it, and asks again at 80% of its lifetime', async () => {
    const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
    const requests: Obj[] = [];
    const rest = {
      request: async (o: Obj) => {
        requests.push(o);
        return {
          status: {
            token: `t${requests.length}`,
            expirationTimestamp: new Date(clock.now() + o.body.spec.expirationSeconds * 1000).toISOString(),
          },
        };
      },
    } as unknown as RestClient;
    const tokens = new TokenManager(rest, clock);
    const pod = testPod([]);
    assert.equal(await tokens.token(pod, '', 3607), 't1');
    assert.equal(requests[0]!.path, '/api/v1/namespaces/ns/serviceaccounts/default/token');
    assert.deepEqual(requests[0]!.body.spec, {
      audiences: [],
      expirationSeconds: 3607,
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'uid-vol' },
    });
    clock.advance(2885_000); // 2885.6 s is 80% of 3607 s
    assert.equal(await tokens.token(pod, '', 3607), 't1');
    clock.advance(1_000);
    assert.equal(await tokens.token(pod, '', 3607), 't2');
    assert.equal(await tokens.token(pod, 'vault', 3607), 't3');
    assert.deepEqual(requests[2]!.body.spec.audiences, ['vault']);
    tokens.forget('uid-vol');
    assert.equal(await tokens.token(pod, '', 3607), 't4');
  });
});
