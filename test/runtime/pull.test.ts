// Pulling through CRI from a registry: Debian's docker-registry on loopback (plain HTTP, configured with a
// hosts.toml under the data dir), holding an image that exists nowhere else.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriError } from '../../src/runtime/cri/client.js';
import { buildOciArchive, busyboxLayer, CRI_NAMESPACE, importImage } from '../../src/runtime/images.js';
import { registryHostsToml, writeRegistryHost } from '../../src/runtime/registries.js';
import { createTar } from '../../src/runtime/tar.js';
import { runtimeSkipReason, startTestRuntime, type TestRuntime } from '../helpers/node-runtime.js';

const REGISTRY = '/usr/bin/docker-registry';
const skip =
  runtimeSkipReason() ??
  (existsSync(REGISTRY) ? null : `${REGISTRY} is missing (apt-get install docker-registry)`);
if (skip) console.log(`# skipping registry pull test: ${skip}`);

let registryLog = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('CRI PullImage from a loopback registry', { skip: skip ?? false, timeout: 60_000 }, () => {
  let rt: TestRuntime;
  let registry: ChildProcess | undefined;
  let host = '';

  const ctr = (...args: string[]) => {
    const r = spawnSync('ctr', ['--address', rt.containerd.socket, '-n', CRI_NAMESPACE, ...args], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `ctr ${args.join(' ')}: ${r.stderr}`);
  };

  const ctrOut = (...args: string[]) =>
    spawnSync('ctr', ['--address', rt.containerd.socket, '-n', CRI_NAMESPACE, ...args], { encoding: 'utf8' })
      .stdout;

  before(async () => {
    rt = await startTestRuntime({ slot: 2 });
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const dir = join(rt.dataDir, 'registry');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${host}\n`,
    );
    registryLog = join(dir, 'registry.log');
    const log = openSync(join(dir, 'registry.log'), 'a');
    registry = spawn(REGISTRY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ok = await fetch(`http://${host}/v2/`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      assert.ok(Date.now() < deadline, 'registry did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    if (registry?.pid && registry.exitCode === null) {
      const exited = new Promise((r) => registry?.once('exit', r));
      process.kill(registry.pid, 'SIGTERM');
      await exited;
    }
    if (rt) await rt.teardown();
  });

  it('writes hosts.toml for a plain-HTTP registry', () => {
    const toml = registryHostsToml({ host: '127.0.0.1:5000', endpoints: ['http://127.0.0.1:5000'] });
    assert.match(toml, /^server = "http:\/\/127\.0\.0\.1:5000"$/m);
    assert.match(toml, /^\[host\."http:\/\/127\.0\.0\.1:5000"\]$/m);
    assert.match(toml, /capabilities = \["pull", "resolve"\]/);
  });

  it('pulls an image that only the registry has and reports it through ImageStatus', async () => {
    // An image with a layer of its own, pushed to the registry, then deleted here (content included).
    const local = 'k8ts.local/pushed:1';
    const remote = `${host}/k8ts/pushed:1`;
    const marker = createTar([
      { path: 'pushed.txt', type: 'file', data: Buffer.from(`pid ${process.pid}\n`) },
    ]);
    const tarPath = join(rt.dataDir, 'pushed.tar');
    writeFileSync(
      tarPath,
      buildOciArchive([{ ref: local, layers: [await busyboxLayer(), marker], config: {} }]),
    );
    await importImage(rt.containerd.socket, tarPath);
    ctr('images', 'tag', local, remote);
    ctr('images', 'push', '--plain-http', remote);
    ctr('images', 'rm', '--sync', local, remote);
    // Nothing else lives in this runtime: drop every snapshot and blob so the pull must fetch them.
    for (let round = 0; round < 5 && ctrOut('snapshots', 'ls', '-q').trim(); round++) {
      for (const key of ctrOut('snapshots', 'ls', '-q').split('\n').filter(Boolean)) {
        spawnSync('ctr', ['--address', rt.containerd.socket, '-n', CRI_NAMESPACE, 'snapshots', 'rm', key]);
      }
    }
    for (const digest of ctrOut('content', 'ls', '-q').split('\n').filter(Boolean))
      ctr('content', 'rm', digest);
    assert.equal(ctrOut('content', 'ls', '-q').trim(), '');
    assert.equal(await rt.cri.imageStatus(remote), null);

    writeRegistryHost(rt.dataDir, { host, endpoints: [`http://${host}`] });
    const t0 = performance.now();
    const ref = await rt.cri.pullImage(remote);
    console.log(`# pull from loopback registry ${Math.round(performance.now() - t0)} ms`);
    // The registry served the blobs (two layers and a config), not just the manifest.
    const blobGets =
      readFileSync(registryLog, 'utf8').match(/"GET \/v2\/k8ts\/pushed\/blobs\/sha256:[0-9a-f]+ /g) ?? [];
    assert.equal(new Set(blobGets).size, 3);
    assert.match(ref, /^sha256:[0-9a-f]{64}$/);
    const image = await rt.cri.imageStatus(remote);
    assert.equal(image?.id, ref);
    assert.deepEqual(image?.repoTags, [remote]);
    assert.match(
      image?.repoDigests[0] ?? '',
      new RegExp(`^${host.replace(/\./g, '\\.')}/k8ts/pushed@sha256:`),
    );
    assert.ok((await rt.cri.listImages()).some((i) => i.id === ref));

    await assert.rejects(rt.cri.pullImage(`${host}/k8ts/missing:1`), (err) => {
      assert.ok(err instanceof CriError);
      assert.match(err.message, /not found/);
      return true;
    });
  });
});
