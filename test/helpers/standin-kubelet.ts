// A stand-in for the kubelet in e2e tests of controllers: it watches the pods of one namespace and reports
// each new one through the status subresource, as a kubelet would once its containers ran: pods owned by
// a Job finish (Succeeded, exit code 0), every other pod is Running and Ready.
import { RestClient, SharedInformerFactory, silentLogger } from '../../src/client/index.js';

type Obj = Record<string, any>;

const PODS = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };

export interface StandInKubelet {
  /** Pods it reported on, by uid. */
  readonly reported: Set<string>;
  stop(): Promise<void>;
}

export async function startStandInKubelet(baseUrl: string, namespace: string): Promise<StandInKubelet> {
  const rest = new RestClient({ baseUrl });
  const factory = new SharedInformerFactory(rest, { log: silentLogger, namespace });
  const pods = factory.informerFor<Obj>(PODS);
  const reported = new Set<string>();
  const inFlight = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const report = async (p: Obj) => {
    if (p.metadata.deletionTimestamp || inFlight.has(p.metadata.uid)) return;
    const ownedByJob = (p.metadata.ownerReferences ?? []).some((r: Obj) => r.kind === 'Job' && r.controller);
    const phase = ownedByJob ? 'Succeeded' : 'Running';
    const ready = ownedByJob ? 'False' : 'True';
    const conditions: Obj[] = p.status?.conditions ?? [];
    // Already reported and still so. Another writer may replace the conditions (the scheduler marks
    // unschedulable pods), so a missing Ready condition is reported again, as a kubelet keeps doing.
    if (p.status?.phase === phase && conditions.some((c) => c.type === 'Ready' && c.status === ready)) return;
    if (p.status?.phase === 'Failed' || (p.status?.phase === 'Succeeded' && !ownedByJob)) return;
    inFlight.add(p.metadata.uid);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const containers: Obj[] = p.spec?.containers ?? [];
    const state = ownedByJob
      ? { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } }
      : { running: { startedAt: now } };
    const next = structuredClone(p);
    next.status = {
      ...p.status,
      phase,
      conditions: [
        ...conditions.filter((c) => c.type !== 'Ready'),
        {
          type: 'Ready',
          status: ready,
          ...(ownedByJob ? { reason: 'PodCompleted' } : {}),
          lastTransitionTime: now,
        },
      ],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: !ownedByJob,
        restartCount: 0,
        ...(ownedByJob ? {} : { started: true }),
        state,
      })),
    };
    try {
      await rest.resource<Obj>(PODS).in(namespace).updateStatus(next);
      reported.add(p.metadata.uid);
    } catch {
      // A conflict or a pod already gone: look again at the cached pod below.
    } finally {
      inFlight.delete(p.metadata.uid);
    }
    // Events that arrived meanwhile were skipped: check the latest cached version once more.
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const latest = pods.store.get(`${namespace}/${p.metadata.name}`);
      if (latest && latest.metadata.uid === p.metadata.uid) void report(latest);
    }, 50);
    timers.add(timer);
  };
  pods.addEventHandler({ onAdd: report, onUpdate: (_o, p) => report(p) });
  factory.start();
  await factory.waitForSync();
  return {
    reported,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await factory.stop();
      rest.close();
    },
  };
}
