// What the kubelet's in-process unit tests stand on: an API server over the memory store, a REST client to
// it, a temporary data dir, and a kubelet EventRecorder whose events land in the caller's array.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecorder } from '../../src/client/events.js';
import { RestClient } from '../../src/client/rest.js';
import { startTestApi, type TestApi } from './apiserver.js';
import { capturingKubeletRecorder } from './recorder.js';

type Obj = Record<string, any>;

export interface KubeletUnitEnv {
  api: TestApi;
  rest: RestClient;
  dataDir: string;
  recorder: EventRecorder;
  /** Closes the recorder, the client and the server, and removes the data dir. */
  close(): Promise<void>;
}

export async function startKubeletUnitEnv(dirPrefix: string, events: Obj[]): Promise<KubeletUnitEnv> {
  const api = await startTestApi();
  const rest = new RestClient({ baseUrl: api.url });
  const dataDir = mkdtempSync(join(tmpdir(), dirPrefix));
  const recorder = capturingKubeletRecorder(events);
  return {
    api,
    rest,
    dataDir,
    recorder,
    async close() {
      await recorder.close();
      rest.close();
      await api.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
