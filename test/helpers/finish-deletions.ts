// Stands in for the kubelets of Node objects that have none: a pod being deleted gracefully is removed
// at once (delete with gracePeriodSeconds 0), as a kubelet does once its containers stopped. Records
// each such pod as last seen, so tests can check what was set on it before it went.
import { isNotFound } from '../../src/client/apierror.js';
import { PODS } from '../../src/client/index.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { silentLogger } from '../../src/client/log.js';
import { RestClient } from '../../src/client/rest.js';

export interface DeletionFinisher {
  /** namespace/name -> the pod as it was when its deletion began. */
  finished: Map<string, Record<string, any>>;
  stop(): Promise<void>;
}

export async function finishDeletions(baseUrl: string): Promise<DeletionFinisher> {
  const rest = new RestClient({ baseUrl });
  const factory = new SharedInformerFactory(rest, { log: silentLogger });
  const pods = rest.resource(PODS);
  const finished = new Map<string, Record<string, any>>();
  const pending = new Set<Promise<unknown>>();
  const onPod = (pod: Record<string, any>) => {
    if (!pod.metadata?.deletionTimestamp) return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (finished.has(key)) return;
    finished.set(key, pod);
    const p = pods
      .in(pod.metadata.namespace)
      .delete(pod.metadata.name, { gracePeriodSeconds: 0 })
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    pending.add(p);
    p.finally(() => pending.delete(p));
  };
  factory.informerFor(PODS).addEventHandler({ onAdd: onPod, onUpdate: (_old, pod) => onPod(pod) });
  factory.start();
  await factory.waitForSync();
  return {
    finished,
    async stop() {
      await Promise.allSettled([...pending]);
      await factory.stop();
      rest.close();
    },
  };
}
