// Pulling through CRI from a registry: Debian's docker-registry on loopback (plain HTTP, configured with a
// hosts.toml under the data dir), holding an image pushed over HTTP that containerd has never seen.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriError } from '../../src/runtime/cri/client.js';
import { buildImageBlobs, busyboxLayer } from '../../src/runtime/images.js';
import { registryHostsToml, writeRegistryHost } from '../../src/runtime/registries.js';
import { createTar } from '../../src/runtime/tar.js';
import { runtimeSkipReason, startTestRuntime, type TestRuntime } from '../helpers/node-runtime.js';
import { pushImage, registrySkipReason, startRegistry, type TestRegistry } from '../helpers/registry.js';

const skip = runtimeSkipReason() ?? registrySkipReason();
if (skip) console.log(`# skipping registry pull test: ${skip}`);

describe('CRI PullImage from a loopback registry', { skip: skip ?? false, timeout: 60_000 }, () => {
  let rt: TestRuntime;
  let registry: TestRegistry | undefined;

  before(async () => {
    rt = await startTestRuntime({ slot: 2 });
    registry = await startRegistry(join(rt.dataDir, 'registry'));
  });

  after(async () => {
    await registry?.stop();
    if (rt) await rt.teardown();
  });

  it('writes hosts.toml for a plain-HTTP registry', () => {
    const toml = registryHostsToml({ host: '127.0.0.1:5000', endpoints: ['http://127.0.0.1:5000'] });
    assert.match(toml, /^server = "http:\/\/127\.0\.0\.1:5000"$/m);
    assert.match(toml, /^\[host\."http:\/\/127\.0\.0\.1:5000"\]$/m);
    assert.match(toml, /capabilities = \["pull", "resolve"\]/);
    assert.match(
      registryHostsToml({ host: 'r.example', skipVerify: true }),
      /^server = "https:\/\/r\.example"[\s\S]*skip_verify = true/m,
    );
  });

  it('pulls an image containerd has never seen and reports it through ImageStatus', async () => {
    const host = registry?.host ?? '';
    const marker = createTar([
      { path: 'pushed.txt', type: 'file', data: Buffer.from(`pid ${process.pid}\n`) },
    ]);
    const blobs = buildImageBlobs({ ref: 'unused', layers: [await busyboxLayer(), marker], config: {} });
    await pushImage(host, 'k8ts/pushed', '1', blobs);
    const remote = `${host}/k8ts/pushed:1`;
    assert.equal(await rt.cri.imageStatus(remote), null);

    writeRegistryHost(rt.dataDir, { host, endpoints: [`http://${host}`] });
    const t0 = performance.now();
    const ref = await rt.cri.pullImage(remote);
    console.log(`# pull from loopback registry ${Math.round(performance.now() - t0)} ms`);
    // containerd fetched both layers and the config from the registry (the registry logs each request
    // after answering it, so give the last line a moment).
    const blobGets = () =>
      new Set(registry?.log().match(/"GET \/v2\/k8ts\/pushed\/blobs\/sha256:[0-9a-f]+ /g) ?? []).size;
    for (let i = 0; i < 40 && blobGets() < 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(blobGets(), 3);

    assert.equal(ref, blobs.config.digest);
    const image = await rt.cri.imageStatus(remote);
    assert.equal(image?.id, ref);
    assert.deepEqual(image?.repoTags, [remote]);
    assert.deepEqual(image?.repoDigests, [`${host}/k8ts/pushed@${blobs.manifest.digest}`]);
    assert.ok((await rt.cri.listImages()).some((i) => i.id === ref));

    await assert.rejects(rt.cri.pullImage(`${host}/k8ts/missing:1`), (err) => {
      assert.ok(err instanceof CriError);
      assert.match(err.message, /not found/);
      return true;
    });
  });
});
