// Test harness: Debian's docker-registry on a free loopback port (plain HTTP, storage in a temp dir), and a
// push over the registry v2 HTTP API of images k8ts builds itself, so pull tests need no other tool.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import type { ImageBlobs } from '../../src/runtime/images.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export function registrySkipReason(): string | null {
  return existsSync(REGISTRY_BIN) ? null : `${REGISTRY_BIN} is missing (apt-get install docker-registry)`;
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestRegistry {
  /** host:port, as image references name it. */
  host: string;
  /** The access log: one line per request. */
  log(): string;
  stop(): Promise<void>;
}

export async function startRegistry(dir: string): Promise<TestRegistry> {
  mkdirSync(dir, { recursive: true });
  const host = `127.0.0.1:${await freeLoopbackPort()}`;
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${host}\n`,
  );
  const logPath = join(dir, 'registry.log');
  const fd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const stop = async () => {
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid, 'SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry did not start: ${readFileSync(logPath, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, log: () => readFileSync(logPath, 'utf8'), stop };
}

/** Uploads an image's blobs (monolithic uploads) and its manifest under repo:tag. */
export async function pushImage(host: string, repo: string, tag: string, image: ImageBlobs): Promise<void> {
  const base = `http://${host}/v2/${repo}`;
  for (const blob of [...image.layers, image.config]) {
    const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
    if (start.status !== 202) throw new Error(`upload start: HTTP ${start.status}`);
    const location = new URL(start.headers.get('location') ?? '', `http://${host}`);
    location.searchParams.set('digest', blob.digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: blob.data,
    });
    if (put.status !== 201) throw new Error(`blob ${blob.digest}: HTTP ${put.status}`);
  }
  const res = await fetch(`${base}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': image.mediaType },
    body: image.manifest.data,
  });
  if (res.status !== 201) throw new Error(`manifest: HTTP ${res.status} ${await res.text()}`);
}
