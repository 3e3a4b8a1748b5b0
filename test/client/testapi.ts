// An in-process API server whose registry also serves Leases and Events, which the client layer writes.
// When the shared registry already has them (once the resources branch is merged) those defs are used.
import { Registry, registry } from '../../src/api/registry.js';
import type { ResourceDef } from '../../src/api/types.js';
import { ApiServer } from '../../src/apiserver/server.js';
import { openMemoryBackend } from '../../src/storage/memory/index.js';

const extra: ResourceDef[] = [
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    singular: 'lease',
    namespaced: true,
    schemaName: 'io.k8s.api.coordination.v1.Lease',
  },
  {
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    singular: 'event',
    namespaced: true,
    shortNames: ['ev'],
    schemaName: 'io.k8s.api.core.v1.Event',
  },
];

export async function startClientTestApi(): Promise<{ url: string; close(): Promise<void> }> {
  const base = registry();
  const missing = extra.filter((d) => !base.lookup(d.group, d.version, d.plural));
  const backend = await openMemoryBackend();
  const api = new ApiServer({
    backend,
    registry: missing.length ? new Registry([...base.resources, ...missing]) : base,
  });
  const { port } = await api.listen(0);
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await api.close();
      await backend.close();
    },
  };
}
