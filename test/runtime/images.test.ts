// The tar writer and the OCI image builder, checked against the system's tar and against the OCI layout
// rules containerd relies on (digests, diff IDs, the name annotations). No root needed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  BUSYBOX_IMAGE,
  buildOciArchive,
  busyboxImage,
  busyboxLayer,
  imageTarballs,
  PAUSE_IMAGE,
  pauseImage,
} from '../../src/runtime/images.js';
import { createTar } from '../../src/runtime/tar.js';

const work = mkdtempSync(join(tmpdir(), 'k8ts-images-'));
after(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Unpacks a tar buffer with the system tar into a fresh dir. */
function extract(tar: Buffer): string {
  const dir = mkdtempSync(join(work, 'x-'));
  const file = join(dir, '..', `${dir.split('/').pop()}.tar`);
  writeFileSync(file, tar);
  const r = spawnSync('tar', ['-xpf', file, '-C', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return dir;
}

/** Reads a tar produced by createTar (files only) into a map, to inspect archives without the system tar. */
function readTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  while (off + 512 <= tar.length && tar[off] !== 0) {
    const h = tar.subarray(off, off + 512);
    const field = (a: number, n: number) =>
      h
        .subarray(a, a + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = [field(345, 155), field(0, 100)].filter(Boolean).join('/');
    const size = Number.parseInt(field(124, 12), 8);
    if (h[156] === 0x30) files.set(name, tar.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

describe('tar writer', () => {
  it('writes files, directories and symlinks that tar extracts with modes intact', () => {
    const long = `${'deep/'.repeat(25)}file.txt`; // > 100 bytes: needs the ustar prefix field
    const tar = createTar([
      { path: 'bin', type: 'dir' },
      { path: 'bin/tool', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
      { path: 'bin/alias', type: 'symlink', target: 'tool' },
      { path: 'tmp', type: 'dir', mode: 0o1777 },
      { path: long, type: 'file', data: Buffer.alloc(1500, 7) },
      { path: 'empty', type: 'file' },
    ]);
    assert.equal(tar.length % 512, 0);
    const dir = extract(tar);
    assert.equal(readFileSync(join(dir, 'bin/tool'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(statSync(join(dir, 'bin/tool')).mode & 0o7777, 0o755);
    assert.equal(readlinkSync(join(dir, 'bin/alias')), 'tool');
    assert.equal(statSync(join(dir, 'tmp')).mode & 0o7777, 0o1777);
    assert.deepEqual(readFileSync(join(dir, long)), Buffer.alloc(1500, 7));
    assert.equal(statSync(join(dir, 'empty')).size, 0);
    const listing = spawnSync('tar', ['-tvf', '-'], { input: tar, encoding: 'utf8' });
    assert.equal(listing.status, 0);
    assert.match(listing.stdout, /root\/root/);
  });

  it('is deterministic', () => {
    const entries = [{ path: 'a', type: 'file' as const, data: Buffer.from('x') }];
    assert.deepEqual(createTar(entries), createTar(entries));
  });
});

describe('OCI image archive', async () => {
  const layer = await busyboxLayer();

  it('builds a busybox root filesystem with every applet linked', () => {
    const dir = extract(layer);
    assert.ok(statSync(join(dir, 'bin/busybox')).mode & 0o111);
    for (const applet of ['sh', 'httpd', 'nc', 'sleep', 'wget', 'cat', 'echo', 'ls', 'tar']) {
      assert.equal(readlinkSync(join(dir, 'bin', applet)), 'busybox', applet);
    }
    assert.match(readFileSync(join(dir, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);
    assert.match(readFileSync(join(dir, 'etc/group'), 'utf8'), /^root:x:0:/);
    assert.equal(statSync(join(dir, 'tmp')).mode & 0o7777, 0o1777);
    const sh = spawnSync(join(dir, 'bin/sh'), ['-c', 'echo $((6*7))'], { encoding: 'utf8' });
    assert.equal(sh.stdout, '42\n');
  });

  it('lays out index, manifests, configs and layers with matching digests and names', () => {
    const archive = buildOciArchive([pauseImage(layer), busyboxImage(layer)]);
    const files = readTar(archive);
    assert.deepEqual(JSON.parse(files.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
    const blob = (digest: string) => {
      const data = files.get(`blobs/sha256/${digest.slice(7)}`);
      assert.ok(data, `missing blob ${digest}`);
      assert.equal(sha256(data), digest);
      return data;
    };
    const index = JSON.parse(files.get('index.json')!.toString());
    assert.equal(index.schemaVersion, 2);
    const names = index.manifests.map((m: any) => m.annotations['io.containerd.image.name']);
    assert.deepEqual(names, [PAUSE_IMAGE, BUSYBOX_IMAGE]);
    assert.deepEqual(
      index.manifests.map((m: any) => m.annotations['org.opencontainers.image.ref.name']),
      ['3.9', 'latest'],
    );
    const layerDigests = new Set<string>();
    for (const desc of index.manifests) {
      const manifestBytes = blob(desc.digest);
      assert.equal(manifestBytes.length, desc.size);
      const manifest = JSON.parse(manifestBytes.toString());
      const config = JSON.parse(blob(manifest.config.digest).toString());
      assert.equal(config.os, 'linux');
      assert.equal(manifest.layers.length, 1);
      const gz = blob(manifest.layers[0].digest);
      assert.equal(gz.length, manifest.layers[0].size);
      // The config names each layer by the digest of its uncompressed tar.
      assert.deepEqual(config.rootfs.diff_ids, [sha256(gunzipSync(gz))]);
      layerDigests.add(manifest.layers[0].digest);
    }
    // Both images share the busybox layer, stored once.
    assert.equal(layerDigests.size, 1);
    assert.equal([...files.keys()].filter((k) => k.startsWith('blobs/sha256/')).length, 5);
  });

  it('gives the pause image an entrypoint that sleeps and exits on SIGTERM', () => {
    const pause = pauseImage(layer);
    assert.deepEqual(pause.config.Entrypoint?.slice(0, 2), ['/bin/sh', '-c']);
    const script = pause.config.Entrypoint?.[2] ?? '';
    const dir = extract(layer);
    const t0 = Date.now();
    // --preserve-status: timeout exits with the script's own status after sending TERM (143 if TERM killed it).
    const child = spawnSync('timeout', [
      '--preserve-status',
      '-s',
      'TERM',
      '0.3',
      join(dir, 'bin/sh'),
      '-c',
      script,
    ]);
    assert.equal(child.status, 0);
    assert.ok(Date.now() - t0 < 5_000);
  });

  it('lists only tarballs in an images dir', () => {
    const dir = mkdtempSync(join(work, 'images-'));
    for (const name of ['b.tar', 'a.tar.gz', 'c.tgz', 'notes.txt']) writeFileSync(join(dir, name), '');
    assert.deepEqual(
      imageTarballs(dir).map((p) => p.slice(dir.length + 1)),
      ['a.tar.gz', 'b.tar', 'c.tgz'],
    );
    assert.deepEqual(imageTarballs(join(dir, 'missing')), []);
    assert.ok(!existsSync(join(dir, 'missing')));
  });
});
