// Polling for tests against real servers, where there is no clock to drive.
import assert from 'node:assert/strict';

/** Polls until `check` returns a value; `step` runs between polls (e.g. advancing a fake clock). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; step?: () => Promise<void> } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const last = await check();
    if (last !== undefined) return last;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    if (opts.step) await opts.step();
    await new Promise((r) => setTimeout(r, 25));
  }
}
