// hostPath volumes: the path on the node is mounted as it is, after the check its `type` asks for
// (upstream's hostpath plugin): DirectoryOrCreate / FileOrCreate make what is missing (0755 directory,
// 0644 empty file; a missing parent of a file is an error), the other types only check what is there.
import { closeSync, mkdirSync, openSync, type Stats, statSync } from 'node:fs';
import { VolumeSetupError } from './paths.js';

function stat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function failed(path: string, what: string): VolumeSetupError {
  return new VolumeSetupError(`hostPath type check failed: ${path} is not ${what}`);
}

/** Checks (and for the *OrCreate types makes) the host path; throws VolumeSetupError as upstream words it. */
export function checkHostPathType(path: string, type: string | undefined): void {
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!stat(path)) mkdirSync(path, { recursive: true, mode: 0o755 });
      if (!stat(path)?.isDirectory()) throw failed(path, 'a directory');
      return;
    case 'Directory':
      if (!stat(path)?.isDirectory()) throw failed(path, 'a directory');
      return;
    case 'FileOrCreate':
      if (!stat(path)) {
        try {
          closeSync(openSync(path, 'a', 0o644));
        } catch (err) {
          throw new VolumeSetupError(`hostPath type check failed: ${(err as Error).message}`);
        }
      }
      if (!stat(path)?.isFile()) throw failed(path, 'a file');
      return;
    case 'File':
      if (!stat(path)?.isFile()) throw failed(path, 'a file');
      return;
    case 'Socket':
      if (!stat(path)?.isSocket()) throw failed(path, 'a socket file');
      return;
    case 'CharDevice':
      if (!stat(path)?.isCharacterDevice()) throw failed(path, 'a character device');
      return;
    case 'BlockDevice':
      if (!stat(path)?.isBlockDevice()) throw failed(path, 'a block device');
      return;
    default:
      throw new VolumeSetupError(`hostPath type check failed: unknown type ${JSON.stringify(type)}`);
  }
}
