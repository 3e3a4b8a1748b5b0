// Shared helpers for controller tests against the in-process API server.
import assert from 'node:assert/strict';
import type { TestApi } from './apiserver.js';

type Obj = Record<string, any>;

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

export async function createNamespace(api: TestApi, name: string): Promise<void> {
  const r = await api.req('POST', '/api/v1/namespaces', { metadata: { name } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

export async function setPodStatus(api: TestApi, pod: Obj, status: Obj): Promise<Obj> {
  const ns = pod.metadata.namespace;
  const cur = (await api.req('GET', `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`)).body;
  cur.status = { ...cur.status, ...status };
  const r = await api.req('PUT', `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/status`, cur);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
