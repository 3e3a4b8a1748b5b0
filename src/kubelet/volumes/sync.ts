// The volume step of a pod sync: set the volumes up when containers are about to start (or when this
// kubelet has not yet since it started), report each failure as upstream's FailedMount event and hold
// the start; otherwise only hand the manager the latest pod object for its refreshes.
import type { EventRecorder } from '../../client/index.js';
import type { Obj } from '../refs.js';
import { type VolumeManager, VolumeSetupFailed } from './manager.js';

/** How soon a pod whose volumes failed is tried again. */
export const MOUNT_RETRY_MS = 5_000;

export function mountFailureEvents(recorder: EventRecorder, pod: Obj, err: VolumeSetupFailed): void {
  for (const f of err.failures)
    recorder.event(
      pod,
      'Warning',
      'FailedMount',
      `MountVolume.SetUp failed for volume "${f.volume}" : ${f.message}`,
    );
}

/** Whether the pod's containers may start; schedules a retry through requeue when not. */
export async function prepareVolumes(
  volumes: VolumeManager,
  pod: Obj,
  starting: boolean,
  recorder: EventRecorder,
  requeue: (ms: number) => void,
): Promise<boolean> {
  if (!starting && volumes.knows(pod.metadata.uid)) {
    volumes.observe(pod);
    return true;
  }
  try {
    await volumes.setUp(pod);
    return true;
  } catch (err) {
    if (!(err instanceof VolumeSetupFailed)) throw err;
    // Running containers keep their volumes as they are; only a start waits for them.
    if (starting) {
      mountFailureEvents(recorder, pod, err);
      requeue(MOUNT_RETRY_MS);
    }
    return false;
  }
}
