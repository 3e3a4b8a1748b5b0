// The scheduler: informers feed the cache (nodes, bound pods) and the queue (pending pods naming this
// scheduler); one loop pops a pod, runs the framework against the cache, assumes the pod on the chosen
// node and binds it in the background, so the next decision never waits for the round trip.

import { isNotFound } from '../client/apierror.js';
import { type Clock, realClock, sleep } from '../client/clock.js';
import { EventRecorder, restEventSink } from '../client/events.js';
import type { SharedInformer } from '../client/informer.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { consoleLogger, type Logger } from '../client/log.js';
import {
  NAMESPACES,
  NODES,
  PDBS,
  PODS,
  PVCS,
  PVS,
  REPLICASETS,
  REPLICATION_CONTROLLERS,
  SERVICES,
  STATEFULSETS,
  STORAGE_CLASSES,
} from '../client/refs.js';
import type { ResourceClient, ResourceRef } from '../client/resource.js';
import { RestClient } from '../client/rest.js';
import { defaultBinder } from './binder.js';
import { SchedulerCache } from './cache.js';
import { defaultSelector } from './default-selector.js';
import { Framework, fitErrorMessage } from './framework.js';
import { Nominator } from './nominator.js';
import type { SchedulerProfile } from './plugins/index.js';
import { type VolumeLookup, volumeBinder } from './plugins/volume-binding.js';
import { podPriority, type QueuedPod, type QueueOptions, SchedulingQueue } from './queue.js';
import { newPodInfo, podKey } from './resources.js';
import type { Binder, Node, Pod } from './types.js';

/** What default topology spread constraints read: Services and the controllers that own pods. */
const WORKLOADS: Record<string, ResourceRef> = {
  Service: SERVICES,
  ReplicationController: REPLICATION_CONTROLLERS,
  ReplicaSet: REPLICASETS,
  StatefulSet: STATEFULSETS,
};

export interface SchedulerOptions {
  /** API server URL; ignored when `rest` is given. */
  baseUrl?: string;
  rest?: RestClient;
  clock?: Clock;
  log?: Logger;
  profile?: SchedulerProfile;
  queue?: Omit<QueueOptions, 'clock'>;
  /** Bindings in flight at once (default 64). */
  maxInFlightBinds?: number;
  random?: () => number;
  /** Replaces the pods/binding binder (tests). */
  binder?: Binder;
}

function schedulingInputsChanged(a: Pod, b: Pod): boolean {
  return (
    JSON.stringify(a.spec) !== JSON.stringify(b.spec) ||
    JSON.stringify(a.metadata?.labels) !== JSON.stringify(b.metadata?.labels)
  );
}

function dependsOnOtherPods(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  return !!(a?.podAffinity || a?.podAntiAffinity || pod.spec?.topologySpreadConstraints?.length);
}

export interface SchedulerStats {
  attempts: number;
  scheduled: number;
  unschedulable: number;
  errors: number;
  bindFailures: number;
  /** Attempts that ended in a preemption (victims chosen, pod nominated). */
  preemptions: number;
  victims: number;
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  readonly stats: SchedulerStats = {
    attempts: 0,
    scheduled: 0,
    unschedulable: 0,
    errors: 0,
    bindFailures: 0,
    preemptions: 0,
    victims: 0,
  };
  readonly nominator = new Nominator();
  private readonly rest: RestClient;
  private readonly ownsRest: boolean;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly factory: SharedInformerFactory;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly recorder: EventRecorder;
  private readonly binder: Binder;
  private readonly pods: ResourceClient<Pod>;
  private readonly schedulerName: string;
  private readonly maxBinds: number;
  private readonly pending = new Set<Promise<void>>();
  private loop?: Promise<void>;
  private stopped = false;

  constructor(opts: SchedulerOptions) {
    if (!opts.rest && !opts.baseUrl) throw new Error('scheduler needs baseUrl or rest');
    this.rest = opts.rest ?? new RestClient({ baseUrl: opts.baseUrl!, userAgent: 'k8ts-scheduler' });
    this.ownsRest = !opts.rest;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? consoleLogger;
    this.factory = new SharedInformerFactory(this.rest, { clock: this.clock, log: this.log });
    const namespaces = this.factory.informerFor(NAMESPACES);
    // Namespace labels feed namespaceSelector matching, which reused pre-filter state cannot see change.
    namespaces.addEventHandler({ onUpdate: () => this.framework.invalidateMemos() });
    const pdbs = this.factory.informerFor(PDBS);
    const claims = this.factory.informerFor(PVCS);
    const volumeInf = this.factory.informerFor(PVS);
    const classes = this.factory.informerFor(STORAGE_CLASSES);
    const volumes: VolumeLookup = {
      claim: (ns, name) => claims.store.getByName(ns, name),
      volume: (name) => volumeInf.store.get(name),
      storageClass: (name) => classes.store.get(name),
    };
    // A claim, volume or class that appears may make a waiting pod schedulable.
    const retry = {
      onAdd: () => this.queue?.moveAllUnschedulable(),
      onUpdate: () => this.queue?.moveAllUnschedulable(),
    };
    for (const inf of [claims, volumeInf, classes]) inf.addEventHandler(retry);
    const workloads = Object.fromEntries(
      Object.entries(WORKLOADS).map(([kind, ref]) => [kind, this.factory.informerFor(ref)]),
    );
    this.framework = new Framework({
      profile: opts.profile,
      random: opts.random,
      namespaceLabels: (ns) => namespaces.store.get(ns)?.metadata?.labels,
      nominator: this.nominator,
      cacheView: this.cache,
      pdbs: () => pdbs.store.list(),
      defaultSelector: (pod) =>
        defaultSelector(pod, {
          services: (ns) => workloads.Service.store.byNamespace(ns),
          get: (kind, ns, name) => workloads[kind]?.store.getByName(ns, name),
        }),
      volumes,
    });
    this.schedulerName = this.framework.profile.schedulerName;
    this.queue = new SchedulingQueue({ ...opts.queue, clock: this.clock });
    this.maxBinds = opts.maxInFlightBinds ?? 64;
    this.pods = this.rest.resource<Pod>(PODS);
    this.binder =
      opts.binder ??
      volumeBinder(defaultBinder(this.pods), volumes, {
        patchClaim: async (ns, name, annotations) => {
          await this.rest.resource(PVCS).in(ns).patch(name, { metadata: { annotations } });
        },
        sleep: (ms) => sleep(this.clock, ms),
      });
    this.recorder = new EventRecorder({
      sink: restEventSink(this.rest),
      component: this.schedulerName,
      clock: this.clock,
      log: this.log,
    });
    this.nodeInformer = this.factory.informerFor<Node>(NODES);
    this.podInformer = this.factory.informerFor<Pod>(PODS, {
      fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
    });
    this.wireHandlers();
  }

  /** Starts the informers and, once they synced, the scheduling loop. */
  async start(): Promise<void> {
    this.factory.start();
    await this.factory.waitForSync();
    if (this.stopped) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.close();
    await this.loop;
    while (this.pending.size) await Promise.allSettled([...this.pending]);
    await this.factory.stop();
    await this.recorder.close();
    if (this.ownsRest) this.rest.close();
  }

  private responsibleFor(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? 'default-scheduler') === this.schedulerName;
  }

  private wireHandlers(): void {
    this.nodeInformer.addEventHandler({
      onAdd: (node) => {
        this.cache.setNode(node);
        this.queue.moveAllUnschedulable();
      },
      onUpdate: (_old, node) => {
        this.cache.setNode(node);
        this.queue.moveAllUnschedulable();
      },
      onDelete: (node) => this.cache.removeNode(node.metadata.name),
    });
    const onPod = (pod: Pod, old?: Pod) => {
      const key = podKey(pod);
      if (pod.spec?.nodeName) {
        const isNew = !this.cache.knows(key);
        this.cache.setPod(pod);
        this.queue.delete(key);
        this.nominator.delete(key);
        // A newly placed pod can satisfy pending pods' pod affinity or topology spread (our own
        // placements moved them when assumed).
        if (isNew) this.queue.moveAllUnschedulable(dependsOnOtherPods);
      } else if (this.responsibleFor(pod) && !pod.metadata?.deletionTimestamp && !this.cache.isAssumed(key)) {
        this.trackNomination(pod, key, old);
        this.queue.add(pod, key, !old || schedulingInputsChanged(old, pod));
      }
    };
    this.podInformer.addEventHandler({
      onAdd: (pod) => onPod(pod),
      onUpdate: (old, pod) => onPod(pod, old),
      onDelete: (pod) => {
        const key = podKey(pod);
        this.queue.delete(key);
        this.nominator.delete(key);
        this.cache.removePod(key);
        this.queue.moveAllUnschedulable();
      },
    });
  }

  /**
   * status.nominatedNodeName as the informer reports it. An update without one keeps a nomination this
   * scheduler made moments ago (its status write may not have arrived yet), as upstream's nominator.
   */
  private trackNomination(pod: Pod, key: string, old?: Pod): void {
    const nnn = pod.status?.nominatedNodeName;
    if (nnn) this.nominator.add(newPodInfo(pod), nnn);
    else if (old?.status?.nominatedNodeName) this.nominator.delete(key);
    else {
      const held = this.nominator.nodeFor(key);
      if (held) this.nominator.add(newPodInfo(pod), held);
    }
  }

  private async run(): Promise<void> {
    let sinceYield = 0;
    for (;;) {
      const qp = await this.queue.pop();
      if (!qp || this.stopped) return;
      this.scheduleOne(qp);
      // Let informer events and binding responses in between long runs of decisions.
      if (++sinceYield >= 16 || this.pending.size >= this.maxBinds) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
        while (this.pending.size >= this.maxBinds && !this.stopped) await Promise.race(this.pending);
      }
    }
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
  }

  /** One scheduling cycle; the binding cycle continues in the background. */
  scheduleOne(qp: QueuedPod): void {
    const pod = qp.pod;
    // Deleted or bound (by someone else) since it was queued: nothing to do.
    const current = this.podInformer.store.get(qp.key);
    if (!current || current.spec?.nodeName) {
      this.queue.done(qp.key);
      return;
    }
    this.stats.attempts++;
    const pi = newPodInfo(pod);
    const result = this.framework.schedule(pod, this.cache.nodes(), {
      podInfo: pi,
      affinityNodes: this.cache.nodesWithAffinityPods(),
      fromCache: true,
    });
    if (result.ok) {
      this.nominator.delete(qp.key);
      this.cache.assume(pi, result.nodeName);
      this.queue.moveAllUnschedulable(dependsOnOtherPods);
      this.track(this.bindCycle(qp, result.nodeName));
      return;
    }
    if (result.error) {
      this.stats.errors++;
      this.log.error('scheduling attempt failed', { pod: qp.key, err: result.status.message() });
      this.queue.requeue(qp, false);
      this.recorder.event(
        pod,
        'Warning',
        'FailedScheduling',
        `running ${result.status.plugin}: ${result.status.message()}`,
      );
      return;
    }
    this.stats.unschedulable++;
    const message = fitErrorMessage(result.diagnosis);
    // Preemption chose victims: nominate the pod where they run, so nothing else takes the room they
    // leave, and evict them. The pod waits (unschedulable) until their deletion brings it back.
    const pf = result.postFilter;
    let nominated: string | null | undefined;
    if (pf?.status.code === 'Success' && pf.nominatedNodeName) {
      nominated = pf.nominatedNodeName;
      this.stats.preemptions++;
      this.stats.victims += pf.victims?.length ?? 0;
      this.nominator.add(newPodInfo(pod), nominated);
      this.track(this.preempt(pod, nominated, pf.victims ?? []));
    } else if (
      pf?.nominatedNodeName === '' &&
      (this.nominator.nodeFor(qp.key) || pod.status?.nominatedNodeName)
    ) {
      nominated = null;
      this.nominator.delete(qp.key);
    }
    this.queue.requeue(qp, true);
    this.recorder.event(pod, 'Warning', 'FailedScheduling', message);
    this.track(this.markUnschedulable(pod, message, nominated));
  }

  /**
   * Evicts the victims as upstream's preemption does: a DisruptionTarget condition (reason
   * PreemptionByScheduler), a delete with the pod's own grace period, a `Preempted` event; then drops
   * the nominations of lower-priority pods to the same node, which may no longer fit there.
   */
  private async preempt(preemptor: Pod, nodeName: string, victims: Pod[]): Promise<void> {
    const done = await Promise.all(victims.map((v) => this.evict(preemptor, nodeName, v)));
    if (done.includes(false)) {
      // As upstream: a failed eviction must not leave the preemptor waiting for deletions that will
      // not come; it goes back to be retried (after its backoff).
      const key = podKey(preemptor);
      const current = this.podInformer.store.get(key);
      if (current && !current.spec?.nodeName) this.queue.add(current, key, true);
    }
    const prio = podPriority(preemptor);
    for (const pi of this.nominator.podsOn(nodeName)) {
      if (podPriority(pi.pod) >= prio) continue;
      this.nominator.delete(pi.key);
      if (!pi.pod.status?.nominatedNodeName) continue;
      await this.pods
        .in(pi.pod.metadata.namespace)
        .patch(
          pi.pod.metadata.name,
          { status: { nominatedNodeName: null } },
          { subresource: 'status', type: 'merge' },
        )
        .catch((err) => {
          if (!isNotFound(err))
            this.log.warn('clearing nominatedNodeName failed', { pod: pi.key, err: String(err) });
        });
    }
  }

  /** false when the victim could not be evicted (it is still there). */
  private async evict(preemptor: Pod, nodeName: string, victim: Pod): Promise<boolean> {
    if (victim.metadata?.deletionTimestamp) return true; // already going
    const { namespace, name } = victim.metadata;
    const pods = this.pods.in(namespace);
    const cond = {
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: this.timestamp(),
      reason: 'PreemptionByScheduler',
      message: `${this.schedulerName}: preempting to accommodate a higher priority pod`,
    };
    try {
      // Strategic merge: conditions merge by type, so a kubelet's concurrent condition stays.
      await pods.patch(
        name,
        { status: { conditions: [cond] } },
        { subresource: 'status', type: 'strategic' },
      );
      await pods.delete(name, victim.metadata.uid ? { preconditions: { uid: victim.metadata.uid } } : {});
    } catch (err) {
      if (isNotFound(err)) return true;
      this.log.warn('preempting a victim failed', { victim: podKey(victim), err: String(err) });
      return false;
    }
    this.recorder.event(
      victim,
      'Normal',
      'Preempted',
      `Preempted by pod ${preemptor.metadata.uid} on node ${nodeName}`,
    );
    return true;
  }

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private async bindCycle(qp: QueuedPod, nodeName: string): Promise<void> {
    const pod = qp.pod;
    const status = await this.binder.bind(pod, nodeName);
    if (!status) {
      this.stats.scheduled++;
      this.queue.done(qp.key);
      this.recorder.event(
        pod,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
      );
      return;
    }
    this.stats.bindFailures++;
    this.cache.forget(qp.key);
    this.log.warn('binding failed', { pod: qp.key, node: nodeName, err: status.message() });
    this.recorder.event(pod, 'Warning', 'FailedScheduling', `Binding rejected: ${status.message()}`);
    this.queue.requeue(qp, false);
  }

  /**
   * Sets PodScheduled=False/Unschedulable with the message (skipped when already so) and, when given,
   * status.nominatedNodeName (null clears it).
   */
  private async markUnschedulable(pod: Pod, message: string, nominated?: string | null): Promise<void> {
    const conditions: any[] = pod.status?.conditions ?? [];
    const current = conditions.find((c) => c.type === 'PodScheduled');
    const nominationSame = nominated === undefined || (pod.status?.nominatedNodeName ?? null) === nominated;
    if (
      current?.status === 'False' &&
      current.reason === 'Unschedulable' &&
      current.message === message &&
      nominationSame
    )
      return;
    const now = this.timestamp();
    const cond = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: current?.status === 'False' ? current.lastTransitionTime : now,
      reason: 'Unschedulable',
      message,
    };
    try {
      // Strategic merge: conditions merge by type, so only PodScheduled changes and a condition another
      // component wrote meanwhile (which our cache may not have seen yet) stays.
      await this.pods.in(pod.metadata.namespace).patch(
        pod.metadata.name,
        {
          status: {
            conditions: [cond],
            ...(nominated !== undefined ? { nominatedNodeName: nominated } : {}),
          },
        },
        { subresource: 'status', type: 'strategic' },
      );
    } catch (err) {
      if (!isNotFound(err))
        this.log.warn('updating pod condition failed', { pod: podKey(pod), err: String(err) });
    }
  }
}
