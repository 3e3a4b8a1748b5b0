// The node's heartbeat: a Lease named after the node in kube-node-lease, owned by the Node, renewed every
// 10 s (a quarter of its 40 s duration, as upstream). The node lifecycle controller reads it.
import {
  type Clock,
  isAlreadyExists,
  isConflict,
  isNotFound,
  type Logger,
  type RestClient,
} from '../client/index.js';
import { Periodic } from './periodic.js';
import { LEASES, type Obj } from './refs.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const NODE_LEASE_DURATION_SECONDS = 40;
export const NODE_LEASE_RENEW_MS = 10_000;

/** RFC 3339 with microseconds, the MicroTime format leases carry. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function newNodeLease(nodeName: string, nodeUid: string | undefined, now: number): Obj {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: NODE_LEASE_NAMESPACE,
      ...(nodeUid
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] }
        : {}),
    },
    spec: {
      holderIdentity: nodeName,
      leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
      renewTime: microTime(now),
    },
  };
}

export class NodeLease {
  private lease: Obj | undefined;
  private readonly loop: Periodic;
  renewals = 0;

  constructor(
    private readonly rest: RestClient,
    private readonly nodeName: string,
    private readonly nodeUid: () => string | undefined,
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.loop = new Periodic(
      clock,
      NODE_LEASE_RENEW_MS,
      () => this.renew(),
      (error) => log.warn('node lease renewal failed', { node: nodeName, error }),
    );
  }

  /** Creates or renews the lease once. */
  async renew(): Promise<void> {
    const leases = this.rest.resource<Obj>(LEASES).in(NODE_LEASE_NAMESPACE);
    const now = this.clock.now();
    if (!this.lease) {
      try {
        this.lease = await leases.get(this.nodeName);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        try {
          this.lease = await leases.create(newNodeLease(this.nodeName, this.nodeUid(), now));
          this.renewals++;
          return;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          this.lease = await leases.get(this.nodeName);
        }
      }
    }
    const next = structuredClone(this.lease) as Obj;
    next.spec = {
      ...next.spec,
      holderIdentity: this.nodeName,
      leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
      renewTime: microTime(now),
    };
    const uid = this.nodeUid();
    if (uid && !next.metadata.ownerReferences?.length)
      next.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid }];
    try {
      this.lease = await leases.update(next);
      this.renewals++;
    } catch (err) {
      this.lease = undefined; // read it again next time
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }
}
