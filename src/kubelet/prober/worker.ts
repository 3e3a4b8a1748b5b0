// One probe of one container of one pod, run every periodSeconds on the kubelet's clock (upstream's
// prober worker): it follows the container through restarts (a new container id starts over from the
// kind's initial result), waits out initialDelaySeconds, runs liveness and readiness only once the
// container has started (its startup probe passed) and the startup probe only until then, and reports a
// result once successThreshold successes or failureThreshold failures in a row say so. A liveness or
// startup failure puts the worker on hold until the container is replaced.
import type { Clock, TimerHandle } from '../../client/index.js';
import type { Obj } from '../refs.js';
import type { ProbeOutcome, ProbeResult } from './probe.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** What the worker sees of its container at a tick (from the latest pod sync). */
export interface ContainerView {
  id: string;
  running: boolean;
  /** ms since the epoch. */
  startedAt: number;
  /** Whether the container counts as started (its startup probe passed, or it has none). */
  started: boolean;
  podIP: string;
}

export interface ProbeSettings {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The probe's timing with upstream's defaults (period 10 s, timeout 1 s, thresholds 1 and 3). */
export function probeSettings(probe: Obj, kind: ProbeKind): ProbeSettings {
  const pos = (v: unknown, d: number) => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : d);
  return {
    initialDelaySeconds: Math.max(0, Number(probe.initialDelaySeconds) || 0),
    periodSeconds: pos(probe.periodSeconds, 10),
    timeoutSeconds: pos(probe.timeoutSeconds, 1),
    // Liveness and startup need exactly one success (validation says so); readiness may ask for more.
    successThreshold: kind === 'readiness' ? pos(probe.successThreshold, 1) : 1,
    failureThreshold: pos(probe.failureThreshold, 3),
  };
}

/** A result before any probe ran: not ready, alive, not yet started (as upstream). */
export function initialResult(kind: ProbeKind): ProbeResult {
  return kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
}

export interface WorkerHooks {
  view(): ContainerView | undefined;
  probe(view: ContainerView): Promise<ProbeOutcome>;
  /** A new result for a container id: from probing, or the initial one (probed false). */
  setResult(containerId: string, result: ProbeResult, probed: boolean): void;
  removeResult(containerId: string): void;
  /** Every probe that did not pass (for the Unhealthy event). */
  onFailedProbe(outcome: ProbeOutcome): void;
}

export class ProbeWorker {
  readonly settings: ProbeSettings;
  private containerId = '';
  private onHold = false;
  private lastResult: ProbeResult = 'unknown';
  private resultRun = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private running = false;
  /** Probes run so far (for tests and stats). */
  probes = 0;

  constructor(
    readonly kind: ProbeKind,
    probe: Obj,
    private readonly clock: Clock,
    private readonly hooks: WorkerHooks,
  ) {
    this.settings = probeSettings(probe, kind);
  }

  /** Probes now, then every periodSeconds until stop(). */
  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    if (this.containerId) this.hooks.removeResult(this.containerId);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    const began = this.clock.now();
    try {
      await this.doProbe();
    } finally {
      this.running = false;
      const period = this.settings.periodSeconds * 1000;
      this.schedule(Math.max(0, began + period - this.clock.now()));
    }
  }

  private async doProbe(): Promise<void> {
    const c = this.hooks.view();
    if (!c?.id) return; // not created yet
    if (c.id !== this.containerId) {
      if (this.containerId) this.hooks.removeResult(this.containerId);
      this.containerId = c.id;
      this.hooks.setResult(c.id, initialResult(this.kind), false);
      this.onHold = false;
      this.lastResult = 'unknown';
      this.resultRun = 0;
    }
    if (this.onHold) return;
    if (!c.running) {
      this.hooks.setResult(c.id, 'failure', true);
      return;
    }
    if (this.clock.now() - c.startedAt < this.settings.initialDelaySeconds * 1000) return;
    // The startup probe runs until the container has started; the others only after.
    if (this.kind === 'startup' ? c.started : !c.started) return;

    this.probes++;
    const outcome = await this.hooks.probe(c);
    if (this.stopped || this.hooks.view()?.id !== c.id) return;
    if (outcome.result !== 'success') this.hooks.onFailedProbe(outcome);
    // An error (neither pass nor fail) does not count towards the thresholds.
    if (outcome.result === 'unknown') return;
    if (outcome.result === this.lastResult) this.resultRun++;
    else {
      this.lastResult = outcome.result;
      this.resultRun = 1;
    }
    const { successThreshold, failureThreshold } = this.settings;
    if (outcome.result === 'failure' && this.resultRun < failureThreshold) return;
    if (outcome.result === 'success' && this.resultRun < successThreshold) return;
    this.hooks.setResult(c.id, outcome.result, true);
    if (outcome.result === 'failure' && this.kind !== 'readiness') {
      // The container is about to be killed: stop probing it until it is replaced.
      this.onHold = true;
      this.resultRun = 0;
    }
  }
}
