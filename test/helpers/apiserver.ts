// Starts an in-process API server on a loopback port over the memory store, for handler tests.
import { ApiServer, type ApiServerOptions } from '../../src/apiserver/server.js';
import type { Backend } from '../../src/storage/backend.js';
import { openMemoryBackend } from '../../src/storage/memory/index.js';

export interface TestApi {
  url: string;
  api: ApiServer;
  backend: Backend;
  close(): Promise<void>;
  /** fetch relative to the server with JSON helpers. */
  req(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
}

export async function startTestApi(
  opts: Partial<Pick<ApiServerOptions, 'backend' | 'now' | 'tokenSigner' | 'tokenLifetime'>> = {},
): Promise<TestApi> {
  const backend = opts.backend ?? (await openMemoryBackend());
  const api = new ApiServer({ ...opts, backend });
  const addr = await api.listen(0);
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url,
    api,
    backend,
    async close() {
      await api.close();
      await backend.close();
    },
    async req(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body =
          typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (e.g. healthz)
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
}
