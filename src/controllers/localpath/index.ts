// A local-path provisioner (as Rancher's local-path-provisioner, which k3s ships): it keeps the default
// StorageClass `local-path` (provisioner rancher.io/local-path, WaitForFirstConsumer, reclaim Delete), and
// for a claim handed to it (volume.kubernetes.io/storage-provisioner) once the scheduler chose a node
// (volume.kubernetes.io/selected-node) makes a PersistentVolume `pvc-<claim uid>`: a hostPath directory
// `<dir>/pvc-<uid>_<namespace>_<name>` (DirectoryOrCreate, so the kubelet makes it), pinned to that node by
// nodeAffinity and reserved for the claim by claimRef; the binder then binds them. A Released volume with
// reclaim policy Delete is emptied by a helper pod on its node (`rm -rf`, as Rancher's helper pod does;
// the controller never touches a node's disk itself), then deleted.
import { basename, dirname } from 'node:path';
import { DEFAULT_CLASS_ANNOTATION } from '../../api/resources/storageclass.js';
import {
  isAlreadyExists,
  isNotFound,
  PODS,
  PVCS,
  PVS,
  STORAGE_CLASSES,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import {
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimClass,
} from '../persistentvolume/index.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
export const LOCAL_PATH_CLASS = 'local-path';
/** Rancher's default; `k8ts server` passes `<data-dir>/storage`. */
export const DEFAULT_LOCAL_PATH_DIR = '/opt/local-path-provisioner';
const HELPER_NAMESPACE = 'kube-system';
const HELPER_IMAGE = 'k8ts.local/busybox:latest';

export function localPathClass(): Obj {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** The volume for a claim on a node. */
export function volumeFor(pvc: Obj, sc: Obj, node: string, dir: string): Obj {
  const m = pvc.metadata;
  const name = `pvc-${m.uid}`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: pvc.spec.resources.requests.storage },
      accessModes: pvc.spec.accessModes,
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata.name,
      volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
      },
      hostPath: {
        path: `${dir.replace(/\/+$/, '')}/${name}_${m.namespace}_${m.name}`,
        type: 'DirectoryOrCreate',
      },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
          ],
        },
      },
    },
  };
}

/** The node a local volume is pinned to. */
function nodeOf(pv: Obj): string | undefined {
  return pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.find(
    (e: Obj) => e.key === 'kubernetes.io/hostname',
  )?.values?.[0];
}

/** The pod that empties a released volume's directory on its node. */
export function helperPodFor(pv: Obj, node: string): Obj {
  const path: string = pv.spec.hostPath.path;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `helper-pod-delete-${pv.metadata.name}`, namespace: HELPER_NAMESPACE },
    spec: {
      nodeName: node,
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'helper-pod',
          image: HELPER_IMAGE,
          command: ['rm', '-rf', `/data/${basename(path)}`],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', hostPath: { path: dirname(path), type: 'DirectoryOrCreate' } }],
    },
  };
}

export function start(ctx: ControllerContext, opts: { dir?: string } = {}): StartedController {
  const dir = opts.dir ?? DEFAULT_LOCAL_PATH_DIR;
  const queue = new WorkQueue<string>({ name: 'local-path-provisioner', clock: ctx.clock });
  const claims = ctx.informers.informerFor<Obj>(PVCS);
  const volumes = ctx.informers.informerFor<Obj>(PVS);
  const classes = ctx.informers.informerFor<Obj>(STORAGE_CLASSES);
  const recorder = ctx.recorderFor(LOCAL_PATH_PROVISIONER);
  claims.addEventHandler({
    onAdd: (c) => queue.add(`claim:${c.metadata.namespace}/${c.metadata.name}`),
    onUpdate: (_o, c) => queue.add(`claim:${c.metadata.namespace}/${c.metadata.name}`),
  });
  volumes.addEventHandler({
    onAdd: (v) => queue.add(`volume:${v.metadata.name}`),
    onUpdate: (_o, v) => queue.add(`volume:${v.metadata.name}`),
  });
  queue.add('class');

  const provision = async (key: string) => {
    const pvc = claims.store.get(key);
    if (!pvc || pvc.metadata.deletionTimestamp || pvc.spec?.volumeName) return;
    if (pvc.metadata.annotations?.[ANN_STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER) return;
    const sc = classes.store.get(claimClass(pvc));
    if (!sc || sc.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const node = pvc.metadata.annotations?.[ANN_SELECTED_NODE];
    if (!node) {
      recorder.event(pvc, 'Warning', 'ProvisioningFailed', 'configuration error, no node was specified');
      return;
    }
    if (volumes.store.get(`pvc-${pvc.metadata.uid}`)) return;
    recorder.event(
      pvc,
      'Normal',
      'Provisioning',
      `External provisioner is provisioning volume for claim "${pvc.metadata.namespace}/${pvc.metadata.name}"`,
    );
    try {
      await ctx.rest.resource<Obj>(PVS).create(volumeFor(pvc, sc, node, dir));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    recorder.event(
      pvc,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume pvc-${pvc.metadata.uid}`,
    );
  };

  const reclaim = async (name: string) => {
    const pv = volumes.store.get(name);
    if (
      !pv ||
      pv.metadata.deletionTimestamp ||
      pv.status?.phase !== 'Released' ||
      pv.spec?.persistentVolumeReclaimPolicy !== 'Delete' ||
      pv.metadata.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER ||
      !pv.spec?.hostPath?.path
    )
      return;
    const node = nodeOf(pv);
    const pods = ctx.rest.resource<Obj>(PODS).in(HELPER_NAMESPACE);
    const helperName = `helper-pod-delete-${pv.metadata.name}`;
    let helper: Obj | undefined;
    try {
      helper = await pods.get(helperName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!helper) {
      if (!node) return;
      await pods.create(helperPodFor(pv, node)).catch((err) => {
        if (!isAlreadyExists(err)) throw err;
      });
      return { requeueAfterMs: 1_000 };
    }
    const phase = helper.status?.phase;
    if (phase === 'Succeeded') {
      await ctx.rest
        .resource<Obj>(PVS)
        .delete(pv.metadata.name)
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      await pods.delete(helperName, { gracePeriodSeconds: 0 }).catch(() => {});
      return;
    }
    if (phase === 'Failed') {
      recorder.event(
        pv,
        'Warning',
        'VolumeFailedDelete',
        `failed to delete volume ${pv.metadata.name}: helper pod failed`,
      );
      await pods.delete(helperName, { gracePeriodSeconds: 0 }).catch(() => {});
      return { requeueAfterMs: 10_000 };
    }
    return { requeueAfterMs: 1_000 };
  };

  return runWhenSynced(ctx, {
    name: 'local-path-provisioner',
    queue,
    workers: 2,
    reconcile: async (key) => {
      if (key === 'class') {
        if (classes.store.get(LOCAL_PATH_CLASS)) return;
        await ctx.rest
          .resource<Obj>(STORAGE_CLASSES)
          .create(localPathClass())
          .catch((err) => {
            if (!isAlreadyExists(err)) throw err;
          });
        return;
      }
      if (key.startsWith('volume:')) return reclaim(key.slice('volume:'.length));
      await provision(key.slice('claim:'.length));
    },
  });
}
