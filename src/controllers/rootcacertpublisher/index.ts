// The root CA publisher (upstream's root-ca-cert-publisher): every namespace that is not being deleted
// holds a `kube-root-ca.crt` ConfigMap whose `ca.crt` is the bundle that verifies the API server; the
// projected API access volume of every pod reads it. Recreated when deleted, put back when edited.
// The API server speaks plain HTTP for now, so the bundle is empty until it serves TLS.
import { ROOT_CA_CONFIGMAP } from '../../api/podspec/admission.js';
import { CONFIGMAPS, isAlreadyExists, isNotFound, NAMESPACES, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'The CA bundle that verifies the API server at its in-cluster addresses (kubernetes.default.svc, the service IP).';

function terminating(ns: Obj): boolean {
  return Boolean(ns.metadata.deletionTimestamp) || ns.status?.phase === 'Terminating';
}

export function start(ctx: ControllerContext, caBundle = ''): StartedController {
  const queue = new WorkQueue<string>({ name: 'root-ca-cert-publisher', clock: ctx.clock });
  const namespaces = ctx.informers.informerFor<Obj>(NAMESPACES);
  const configMaps = ctx.informers.informerFor<Obj>(CONFIGMAPS);
  const byName = (o: Obj) => queue.add(o.metadata.name);
  namespaces.addEventHandler({ onAdd: byName, onUpdate: (_old, cur) => byName(cur) });
  const ours = (cm: Obj) => {
    if (cm.metadata?.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) queue.add(cm.metadata.namespace);
  };
  configMaps.addEventHandler({ onUpdate: (_old, cur) => ours(cur), onDelete: ours });

  const want = (): Obj => ({ 'ca.crt': caBundle });
  return runWhenSynced(ctx, {
    name: 'root-ca-cert-publisher',
    queue,
    workers: 2,
    reconcile: async (name) => {
      const ns = namespaces.store.get(name);
      if (!ns || terminating(ns)) return;
      const client = ctx.rest.resource<Obj>(CONFIGMAPS).in(name);
      const cm = configMaps.store.get(`${name}/${ROOT_CA_CONFIGMAP}`);
      try {
        if (!cm) {
          await client.create({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
            data: want(),
          });
          return;
        }
        const data = cm.data ?? {};
        if (Object.keys(data).length === 1 && data['ca.crt'] === caBundle) return;
        await client.update({ ...cm, data: want() });
      } catch (err) {
        // Already there (the cache is behind) or the namespace is gone: nothing to do. A namespace that
        // began terminating answers 403; the retry finds it terminating in the cache and stops.
        if (isAlreadyExists(err) || isNotFound(err)) return;
        throw err;
      }
    },
  });
}
