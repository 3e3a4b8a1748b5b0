// Writes the files of an API-data volume so a reader never sees a half-updated set, as upstream's
// pkg/volume/util/atomic_writer.go lays them out: the files live in a hidden timestamped directory
// `..<time>.<random>`; `..data` is a symlink to the current one; each top-level name is a symlink to
// `..data/<name>`. An update writes a new timestamped directory, points `..data_tmp` at it and renames
// that over `..data` (one atomic rename), then fixes the top-level links and removes the old directory.
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { cleanPath, type Payload, topLevelNames, validatePayloadPath } from './paths.js';

export const DATA_DIR_NAME = '..data';
const DATA_DIR_TMP_NAME = '..data_tmp';

function timestampName(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

function currentDataDir(target: string): string | undefined {
  try {
    return readlinkSync(join(target, DATA_DIR_NAME));
  } catch {
    return undefined;
  }
}

/** Every regular file below dir, by relative path. */
function readTree(dir: string, prefix = '', out = new Map<string, { data: Buffer; mode: number }>()) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const full = join(dir, e.name);
    if (e.isDirectory()) readTree(full, rel, out);
    else out.set(rel, { data: readFileSync(full), mode: statSync(full).mode & 0o777 });
  }
  return out;
}

function sameContent(dir: string, payload: Payload): boolean {
  let old: Map<string, { data: Buffer; mode: number }>;
  try {
    old = readTree(dir);
  } catch {
    return false;
  }
  if (old.size !== payload.size) return false;
  for (const [path, f] of payload) {
    const o = old.get(path);
    if (!o || o.mode !== f.mode || !o.data.equals(f.data)) return false;
  }
  return true;
}

/**
 * Makes target hold exactly payload (paths are cleaned and checked first; a bad one changes nothing).
 * Returns whether anything was written.
 */
export function writeAtomic(target: string, input: Payload, now: Date = new Date()): boolean {
  const payload: Payload = new Map();
  for (const [path, f] of input) {
    validatePayloadPath(path);
    payload.set(cleanPath(path), f);
  }
  mkdirSync(target, { recursive: true });
  const old = currentDataDir(target);
  if (old !== undefined && sameContent(join(target, old), payload)) return false;

  // 1. the new generation, complete, in its own hidden directory
  const fresh = mkdtempSync(join(target, timestampName(now)));
  chmodSync(fresh, 0o755);
  for (const [path, f] of payload) {
    const file = join(fresh, path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, f.data, { mode: f.mode });
    chmodSync(file, f.mode); // the umask must not narrow it
  }
  // 2. the swap: ..data_tmp -> new generation, renamed over ..data in one step
  const tmpLink = join(target, DATA_DIR_TMP_NAME);
  rmSync(tmpLink, { force: true });
  symlinkSync(fresh.slice(target.length + 1), tmpLink);
  renameSync(tmpLink, join(target, DATA_DIR_NAME));

  // 3. user-visible names: link the new ones, drop the ones the payload no longer has
  const names = topLevelNames(payload);
  for (const name of names) {
    const link = join(target, name);
    let isLink = false;
    try {
      isLink = lstatSync(link).isSymbolicLink();
      if (!isLink) rmSync(link, { recursive: true, force: true });
    } catch {}
    if (!isLink) symlinkSync(join(DATA_DIR_NAME, name), link);
  }
  for (const e of readdirSync(target, { withFileTypes: true }))
    if (!e.name.startsWith('..') && !names.has(e.name) && e.isSymbolicLink())
      unlinkSync(join(target, e.name));

  // 4. the previous generation goes
  if (old?.startsWith('..') && !old.includes('/'))
    rmSync(join(target, old), { recursive: true, force: true });
  return true;
}
