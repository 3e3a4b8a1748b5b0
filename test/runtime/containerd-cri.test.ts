// End to end on the real runtime: our supervised containerd, images built from the host's static busybox
// and imported without a registry, a pod on the CNI bridge serving HTTP, exec, CRI logs, a containerd
// crash that the supervisor repairs without touching running containers, and a teardown that leaves
// nothing behind. Prints the timings bench/node builds on.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isCriNotFound } from '../../src/runtime/cri/client.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/runtime/cri/types.js';
import {
  BUSYBOX_IMAGE,
  buildOciArchive,
  busyboxLayer,
  ensureBuiltinImages,
  importImage,
  importImagesDir,
  PAUSE_IMAGE,
} from '../../src/runtime/images.js';
import { createTar } from '../../src/runtime/tar.js';
import {
  mountsUnder,
  runtimeSkipReason,
  startTestRuntime,
  type TestRuntime,
} from '../helpers/node-runtime.js';

const skip = runtimeSkipReason();
if (skip) console.log(`# skipping container runtime tests: ${skip}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function ipv4InCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const [net, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(net) / size);
}

/** A port nothing on this host listens on now: the hostPort DNAT rule must not capture anyone's traffic. */
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

/** `docker save` layout: manifest.json naming a config file and an uncompressed layer.tar. */
function dockerArchive(ref: string, layer: Buffer): Buffer {
  const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const config = Buffer.from(
    JSON.stringify({
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${hex(layer)}`] },
    }),
  );
  const manifest = [{ Config: `${hex(config)}.json`, RepoTags: [ref], Layers: [`${hex(layer)}/layer.tar`] }];
  return createTar([
    { path: 'manifest.json', type: 'file', data: Buffer.from(JSON.stringify(manifest)) },
    { path: `${hex(config)}.json`, type: 'file', data: config },
    { path: `${hex(layer)}/`, type: 'dir' },
    { path: `${hex(layer)}/layer.tar`, type: 'file', data: layer },
  ]);
}

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  return { status: res.status, body: await res.text() };
}

describe('node runtime: containerd + CRI + CNI', { skip: skip ?? false, timeout: 60_000 }, () => {
  let rt: TestRuntime;
  const timings: Record<string, number> = {};
  let hostPort = 0;
  let sandboxConfig: PodSandboxConfig;
  let sandboxId = '';
  let httpdId = '';
  let podIP = '';

  before(async () => {
    hostPort = await freePort();
    rt = await startTestRuntime({ restartDelayMs: 50 });
    timings.containerdStartMs = rt.containerd.startupMs;
    timings.containerdIdleRssMiB = rt.containerd.rssBytes() / 2 ** 20;
  });

  after(async () => {
    if (!rt) return;
    const { dataDir, containerd } = rt;
    const pid = containerd.pid;
    await rt.teardown();
    assert.equal(mountsUnder(dataDir).length, 0, 'mounts left under the data dir');
    assert.ok(pid > 0);
    assert.throws(() => process.kill(pid, 0), 'containerd still running');
    console.log(`# runtime timings ${JSON.stringify(timings)}`);
  });

  it('starts containerd on its own socket with CRI v1 and a ready network', async () => {
    assert.ok(rt.containerd.socket.startsWith(rt.dataDir));
    assert.ok(rt.containerd.pid > 0);
    const v = await rt.cri.version();
    assert.equal(v.runtimeName, 'containerd');
    assert.equal(v.runtimeApiVersion, 'v1');
    const status = await rt.cri.status();
    const conditions = Object.fromEntries((status.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.deepEqual(conditions, { RuntimeReady: true, NetworkReady: true });
    const config = readFileSync(rt.containerd.paths.config, 'utf8');
    assert.match(config, /restrict_oom_score_adj = true/);
    assert.match(config, /SystemdCgroup = false/);
  });

  it('builds the pause and busybox images and imports them where CRI sees them', async () => {
    assert.equal(await rt.cri.imageStatus(PAUSE_IMAGE), null);
    const t0 = performance.now();
    const { imported } = await ensureBuiltinImages(rt.cri, rt.containerd.socket, rt.dataDir);
    timings.imageBuildAndImportMs = performance.now() - t0;
    assert.deepEqual(imported.sort(), [BUSYBOX_IMAGE, PAUSE_IMAGE].sort());
    const pause = await rt.cri.imageStatus(PAUSE_IMAGE);
    const busybox = await rt.cri.imageStatus(BUSYBOX_IMAGE);
    assert.ok(pause && busybox);
    assert.deepEqual(busybox.repoTags, [BUSYBOX_IMAGE]);
    assert.ok(Number(busybox.size) > 500_000);
    // A second call finds both and imports nothing.
    assert.deepEqual((await ensureBuiltinImages(rt.cri, rt.containerd.socket, rt.dataDir)).imported, []);
  });

  it('imports OCI and gzipped docker-archive tarballs dropped in <dataDir>/images (air-gap pattern)', async () => {
    const imagesDir = join(rt.dataDir, 'images');
    mkdirSync(imagesDir, { recursive: true });
    const base = await busyboxLayer();
    const extra = createTar([
      { path: 'hello.txt', type: 'file', data: Buffer.from('from a second layer\n') },
    ]);
    const archive = buildOciArchive([
      { ref: 'k8ts.local/airgap:1', layers: [base, extra], config: { Cmd: ['cat', '/hello.txt'] } },
    ]);
    writeFileSync(join(imagesDir, 'airgap.tar'), archive);
    writeFileSync(join(imagesDir, 'docker.tar.gz'), gzipSync(dockerArchive('k8ts.local/docker:1', base)));
    writeFileSync(join(imagesDir, 'notes.txt'), 'not an image');
    const t0 = performance.now();
    assert.deepEqual(await importImagesDir(rt.containerd.socket, imagesDir), [
      'k8ts.local/airgap:1',
      'k8ts.local/docker:1',
    ]);
    timings.airgapImportMs = performance.now() - t0;
    assert.ok(await rt.cri.imageStatus('k8ts.local/airgap:1'));
    assert.ok(await rt.cri.imageStatus('k8ts.local/docker:1'));
    await rt.cri.removeImage('k8ts.local/docker:1');
    writeFileSync(join(rt.dataDir, 'broken.tar'), 'not a tarball');
    await assert.rejects(importImage(rt.containerd.socket, join(rt.dataDir, 'broken.tar')), /ctr exited/);
  });

  it('runs a pod whose busybox httpd answers on its pod IP and on its host port', async () => {
    sandboxConfig = {
      metadata: { name: 'web', uid: `uid-${process.pid}`, namespace: 'default' },
      hostname: 'web-pod',
      logDirectory: join(rt.dataDir, 'pods', `default_web_uid-${process.pid}`),
      dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
      portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort }],
      labels: { app: 'web' },
      annotations: { 'k8ts.io/test': 'yes' },
      linux: {},
    };
    const httpd: ContainerConfig = {
      metadata: { name: 'httpd' },
      image: { image: BUSYBOX_IMAGE },
      command: [
        'sh',
        '-c',
        'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && echo hi && exec httpd -f -p 8080 -h /www',
      ],
      logPath: 'httpd/0.log',
      labels: { container: 'httpd' },
    };
    const t0 = performance.now();
    sandboxId = await rt.cri.runPodSandbox(sandboxConfig);
    timings.runPodSandboxMs = performance.now() - t0;
    httpdId = await rt.cri.createContainer(sandboxId, httpd, sandboxConfig);
    await rt.cri.startContainer(httpdId);
    timings.podStartMs = performance.now() - t0;

    const status = (await rt.cri.podSandboxStatus(sandboxId)).status;
    assert.ok(status);
    assert.equal(status.state, 'SANDBOX_READY');
    assert.equal(status.metadata?.name, 'web');
    assert.deepEqual(status.labels, { app: 'web' });
    assert.deepEqual(status.annotations, { 'k8ts.io/test': 'yes' });
    podIP = status.network?.ip ?? '';
    assert.ok(ipv4InCidr(podIP, rt.podCIDR), `pod IP ${podIP} not in ${rt.podCIDR}`);

    const c = (await rt.cri.containerStatus(httpdId)).status;
    assert.equal(c?.state, 'CONTAINER_RUNNING');
    assert.ok(BigInt(c?.startedAt ?? '0') > 0n);

    const t1 = performance.now();
    const page = await until('httpd to answer', () => httpGet(`http://${podIP}:8080/`));
    timings.firstHttpAfterStartMs = performance.now() - t1;
    assert.deepEqual(page, { status: 200, body: 'hello from web-pod\n' });
    assert.deepEqual(await httpGet(`http://127.0.0.1:${hostPort}/`), {
      status: 200,
      body: 'hello from web-pod\n',
    });
    timings.containerdRssWithPodMiB = rt.containerd.rssBytes() / 2 ** 20;
  });

  it('execs in the container: output, exit codes, hostname and DNS config', async () => {
    const t0 = performance.now();
    const hi = await rt.cri.execSync(httpdId, ['echo', 'hi'], 5);
    timings.execSyncMs = performance.now() - t0;
    assert.equal(hi.stdout.toString(), 'hi\n');
    assert.equal(hi.exitCode, 0);
    const fail = await rt.cri.execSync(httpdId, ['sh', '-c', 'echo oops >&2; exit 3'], 5);
    assert.equal(fail.exitCode, 3);
    assert.equal(fail.stderr.toString(), 'oops\n');
    assert.equal((await rt.cri.execSync(httpdId, ['hostname'], 5)).stdout.toString(), 'web-pod\n');
    const resolv = (await rt.cri.execSync(httpdId, ['cat', '/etc/resolv.conf'], 5)).stdout.toString();
    assert.match(resolv, /^nameserver 10\.96\.0\.10$/m);
    assert.match(resolv, /^search default\.svc\.cluster\.local$/m);
    assert.match(resolv, /^options ndots:5$/m);
    assert.match(
      await rt.cri.exec({ containerId: httpdId, cmd: ['sh'], stdout: true }),
      /^http:\/\/127\.0\.0\.1:\d+\//,
    );
    assert.match(await rt.cri.portForward(sandboxId, [8080]), /^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('reports container stats and image filesystem usage', async () => {
    const stats = await rt.cri.containerStats(httpdId);
    assert.equal(stats?.attributes?.id, httpdId);
    assert.ok(Number(stats?.memory?.workingSetBytes?.value ?? 0) > 0);
    assert.ok(Number(stats?.cpu?.usageCoreNanoSeconds?.value ?? 0) > 0);
    const all = await rt.cri.listContainerStats({ podSandboxId: sandboxId });
    assert.deepEqual(
      all.map((s) => s.attributes?.id),
      [httpdId],
    );
    const [fs] = await rt.cri.imageFsInfo();
    assert.ok(fs.fsId?.mountpoint.startsWith(rt.containerd.paths.root));
    // usedBytes is refreshed by containerd every stats_collect_period (10 s), so it may still read 0 here.
    assert.ok(fs.usedBytes);
  });

  it('writes container output to the CRI log file', async () => {
    const logPath = join(sandboxConfig.logDirectory ?? '', 'httpd/0.log');
    assert.equal((await rt.cri.containerStatus(httpdId)).status?.logPath, logPath);
    const log = readFileSync(logPath, 'utf8');
    assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) stdout F hi$/m);
  });

  it('runs a container from a two-layer imported image to completion', async () => {
    const id = await rt.cri.createContainer(
      sandboxId,
      { metadata: { name: 'check' }, image: { image: 'k8ts.local/airgap:1' }, logPath: 'check/0.log' },
      sandboxConfig,
    );
    await rt.cri.startContainer(id);
    const done = await until('check to exit', async () => {
      const s = (await rt.cri.containerStatus(id)).status;
      return s?.state === 'CONTAINER_EXITED' ? s : null;
    });
    assert.equal(done.exitCode, 0);
    assert.equal(done.reason, 'Completed');
    assert.match(
      readFileSync(join(sandboxConfig.logDirectory ?? '', 'check/0.log'), 'utf8'),
      /stdout F from a second layer$/m,
    );
    await rt.cri.removeContainer(id);
    await rt.cri.removeImage('k8ts.local/airgap:1');
    assert.equal(await rt.cri.imageStatus('k8ts.local/airgap:1'), null);
  });

  it('restarts containerd after it is killed, and running containers survive', async () => {
    const oldPid = rt.containerd.pid;
    process.kill(oldPid, 'SIGKILL');
    const t0 = performance.now();
    await until(
      'containerd to be restarted',
      async () => rt.containerd.restarts >= 1 && rt.containerd.pid !== oldPid,
    );
    timings.restartedPidMs = performance.now() - t0;
    await until('CRI to answer again', () => rt.cri.version(1_000));
    timings.restartAfterKillMs = performance.now() - t0;
    assert.equal((await rt.cri.containerStatus(httpdId)).status?.state, 'CONTAINER_RUNNING');
    assert.equal(
      (await rt.cri.execSync(httpdId, ['echo', 'still here'], 5)).stdout.toString(),
      'still here\n',
    );
    assert.equal((await httpGet(`http://${podIP}:8080/`)).status, 200);
  });

  it('stops and removes the container and the sandbox, leaving nothing', async () => {
    const t0 = performance.now();
    await rt.cri.stopContainer(httpdId, 5);
    timings.stopContainerMs = performance.now() - t0;
    const stopped = (await rt.cri.containerStatus(httpdId)).status;
    assert.equal(stopped?.state, 'CONTAINER_EXITED');
    await rt.cri.removeContainer(httpdId);
    await rt.cri.stopPodSandbox(sandboxId);
    await rt.cri.stopPodSandbox(sandboxId); // idempotent
    await rt.cri.removePodSandbox(sandboxId);
    await rt.cri.removePodSandbox(sandboxId); // idempotent
    timings.podTeardownMs = performance.now() - t0;
    assert.deepEqual(await rt.cri.listContainers(), []);
    assert.deepEqual(await rt.cri.listPodSandbox(), []);
    await assert.rejects(rt.cri.containerStatus(httpdId), (err) => isCriNotFound(err));
    await assert.rejects(rt.cri.podSandboxStatus(sandboxId), (err) => isCriNotFound(err));
    assert.deepEqual(mountsUnder(join(rt.containerd.paths.state, 'io.containerd.grpc.v1.cri')), []);
  });
});
