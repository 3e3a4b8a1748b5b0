// Runs nft scripts: `nft -f -` with the script on stdin, one atomic transaction per call. The command is
// configurable so that tests and benchmarks can run it inside a network namespace they made
// (`ip netns exec NS nft`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export type NftRunner = (script: string) => Promise<void>;

export const DEFAULT_NFT = '/usr/sbin/nft';

export function nftAvailable(bin = DEFAULT_NFT): boolean {
  return existsSync(bin);
}

export class NftError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** A runner for `command... -f -` (default: `nft -f -`). */
export function nftRunner(command: string[] = [DEFAULT_NFT]): NftRunner {
  return (script) =>
    new Promise((resolve, reject) => {
      const child = spawn(command[0], [...command.slice(1), '-f', '-'], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        if (stderr.length < 64_000) stderr += d.toString();
      });
      child.once('error', (err) => reject(new NftError(`cannot run ${command[0]}: ${err.message}`, '')));
      child.once('exit', (code, signal) => {
        if (code === 0) resolve();
        else
          reject(
            new NftError(
              `nft failed (${signal ?? `exit ${code}`}): ${stderr.split('\n').slice(0, 6).join('\n')}`,
              stderr,
            ),
          );
      });
      child.stdin!.on('error', () => {}); // nft may exit before reading everything; the exit code tells
      child.stdin!.end(script);
    });
}
