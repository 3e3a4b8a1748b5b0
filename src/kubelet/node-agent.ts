// Registers this node and keeps its status current: creates the Node (or takes over an existing one of
// the same name), reports capacity, addresses, nodeInfo and conditions, writes the status when it
// changes (checked every 10 s) and at least every 5 minutes, renews the node Lease, and tells the
// runtime the podCIDR once the control plane has assigned one.
import {
  type Clock,
  isAlreadyExists,
  isNotFound,
  type Logger,
  type RestClient,
  type SharedInformer,
  type SharedInformerFactory,
} from '../client/index.js';
import type { CriClient } from '../runtime/cri/client.js';
import { type HostFacts, hostFacts, hostUsage } from './host.js';
import { NodeLease } from './node-lease.js';
import {
  type EvictionReserve,
  initialNode,
  type NodeIdentity,
  nodeConditions,
  nodeConditionTexts,
  nodeLabels,
  nodeStatusBase,
  nodeStatusChanged,
  type RuntimeHealth,
} from './node-status.js';
import { NODES, type Obj } from './refs.js';

export const NODE_STATUS_UPDATE_MS = 10_000;
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
const KUBELET_CONDITIONS = new Set(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']);

export interface NodeAgentOptions {
  rest: RestClient;
  informers: SharedInformerFactory;
  cri: CriClient;
  identity: NodeIdentity;
  dataDir: string;
  clock: Clock;
  log: Logger;
  /** Called once with the node's podCIDR when it is first seen. */
  onPodCIDR(podCIDR: string): void;
  /** The pressure conditions that are True (the eviction manager's); without: judged from host usage. */
  pressure?(): string[];
  /** What the hard eviction thresholds hold back from allocatable (default: upstream's defaults). */
  evictionReserve?: EvictionReserve;
}

export async function runtimeHealth(cri: CriClient): Promise<RuntimeHealth> {
  try {
    const conditions = (await cri.status()).status?.conditions ?? [];
    const rt = conditions.find((c) => c.type === 'RuntimeReady');
    const net = conditions.find((c) => c.type === 'NetworkReady');
    return {
      runtimeReady: rt?.status === true,
      networkReady: net?.status === true,
      message: (net?.status ? rt?.message : net?.message) || undefined,
    };
  } catch (err) {
    return { runtimeReady: false, networkReady: false, message: (err as Error).message };
  }
}

export class NodeAgent {
  readonly informer: SharedInformer<Obj>;
  private readonly facts: HostFacts;
  private readonly lease: NodeLease;
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private stopped = false;
  private lastReport = 0;
  private podCIDR = '';
  private nodeUid: string | undefined;
  private readyResolvers: (() => void)[] = [];
  private updating: Promise<void> | undefined;

  constructor(private readonly opts: NodeAgentOptions) {
    this.facts = hostFacts(opts.dataDir);
    this.informer = opts.informers.informerFor<Obj>(NODES, {
      fieldSelector: `metadata.name=${opts.identity.name}`,
    });
    this.informer.addEventHandler({
      onAdd: (n) => this.onNode(n),
      onUpdate: (_, n) => this.onNode(n),
    });
    this.lease = new NodeLease(opts.rest, opts.identity.name, () => this.nodeUid, opts.clock, opts.log);
  }

  get name(): string {
    return this.opts.identity.name;
  }

  /** The node as last seen. */
  node(): Obj | undefined {
    return this.informer.store.get(this.name);
  }

  /** Resolves once the node has a podCIDR and the runtime has its network config. */
  waitForPodCIDR(): Promise<void> {
    if (this.podCIDR) return Promise.resolve();
    return new Promise((r) => this.readyResolvers.push(r));
  }

  private onNode(node: Obj): void {
    this.nodeUid = node.metadata?.uid;
    const cidr: string = node.spec?.podCIDR ?? '';
    if (cidr && cidr !== this.podCIDR) {
      this.podCIDR = cidr;
      try {
        this.opts.onPodCIDR(cidr);
      } catch (err) {
        this.opts.log.error('cannot configure the pod network', { podCIDR: cidr, error: err });
        return;
      }
      for (const r of this.readyResolvers.splice(0)) r();
      // The runtime loads the new CNI config within moments: report Ready then, not at the next tick.
      void this.reportWhenNetworkReady();
    }
  }

  private async reportWhenNetworkReady(): Promise<void> {
    const deadline = this.opts.clock.now() + NODE_STATUS_UPDATE_MS;
    while (!this.stopped && this.opts.clock.now() < deadline) {
      if ((await runtimeHealth(this.opts.cri)).networkReady) break;
      await new Promise<void>((r) => this.opts.clock.setTimeout(r, 50));
    }
    if (!this.stopped) await this.updateStatus().catch(() => {});
  }

  /** Registers the node: creates it, or adopts the existing one (labels and status refreshed). */
  async register(): Promise<void> {
    const nodes = this.opts.rest.resource<Obj>(NODES);
    const health = await runtimeHealth(this.opts.cri);
    const now = new Date(this.opts.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const usage = hostUsage(this.opts.dataDir);
    const node = initialNode(
      this.opts.identity,
      this.facts,
      usage,
      health,
      now,
      this.opts.pressure?.(),
      this.opts.evictionReserve,
    );
    let saved: Obj;
    try {
      saved = await nodes.create(node);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      saved = await nodes.patch(this.name, { metadata: { labels: nodeLabels(this.name, this.facts) } });
    }
    this.nodeUid = saved.metadata?.uid;
    this.lastReport = 0;
    await this.writeStatus(saved, health);
    if (saved.spec?.podCIDR) this.onNode(saved);
  }

  private async writeStatus(stored: Obj, health: RuntimeHealth): Promise<void> {
    const nowMs = this.opts.clock.now();
    const now = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const usage = hostUsage(this.opts.dataDir);
    const previous: Obj[] = stored.status?.conditions ?? [];
    const ours = nodeConditions(previous, nodeConditionTexts(usage, health, this.opts.pressure?.()), now);
    const others = previous.filter((c) => !KUBELET_CONDITIONS.has(c?.type));
    const base = nodeStatusBase(this.opts.identity, this.facts, this.opts.evictionReserve);
    const status = { ...base, conditions: [...ours, ...others] };
    if (!nodeStatusChanged(stored.status, status) && nowMs - this.lastReport < NODE_STATUS_REPORT_MS) return;
    await this.opts.rest.resource<Obj>(NODES).patch(this.name, { status }, { subresource: 'status' });
    this.lastReport = nowMs;
  }

  /** Checks the node's status and writes it when it changed (or the report interval passed). */
  updateStatus(): Promise<void> {
    this.updating ??= (async () => {
      try {
        const stored = this.node() ?? (await this.opts.rest.resource<Obj>(NODES).get(this.name));
        await this.writeStatus(stored, await runtimeHealth(this.opts.cri));
      } catch (err) {
        // Deleted behind our back: register again, as upstream's kubelet does.
        if (isNotFound(err)) await this.register();
        else throw err;
      } finally {
        this.updating = undefined;
      }
    })();
    return this.updating;
  }

  start(): void {
    this.lease.start();
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.updateStatus();
      } catch (err) {
        this.opts.log.warn('node status update failed', { node: this.name, error: err });
      }
      if (!this.stopped) this.timer = this.opts.clock.setTimeout(loop, NODE_STATUS_UPDATE_MS);
    };
    this.timer = this.opts.clock.setTimeout(loop, NODE_STATUS_UPDATE_MS);
  }

  stop(): void {
    this.stopped = true;
    this.lease.stop();
    this.opts.clock.clearTimeout(this.timer);
    for (const r of this.readyResolvers.splice(0)) r();
  }
}
