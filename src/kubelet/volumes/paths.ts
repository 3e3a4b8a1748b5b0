// Paths and modes of the files an API-data volume (configMap, secret, downwardAPI, projected) holds, as
// upstream's atomic writer and volume plugins check them.

/** The file mode when neither the item nor the volume names one (upstream: 0644). */
export const DEFAULT_FILE_MODE = 0o644;

/** One file of a payload: its bytes and mode, by its path relative to the volume. */
export interface FileProjection {
  data: Buffer;
  mode: number;
}
export type Payload = Map<string, FileProjection>;

/** Thrown for a payload the writer refuses (a bad path, a missing key): the volume cannot be set up. */
export class VolumeSetupError extends Error {}

/**
 * A payload path must be relative, at most 4096 characters, with no element longer than 255, no `..`
 * element and not starting with `..` (the names the writer keeps for itself).
 */
export function validatePayloadPath(path: string): void {
  if (path === '') throw new VolumeSetupError('invalid path: must not be empty');
  if (path.length > 4096)
    throw new VolumeSetupError(`invalid path: must be less than or equal to 4096 characters`);
  if (path.startsWith('/')) throw new VolumeSetupError(`invalid path: must be relative path: ${path}`);
  if (path.startsWith('..')) throw new VolumeSetupError(`invalid path: must not start with '..': ${path}`);
  for (const element of path.split('/')) {
    if (element === '..') throw new VolumeSetupError(`invalid path: must not contain '..': ${path}`);
    if (element.length > 255)
      throw new VolumeSetupError(`invalid path: must not contain path elements longer than 255 characters`);
  }
}

/** The path cleaned as Go's filepath.Clean does for a relative path (`a//b/./c` is `a/b/c`). */
export function cleanPath(path: string): string {
  return path
    .split('/')
    .filter((e) => e !== '' && e !== '.')
    .join('/');
}

/** The mode of one item: its own, else the volume's defaultMode, else 0644; only permission bits. */
export function fileMode(itemMode: unknown, defaultMode: unknown): number {
  const m =
    typeof itemMode === 'number'
      ? itemMode
      : typeof defaultMode === 'number'
        ? defaultMode
        : DEFAULT_FILE_MODE;
  return m & 0o777;
}

/** The top-level names of a payload: the entries the writer links to `..data/<name>`. */
export function topLevelNames(payload: Payload): Set<string> {
  return new Set([...payload.keys()].map((p) => p.split('/')[0]!));
}
