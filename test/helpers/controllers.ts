// Shared helpers for controller tests against the in-process API server.
import assert from 'node:assert/strict';
import type { TestApi } from './apiserver.js';

type Obj = Record<string, any>;

export { eventually } from './eventually.js';

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
