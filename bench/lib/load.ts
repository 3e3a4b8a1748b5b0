// Pieces the API server benches share: waiting for a started server's ready line, and the ConfigMap body
// they create (the same object in each, so their per-create figures compare).
import type { ChildProcess } from 'node:child_process';

/** Resolves with the first match of re in the child's stdout or stderr; rejects if it exits first. */
export function waitForLine(child: ChildProcess, re: RegExp): Promise<RegExpMatchArray> {
  return new Promise((res, rej) => {
    let out = '';
    const on = (d: Buffer) => {
      out += d.toString();
      const m = out.match(re);
      if (m) res(m);
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (c) => rej(new Error(`exited ${c}: ${out}`)));
  });
}

export const cmBody = (name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'x'.repeat(200) } });
