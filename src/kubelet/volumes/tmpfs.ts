// tmpfs mounts for `emptyDir.medium: Memory` and memory-backed secret/projected volumes, found again
// through /proc/self/mounts after a kubelet restart. mount(8) and umount(8) run as child processes without
// blocking the event loop: a pod start must not stall every other pod worker while one mount runs.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

function decodeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** The mount points below (or at) dir, deepest first. */
export async function mountsBelow(dir: string): Promise<string[]> {
  let text = '';
  try {
    text = await readFile('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const point = line.split(' ')[1];
    if (!point) continue;
    const p = decodeMountField(point);
    if (p === dir || p.startsWith(`${dir}/`)) out.push(p);
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Whether something is mounted at dir: its device differs from its parent's (every tmpfs has a device of
 * its own). Cheaper than reading the mount table, which grows with every pod.
 */
export async function isMountPoint(dir: string): Promise<boolean> {
  const [self, parent] = await Promise.all([stat(dir), stat(dirname(dir))]);
  return self.dev !== parent.dev || self.ino === parent.ino;
}

function run(cmd: string, args: string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, _stdout, stderr) =>
      resolve({ ok: !err, stderr: (stderr || err?.message || '').trim() }),
    );
  });
}

/**
 * Mounts a tmpfs at dir (size in bytes, unset: the kernel's default of half the memory; mode unset:
 * tmpfs's own 1777).
 */
export async function mountTmpfs(dir: string, sizeBytes: number | undefined, mode?: string): Promise<void> {
  const opts = [...(mode ? [`mode=${mode}`] : []), ...(sizeBytes !== undefined ? [`size=${sizeBytes}`] : [])];
  const args = ['-t', 'tmpfs', ...(opts.length > 0 ? ['-o', opts.join(',')] : []), 'tmpfs', dir];
  const r = await run('mount', args);
  if (!r.ok) throw new Error(`mount tmpfs at ${dir}: ${r.stderr}`);
}

export async function unmount(dir: string): Promise<void> {
  const r = await run('umount', [dir]);
  // A busy mount (a process still holds it) is detached now and freed when released.
  if (!r.ok) await run('umount', ['-l', dir]);
}
