// The node IPAM controller (upstream's range allocator): gives every Node without one a podCIDR, a /24
// (or --node-cidr-mask-size) out of the cluster CIDR. Ranges in use are learnt from the nodes themselves,
// so a restarted controller hands out the same ranges again and never a taken one.
import { enqueueObject, isNotFound, NODES, WorkQueue } from '../../client/index.js';
import { K8tsError } from '../../errors.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_MASK = 24;

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new K8tsError('Invalid', `${ip} is not an IPv4 address`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Hands out the node-sized subnets of an IPv4 cluster CIDR, lowest free first. */
export class CidrAllocator {
  private readonly base: number;
  private readonly count: number;
  private readonly used = new Set<number>();
  private readonly size: number;

  constructor(
    clusterCidr: string,
    readonly nodeMask = DEFAULT_NODE_MASK,
  ) {
    const m = /^([\d.]+)\/(\d+)$/.exec(clusterCidr);
    if (!m) throw new K8tsError('Invalid', `cluster CIDR ${JSON.stringify(clusterCidr)} is not an IPv4 CIDR`);
    const prefix = Number(m[2]);
    if (prefix > nodeMask || nodeMask > 30)
      throw new K8tsError('Invalid', `cluster CIDR ${clusterCidr} cannot hold /${nodeMask} node ranges`);
    this.size = 2 ** (32 - nodeMask);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    this.base = (ipToInt(m[1]) & mask) >>> 0;
    this.count = 2 ** (nodeMask - prefix);
  }

  private indexOf(cidr: string): number | undefined {
    const m = /^([\d.]+)\/(\d+)$/.exec(cidr);
    if (!m || Number(m[2]) !== this.nodeMask) return undefined;
    let ip: number;
    try {
      ip = ipToInt(m[1]);
    } catch {
      return undefined;
    }
    const i = (ip - this.base) / this.size;
    return Number.isInteger(i) && i >= 0 && i < this.count ? i : undefined;
  }

  /** Marks a range as taken (a node's existing podCIDR); false when it is not one of ours. */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    this.used.add(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  /** The lowest free range, marked taken; throws when the cluster CIDR is full. */
  allocate(): string {
    for (let i = 0; i < this.count; i++) {
      if (this.used.has(i)) continue;
      this.used.add(i);
      return `${intToIp(this.base + i * this.size)}/${this.nodeMask}`;
    }
    throw new K8tsError('Conflict', 'the cluster CIDR has no free node range left');
  }

  inUse(): number {
    return this.used.size;
  }
}

export interface NodeIpamOptions {
  clusterCidr?: string;
  nodeMask?: number;
}

export function start(ctx: ControllerContext, opts: NodeIpamOptions = {}): StartedController {
  const allocator = new CidrAllocator(
    opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
    opts.nodeMask ?? DEFAULT_NODE_MASK,
  );
  const queue = new WorkQueue<string>({ name: 'nodeipam', clock: ctx.clock });
  const nodeInf = ctx.informers.informerFor<Obj>(NODES);
  const recorder = ctx.recorderFor('node-controller');
  nodeInf.addEventHandler({
    ...enqueueObject(queue),
    onDelete(node) {
      const cidr = node.spec?.podCIDR;
      if (cidr) allocator.release(cidr);
    },
  });
  let recovered = false;
  return runWhenSynced(ctx, {
    name: 'nodeipam',
    queue,
    workers: 1,
    reconcile: async (key) => {
      // Before the first allocation, take every range the nodes already hold.
      if (!recovered) {
        for (const n of nodeInf.store.list()) for (const c of n.spec?.podCIDRs ?? []) allocator.occupy(c);
        recovered = true;
      }
      const node = nodeInf.store.get(key);
      if (!node) return;
      if (node.spec?.podCIDR) {
        allocator.occupy(node.spec.podCIDR);
        return;
      }
      let cidr: string;
      try {
        cidr = allocator.allocate();
      } catch (err) {
        recorder.event(
          node,
          'Normal',
          'CIDRNotAvailable',
          `Node ${node.metadata.name} status is now: CIDRNotAvailable`,
        );
        throw err;
      }
      try {
        await ctx.rest
          .resource<Obj>(NODES)
          .patch(node.metadata.name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
      } catch (err) {
        allocator.release(cidr);
        if (!isNotFound(err)) throw err;
      }
    },
  });
}
