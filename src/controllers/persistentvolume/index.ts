// The PersistentVolume binder (upstream's persistentvolume-binder controller, the parts a local cluster
// needs): a claim is bound to a volume already reserved for it (claimRef, as a provisioner makes them) or
// to the smallest Available volume of its class with its access modes and size; a claim without one whose
// class has a provisioner is handed to that provisioner (annotation volume.kubernetes.io/storage-provisioner),
// for a WaitForFirstConsumer class only once the scheduler chose a node (volume.kubernetes.io/selected-node).
// Binding sets the volume's claimRef and the claim's volumeName with upstream's annotations, then both
// statuses to Bound; a volume whose claim is gone is Released.

import { compareQuantities, parseQuantity } from '../../api/quantity.js';
import {
  enqueueObject,
  isConflict,
  isNotFound,
  PVCS,
  PVS,
  STORAGE_CLASSES,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

export function claimClass(pvc: Obj): string {
  return (
    pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pvc.spec?.storageClassName ?? ''
  );
}

function volumeClass(pv: Obj): string {
  return (
    pv.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pv.spec?.storageClassName ?? ''
  );
}

/** Whether the volume is reserved for this claim (claimRef by name, and by uid when it has one). */
export function reservedFor(pv: Obj, pvc: Obj): boolean {
  const ref = pv.spec?.claimRef;
  return (
    !!ref &&
    ref.namespace === pvc.metadata.namespace &&
    ref.name === pvc.metadata.name &&
    (!ref.uid || ref.uid === pvc.metadata.uid)
  );
}

/** The smallest Available volume of the claim's class that has its access modes and size. */
export function findMatch(pvc: Obj, pvs: Obj[]): Obj | undefined {
  const want = parseQuantity(pvc.spec?.resources?.requests?.storage ?? '0');
  const modes: string[] = pvc.spec?.accessModes ?? [];
  let best: Obj | undefined;
  for (const pv of pvs) {
    if (pv.spec?.claimRef || pv.metadata?.deletionTimestamp) continue;
    if (volumeClass(pv) !== claimClass(pvc)) continue;
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) continue;
    if (!modes.every((m) => (pv.spec?.accessModes ?? []).includes(m))) continue;
    const size = parseQuantity(pv.spec?.capacity?.storage ?? '0');
    if (!size || !want || compareQuantities(size, want) < 0) continue;
    if (!best || compareQuantities(size, parseQuantity(best.spec.capacity.storage)!) < 0) best = pv;
  }
  return best;
}

export function start(ctx: ControllerContext): StartedController {
  const queue = new WorkQueue<string>({ name: 'persistentvolume-binder', clock: ctx.clock });
  const claims = ctx.informers.informerFor<Obj>(PVCS);
  const volumes = ctx.informers.informerFor<Obj>(PVS);
  const classes = ctx.informers.informerFor<Obj>(STORAGE_CLASSES);
  const recorder = ctx.recorderFor('persistentvolume-controller');
  const pvcClient = ctx.rest.resource<Obj>(PVCS);
  const pvClient = ctx.rest.resource<Obj>(PVS);
  claims.addEventHandler(enqueueObject(queue, (c) => `claim:${c.metadata.namespace}/${c.metadata.name}`));
  // A claim that goes releases its volume.
  claims.addEventHandler({
    onDelete: (c) => {
      if (c.spec?.volumeName) queue.add(`volume:${c.spec.volumeName}`);
    },
  });
  const onVolume = (pv: Obj) => {
    queue.add(`volume:${pv.metadata.name}`);
    const ref = pv.spec?.claimRef;
    if (ref?.namespace && ref?.name) queue.add(`claim:${ref.namespace}/${ref.name}`);
  };
  volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, n) => onVolume(n), onDelete: onVolume });
  // A new class may let waiting claims go on.
  classes.addEventHandler({
    onAdd: () => {
      for (const c of claims.store.list())
        if (!c.spec?.volumeName) queue.add(`claim:${c.metadata.namespace}/${c.metadata.name}`);
    },
  });

  const setVolumePhase = async (pv: Obj, phase: string) => {
    if (pv.status?.phase === phase) return;
    await pvClient.patch(pv.metadata.name, { status: { phase } }, { subresource: 'status' });
  };

  const syncVolume = async (name: string) => {
    const pv = volumes.store.get(name);
    if (!pv || pv.metadata.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    if (!ref) return setVolumePhase(pv, 'Available');
    const pvc = claims.store.getByName(ref.namespace, ref.name);
    if (!pvc || (ref.uid && pvc.metadata.uid !== ref.uid)) {
      // Reserved for a claim that does not exist yet (no uid): wait for it; otherwise the claim is gone.
      if (!ref.uid) return setVolumePhase(pv, 'Available');
      if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed')
        await setVolumePhase(pv, 'Released');
      return;
    }
    if (pvc.spec?.volumeName === pv.metadata.name) await setVolumePhase(pv, 'Bound');
  };

  const bind = async (pvc: Obj, pv: Obj) => {
    const ns = pvc.metadata.namespace;
    if (!pv.spec?.claimRef?.uid) {
      const claimRef = {
        kind: 'PersistentVolumeClaim',
        namespace: ns,
        name: pvc.metadata.name,
        uid: pvc.metadata.uid,
        apiVersion: 'v1',
        resourceVersion: pvc.metadata.resourceVersion,
      };
      const annotations = pv.spec?.claimRef ? {} : { [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      pv = await pvClient.patch(pv.metadata.name, { metadata: { annotations }, spec: { claimRef } });
    }
    await setVolumePhase(pv, 'Bound');
    let claim = pvc;
    if (pvc.spec?.volumeName !== pv.metadata.name || pvc.metadata.annotations?.[ANN_BIND_COMPLETED] !== 'yes')
      claim = await pvcClient.in(ns).patch(pvc.metadata.name, {
        metadata: { annotations: { [ANN_BIND_COMPLETED]: 'yes', [ANN_BOUND_BY_CONTROLLER]: 'yes' } },
        spec: { volumeName: pv.metadata.name },
      });
    if (claim.status?.phase !== 'Bound')
      await pvcClient
        .in(ns)
        .patch(
          pvc.metadata.name,
          { status: { phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity } },
          { subresource: 'status' },
        );
  };

  const syncClaim = async (key: string) => {
    const pvc = claims.store.get(key);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    const ns = pvc.metadata.namespace;
    if (pvc.spec?.volumeName) {
      const pv = volumes.store.get(pvc.spec.volumeName);
      if (!pv) {
        if (pvc.status?.phase === 'Bound') {
          await pvcClient
            .in(ns)
            .patch(pvc.metadata.name, { status: { phase: 'Lost' } }, { subresource: 'status' });
          recorder.event(
            pvc,
            'Warning',
            'ClaimLost',
            'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
          );
        }
        return;
      }
      if (pv.spec?.claimRef && !reservedFor(pv, pvc)) return; // the volume belongs to another claim
      return bind(pvc, pv);
    }
    const all = volumes.store.list();
    const reserved = all.find((pv) => reservedFor(pv, pvc));
    if (reserved) return bind(pvc, reserved);
    const className = claimClass(pvc);
    const sc = className ? classes.store.get(className) : undefined;
    const delayed = sc?.volumeBindingMode === 'WaitForFirstConsumer';
    const node = pvc.metadata.annotations?.[ANN_SELECTED_NODE];
    if (!delayed || node) {
      const match = findMatch(pvc, all);
      if (match) return bind(pvc, match);
    }
    if (!sc?.provisioner || sc.provisioner === 'kubernetes.io/no-provisioner') {
      if (delayed && !node)
        recorder.event(
          pvc,
          'Normal',
          'WaitForFirstConsumer',
          'waiting for first consumer to be created before binding',
        );
      else
        recorder.event(
          pvc,
          'Normal',
          'FailedBinding',
          className
            ? `storageclass.storage.k8s.io "${className}" not found`
            : 'no persistent volumes available for this claim and no storage class is set',
        );
      return;
    }
    if (delayed && !node) {
      recorder.event(
        pvc,
        'Normal',
        'WaitForFirstConsumer',
        'waiting for first consumer to be created before binding',
      );
      return;
    }
    if (pvc.metadata.annotations?.[ANN_STORAGE_PROVISIONER] !== sc.provisioner) {
      await pvcClient.in(ns).patch(pvc.metadata.name, {
        metadata: {
          annotations: {
            [ANN_STORAGE_PROVISIONER]: sc.provisioner,
            [ANN_BETA_STORAGE_PROVISIONER]: sc.provisioner,
          },
        },
      });
      recorder.event(
        pvc,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
    }
  };

  return runWhenSynced(ctx, {
    name: 'persistentvolume-binder',
    queue,
    workers: 2,
    reconcile: async (key) => {
      try {
        if (key.startsWith('volume:')) await syncVolume(key.slice('volume:'.length));
        else await syncClaim(key.slice('claim:'.length));
      } catch (err) {
        if (isNotFound(err)) return;
        if (isConflict(err)) return { requeueAfterMs: 100 };
        throw err;
      }
    },
  });
}
