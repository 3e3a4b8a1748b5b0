// Finds a container's CRI log file for the log server: the current instance's, or with previous the one
// before it (what `kubectl logs --previous` shows), from the runtime's state for the pod, and whether the
// newest instance still runs (so `logs -f` ends once it has stopped).
import type { CriClient } from '../runtime/cri/client.js';
import type { Obj } from './refs.js';
import { instancesOf, readPodRuntime } from './runtime-state.js';
import type { LogResolver } from './server.js';

export function logResolver(
  cri: CriClient,
  findPod: (namespace: string, name: string) => Obj | undefined,
): Required<LogResolver> {
  return {
    async resolve(namespace, podName, container, previous) {
      const pod = findPod(namespace, podName);
      if (!pod) return undefined;
      const rt = await readPodRuntime(cri, pod.metadata.uid);
      const { latest, previous: before } = instancesOf(rt, container);
      const c = previous ? before : latest;
      return c?.logPath || undefined;
    },
    async running(namespace, podName, container) {
      const pod = findPod(namespace, podName);
      if (!pod) return false;
      const { latest } = instancesOf(await readPodRuntime(cri, pod.metadata.uid), container);
      return latest?.state === 'CONTAINER_RUNNING';
    },
  };
}
