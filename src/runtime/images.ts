// Images without a registry: k8ts builds its own pause and busybox images from Debian's static busybox as
// OCI image-layout tarballs, and imports tarballs (OCI or docker-archive) into containerd's k8s.io namespace
// with `ctr images import`, where the CRI plugin sees them.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { K8tsError } from '../errors.js';
import type { CriClient } from './cri/client.js';
import { createTar, type TarEntry } from './tar.js';

export const PAUSE_IMAGE = 'k8ts.local/pause:3.9';
export const BUSYBOX_IMAGE = 'k8ts.local/busybox:latest';
/** The containerd namespace the CRI plugin keeps its images and containers in. */
export const CRI_NAMESPACE = 'k8s.io';
export const DEFAULT_BUSYBOX = '/bin/busybox';
export const DEFAULT_CTR = '/usr/bin/ctr';

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Labels?: Record<string, string>;
}

export interface ImageDefinition {
  /** Full reference, e.g. k8ts.local/busybox:latest. */
  ref: string;
  /** Uncompressed layer tarballs, bottom first. */
  layers: Buffer[];
  config: ImageConfig;
}

export interface Blob {
  digest: string;
  size: number;
  data: Buffer;
}

function blob(data: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, size: data.length, data };
}

/** One image's content-addressed pieces: what an archive stores and what a registry push uploads. */
export interface ImageBlobs {
  manifest: Blob;
  config: Blob;
  /** gzip-compressed, bottom first. */
  layers: Blob[];
  mediaType: typeof MEDIA.manifest;
}

function goArch(): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return map[process.arch] ?? process.arch;
}

/** The tag part of a reference (what OCI's ref.name annotation carries). */
function tagOf(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > lastSlash ? ref.slice(colon + 1) : 'latest';
}

/** Builds an image's config, gzipped layers and manifest. */
export function buildImageBlobs(image: ImageDefinition): ImageBlobs {
  const layers = image.layers.map((tar) => ({
    diffId: blob(tar).digest,
    gz: blob(gzipSync(tar, { level: 6 })),
  }));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: goArch(),
        os: 'linux',
        config: {
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          ...image.config,
        },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: layers.map(() => ({ created_by: 'k8ts image builder' })),
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
        layers: layers.map((l) => ({ mediaType: MEDIA.layerGzip, digest: l.gz.digest, size: l.gz.size })),
      }),
    ),
  );
  return { manifest, config, layers: layers.map((l) => l.gz), mediaType: MEDIA.manifest };
}

/** An OCI image-layout tarball holding the given images (blobs shared between them are stored once). */
export function buildOciArchive(images: ImageDefinition[]): Buffer {
  const blobs = new Map<string, Blob>();
  const manifests: Record<string, unknown>[] = [];
  const platform = { architecture: goArch(), os: 'linux' };
  for (const image of images) {
    const built = buildImageBlobs(image);
    for (const b of [...built.layers, built.config, built.manifest]) blobs.set(b.digest, b);
    const manifest = built.manifest;
    manifests.push({
      mediaType: MEDIA.manifest,
      digest: manifest.digest,
      size: manifest.size,
      platform,
      annotations: {
        // containerd names the image from this; other tools read the OCI tag annotation.
        'io.containerd.image.name': image.ref,
        'org.opencontainers.image.ref.name': tagOf(image.ref),
      },
    });
  }
  const entries: TarEntry[] = [
    { path: 'oci-layout', type: 'file', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    {
      path: 'index.json',
      type: 'file',
      data: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests })),
    },
    { path: 'blobs/', type: 'dir' },
    { path: 'blobs/sha256/', type: 'dir' },
  ];
  for (const b of blobs.values()) {
    entries.push({ path: `blobs/sha256/${b.digest.slice('sha256:'.length)}`, type: 'file', data: b.data });
  }
  return createTar(entries);
}

/** The names busybox was built with (`busybox --list`), read from the binary itself. */
function busyboxApplets(busybox: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(busybox, ['--list'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${busybox} --list exited with ${code}`));
      else resolve(out.split('\n').filter((name) => name && name !== 'busybox' && !name.includes('/')));
    });
  });
}

/** A root filesystem layer: static busybox in /bin with every applet linked beside it, users, /tmp. */
export async function busyboxLayer(busybox = DEFAULT_BUSYBOX): Promise<Buffer> {
  if (!existsSync(busybox)) {
    throw new K8tsError(
      'Internal',
      `${busybox} is missing: install Debian's busybox-static (apt-get install busybox-static)`,
    );
  }
  const applets = await busyboxApplets(busybox);
  const entries: TarEntry[] = [
    { path: 'bin', type: 'dir' },
    { path: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(busybox) },
    ...applets.sort().map((name): TarEntry => ({ path: `bin/${name}`, type: 'symlink', target: 'busybox' })),
    { path: 'dev', type: 'dir' },
    { path: 'etc', type: 'dir' },
    {
      path: 'etc/passwd',
      type: 'file',
      data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n'),
    },
    { path: 'etc/group', type: 'file', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
    { path: 'home', type: 'dir' },
    { path: 'proc', type: 'dir' },
    { path: 'root', type: 'dir', mode: 0o700 },
    { path: 'sys', type: 'dir' },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    { path: 'usr', type: 'dir' },
    { path: 'usr/bin', type: 'dir' },
    // Scripts starting with #!/usr/bin/env find it.
    { path: 'usr/bin/env', type: 'symlink', target: '/bin/busybox' },
    { path: 'var', type: 'dir' },
  ];
  return createTar(entries);
}

/**
 * The pause image: the same busybox layer, so it costs no extra disk next to the busybox image. Its process
 * sleeps until a signal; SIGTERM/SIGINT end it at once (PID 1 ignores them unless it traps them). It does
 * not reap other processes: pods do not share a PID namespace with their sandbox unless asked to.
 */
export function pauseImage(layer: Buffer, ref = PAUSE_IMAGE): ImageDefinition {
  return {
    ref,
    layers: [layer],
    config: {
      Entrypoint: ['/bin/sh', '-c', "trap 'kill $! 2>/dev/null; exit 0' TERM INT; sleep 2147483647 & wait"],
      WorkingDir: '/',
      Labels: { 'io.k8ts.image': 'pause' },
    },
  };
}

export function busyboxImage(layer: Buffer, ref = BUSYBOX_IMAGE): ImageDefinition {
  return { ref, layers: [layer], config: { Cmd: ['sh'], WorkingDir: '/' } };
}

/** Writes an OCI archive with k8ts's built-in images (pause and busybox) to outPath. */
export async function writeBuiltinImages(
  outPath: string,
  which: ('pause' | 'busybox')[] = ['pause', 'busybox'],
  busybox = DEFAULT_BUSYBOX,
): Promise<void> {
  const layer = await busyboxLayer(busybox);
  const defs = which.map((name) => (name === 'pause' ? pauseImage(layer) : busyboxImage(layer)));
  await writeFile(outPath, buildOciArchive(defs));
}

export interface ImportOptions {
  ctr?: string;
  namespace?: string;
  /** Must match the CRI plugin's snapshotter so its containers find the unpacked layers. */
  snapshotter?: string;
  timeoutMs?: number;
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * `k8ts images import FILE.tar`: loads an OCI or docker-archive tarball (plain or gzip-compressed, which
 * ctr cannot read by itself, so it is streamed through gunzip) into containerd's k8s.io namespace,
 * unpacked for the CRI snapshotter. Returns the image names ctr reported.
 */
export function importImage(socket: string, tarPath: string, opts: ImportOptions = {}): Promise<string[]> {
  const ctr = opts.ctr ?? DEFAULT_CTR;
  if (!existsSync(tarPath)) return Promise.reject(new K8tsError('NotFound', `${tarPath} does not exist`));
  const gzip = isGzip(tarPath);
  const args = [
    '--address',
    socket,
    '--namespace',
    opts.namespace ?? CRI_NAMESPACE,
    'images',
    'import',
    '--snapshotter',
    opts.snapshotter ?? 'overlayfs',
    gzip ? '-' : tarPath,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(ctr, args, { stdio: [gzip ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let inputError: Error | null = null;
    if (gzip && child.stdin) {
      pipeline(createReadStream(tarPath), createGunzip(), child.stdin).catch((err: Error) => {
        inputError = err;
      });
    }
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new K8tsError('Internal', `cannot run ${ctr}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || inputError) {
        const why = signal ? `was killed (${signal})` : `exited with ${code}`;
        const detail = inputError ? `${(inputError as Error).message}; ${out.trim()}` : out.trim();
        reject(new K8tsError('BadRequest', `importing ${tarPath}: ctr ${why}: ${detail}`));
        return;
      }
      // ctr prints "unpacking NAME (sha256:...)...done" per image.
      const names = [...out.matchAll(/unpacking (\S+) \(sha256:[0-9a-f]+\)/g)].map((m) => m[1]);
      resolve(names);
    });
  });
}

/** Tarballs in dir that importImagesDir would load, sorted by name. */
export function imageTarballs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.(tar|tar\.gz|tgz)$/.test(name))
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .sort();
}

/** k3s's air-gap pattern: import every tarball in `<dataDir>/images/`. Returns the names imported. */
export async function importImagesDir(
  socket: string,
  dir: string,
  opts: ImportOptions = {},
): Promise<string[]> {
  const names: string[] = [];
  for (const path of imageTarballs(dir)) names.push(...(await importImage(socket, path, opts)));
  return names;
}

/**
 * Makes sure the pause and busybox images are in the runtime, building and importing only what is
 * missing. workDir receives the tarball it builds.
 */
export async function ensureBuiltinImages(
  cri: CriClient,
  socket: string,
  workDir: string,
  opts: ImportOptions & { busybox?: string } = {},
): Promise<{ imported: string[] }> {
  const missing: ('pause' | 'busybox')[] = [];
  if (!(await cri.imageStatus(PAUSE_IMAGE))) missing.push('pause');
  if (!(await cri.imageStatus(BUSYBOX_IMAGE))) missing.push('busybox');
  if (missing.length === 0) return { imported: [] };
  const tarPath = join(workDir, 'k8ts-builtin-images.tar');
  await writeBuiltinImages(tarPath, missing, opts.busybox);
  return { imported: await importImage(socket, tarPath, opts) };
}
