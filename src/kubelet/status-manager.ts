// Writes pod status to the API server only when it changed: compared with what the informer last saw
// and with what this kubelet last wrote (the informer may lag behind our own writes). A merge patch of
// the whole kubelet-computed status on pods/NAME/status (lists are replaced whole).
import { isNotFound, type Logger, type RestClient } from '../client/index.js';
import { canonical, statusChanged } from './pod-status.js';
import { type Obj, PODS } from './refs.js';

export class StatusManager {
  private readonly written = new Map<string, string>();
  writes = 0;

  constructor(
    private readonly rest: RestClient,
    private readonly log: Logger,
    /** Told of every status written (pod start latency). */
    private readonly onWritten?: (uid: string, status: Obj) => void,
  ) {}

  /**
   * Writes status for pod when it differs; answers whether it wrote. key is the uid the kubelet knows the
   * pod by (a static pod's, when pod is its mirror pod).
   */
  async set(pod: Obj, status: Obj, key: string = pod.metadata.uid): Promise<boolean> {
    const uid = key;
    // A new mirror pod (same static pod, another uid) needs the status written again.
    const text = `${pod.metadata.uid}|${canonical(status)}`;
    if (this.written.get(uid) === text || !statusChanged(pod.status, status)) {
      this.written.set(uid, text);
      return false;
    }
    try {
      await this.rest
        .resource<Obj>(PODS)
        .in(pod.metadata.namespace)
        .patch(pod.metadata.name, { status }, { subresource: 'status' });
      this.written.set(uid, text);
      this.writes++;
      this.onWritten?.(uid, status);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      this.log.warn('pod status update failed', {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        error: err,
      });
      throw err;
    }
  }

  forget(uid: string): void {
    this.written.delete(uid);
  }
}
