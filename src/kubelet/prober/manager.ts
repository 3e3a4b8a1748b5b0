// The kubelet's probes (upstream's prober manager): a worker per pod, container and probe kind
// (liveness, readiness, startup) for as long as the pod runs here; their latest results per container
// id, which the status reads (ready, started) and the pod sync acts on (a failed liveness or startup
// probe kills the container, and the restart policy decides what follows). A changed result wakes the
// pod's worker.
import type { Clock, Logger } from '../../client/index.js';
import type { Obj } from '../refs.js';
import { instancesOf, type PodRuntime } from '../runtime-state.js';
import { type ProbeOutcome, type ProbeResult, type ProbeTarget, runAction } from './probe.js';
import { type ContainerView, type ProbeKind, ProbeWorker } from './worker.js';

export interface ProbeEvents {
  event(obj: Obj, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface ProbeManagerDeps {
  clock: Clock;
  target: ProbeTarget;
  recorder: ProbeEvents;
  /** A result changed: sync the pod again. */
  onChange(uid: string): void;
  log?: Logger;
  /** Runs one probe (default: runAction against the target; tests inject their own). */
  run?(action: Obj, view: ContainerView, container: Obj, timeoutSeconds: number): Promise<ProbeOutcome>;
}

const KINDS: [ProbeKind, string][] = [
  ['startup', 'startupProbe'],
  ['liveness', 'livenessProbe'],
  ['readiness', 'readinessProbe'],
];

const TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

interface PodProbes {
  pod: Obj;
  views: Map<string, Omit<ContainerView, 'started'>>;
  workers: Map<string, ProbeWorker>;
}

export class ProbeManager {
  private readonly pods = new Map<string, PodProbes>();
  /** `${kind}/${containerId}` -> result. */
  private readonly results = new Map<string, ProbeResult>();
  /** Results that came from probing (not a worker's initial value), same keys. */
  private readonly probed = new Set<string>();
  /** When this kubelet started: containers older than that were probed by its predecessor. */
  private readonly startedAt: number;

  constructor(private readonly d: ProbeManagerDeps) {
    this.startedAt = d.clock.now();
  }

  /** Starts and stops workers for the pod's probes and records what its containers are doing. */
  update(pod: Obj, rt: PodRuntime): void {
    const uid: string = pod.metadata.uid;
    let entry = this.pods.get(uid);
    if (!entry) {
      entry = { pod, views: new Map(), workers: new Map() };
      this.pods.set(uid, entry);
    }
    entry.pod = pod;
    const podIP: string = rt.sandboxes.find((s) => s.ready)?.ips[0] ?? pod.status?.podIP ?? '';
    const wanted = new Set<string>();
    for (const c of (pod.spec?.containers ?? []) as Obj[]) {
      const { latest } = instancesOf(rt, c.name);
      if (latest)
        entry.views.set(c.name, {
          id: latest.id,
          running: latest.state === 'CONTAINER_RUNNING',
          startedAt: latest.startedAt || latest.createdAt,
          podIP,
        });
      for (const [kind, field] of KINDS) {
        if (!c[field]) continue;
        const key = `${c.name}/${kind}`;
        wanted.add(key);
        if (entry.workers.has(key)) continue;
        const w = this.newWorker(uid, c, kind, c[field]);
        entry.workers.set(key, w);
        w.start();
      }
    }
    for (const [key, w] of entry.workers)
      if (!wanted.has(key)) {
        w.stop();
        entry.workers.delete(key);
      }
    if (entry.workers.size === 0) this.pods.delete(uid);
  }

  /** Stops the pod's workers (the pod finished or is being deleted). */
  removePod(uid: string): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    for (const w of entry.workers.values()) w.stop();
    this.pods.delete(uid);
  }

  stop(): void {
    for (const uid of [...this.pods.keys()]) this.removePod(uid);
  }

  /** Workers running (for tests). */
  worker(uid: string, container: string, kind: ProbeKind): ProbeWorker | undefined {
    return this.pods.get(uid)?.workers.get(`${container}/${kind}`);
  }

  private has(uid: string, container: string, kind: ProbeKind): boolean {
    return !!this.pods.get(uid)?.workers.has(`${container}/${kind}`);
  }

  result(kind: ProbeKind, containerId: string): ProbeResult | undefined {
    return this.results.get(`${kind}/${containerId}`);
  }

  /** Whether a running container has started: its startup probe passed, or it has none. */
  started(uid: string, container: string, containerId: string): boolean {
    if (!this.has(uid, container, 'startup')) return true;
    return this.result('startup', containerId) === 'success';
  }

  /**
   * Whether a running container is ready: started, and its readiness probe passed or it has none. After
   * a kubelet restart, a container it adopted keeps the readiness its pod had until its probe has run
   * (as upstream), so a restart does not flap Ready and Service endpoints.
   */
  ready(uid: string, container: string, containerId: string): boolean {
    if (!this.started(uid, container, containerId)) return false;
    if (!this.has(uid, container, 'readiness')) return true;
    if (this.result('readiness', containerId) === 'success') return true;
    const entry = this.pods.get(uid);
    const view = entry?.views.get(container);
    if (this.probed.has(`readiness/${containerId}`) || !view || view.id !== containerId) return false;
    const wasReady = (entry!.pod.status?.conditions ?? []).some(
      (c: Obj) => c.type === 'Ready' && c.status === 'True',
    );
    return view.startedAt < this.startedAt && wasReady;
  }

  /** The probe that says a running container must be killed, if any. */
  failed(uid: string, container: string, containerId: string): 'liveness' | 'startup' | undefined {
    if (this.has(uid, container, 'startup') && this.result('startup', containerId) === 'failure')
      return 'startup';
    if (this.has(uid, container, 'liveness') && this.result('liveness', containerId) === 'failure')
      return 'liveness';
    return undefined;
  }

  private newWorker(uid: string, container: Obj, kind: ProbeKind, probe: Obj): ProbeWorker {
    const name: string = container.name;
    const run =
      this.d.run ??
      ((action: Obj, view: ContainerView, spec: Obj, timeoutSeconds: number) =>
        runAction(this.d.target, action, {
          containerId: view.id,
          container: spec,
          podIP: view.podIP,
          timeoutSeconds,
        }));
    return new ProbeWorker(kind, probe, this.d.clock, {
      view: () => {
        const v = this.pods.get(uid)?.views.get(name);
        return v ? { ...v, started: v.running && this.started(uid, name, v.id) } : undefined;
      },
      probe: (view) => run(probe, view, container, probe.timeoutSeconds > 0 ? probe.timeoutSeconds : 1),
      setResult: (id, result, probed) => {
        const key = `${kind}/${id}`;
        const old = this.results.get(key);
        this.results.set(key, result);
        if (probed) this.probed.add(key);
        if (old !== undefined && old !== result) this.d.onChange(uid);
      },
      removeResult: (id) => {
        this.results.delete(`${kind}/${id}`);
        this.probed.delete(`${kind}/${id}`);
      },
      onFailedProbe: (outcome) => {
        const pod = this.pods.get(uid)?.pod;
        if (!pod) return;
        const verb = outcome.result === 'unknown' ? 'errored' : 'failed';
        this.d.recorder.event(
          pod,
          'Warning',
          'Unhealthy',
          `${TITLE[kind]} probe ${verb}: ${outcome.output}`.trimEnd(),
        );
      },
    });
  }
}

/** The Killing event's message for a container a probe failed (upstream's wording). */
export function probeKillMessage(container: string, probe: 'liveness' | 'startup', restart: boolean): string {
  return `Container ${container} failed ${probe} probe${restart ? ', will be restarted' : ''}`;
}
