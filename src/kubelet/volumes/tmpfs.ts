// tmpfs mounts for `emptyDir.medium: Memory`, found again through /proc/mounts after a kubelet restart.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function decodeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** The mount points below (or at) dir, deepest first. */
export function mountsBelow(dir: string): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/mounts', 'utf8');
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

export function isMountPoint(dir: string): boolean {
  return mountsBelow(dir).includes(dir);
}

/**
 * Mounts a tmpfs at dir (size in bytes, unset: the kernel's default of half the memory; mode unset:
 * tmpfs's own 1777).
 */
export function mountTmpfs(dir: string, sizeBytes: number | undefined, mode?: string): void {
  const opts = [...(mode ? [`mode=${mode}`] : []), ...(sizeBytes !== undefined ? [`size=${sizeBytes}`] : [])];
  const args = ['-t', 'tmpfs', ...(opts.length > 0 ? ['-o', opts.join(',')] : []), 'tmpfs', dir];
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`mount tmpfs at ${dir}: ${(r.stderr || r.error?.message || '').trim()}`);
}

export function unmount(dir: string): void {
  const r = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    // A busy mount (a process still holds it) is detached now and freed when released.
    spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
  }
}
