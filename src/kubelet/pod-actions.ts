// What a pod needs from the runtime next, decided from its spec and what the runtime holds (upstream's
// kuberuntime computePodActions): a new sandbox (killing the old one first), the next init container, app
// containers to start or restart under the restart policy, and the ones held back by the crash-loop
// back-off. Pure: the pod worker carries the actions out.
import type { Backoff } from './backoff.js';
import { goDuration } from './backoff.js';
import type { WaitingReason } from './pod-status.js';
import type { Obj } from './refs.js';
import type { ContainerRecord, PodRuntime, SandboxRecord } from './runtime-state.js';
import { instancesOf } from './runtime-state.js';

export interface ContainerStart {
  spec: Obj;
  restartCount: number;
  /** The dead instance this start replaces (its finish time feeds the back-off). */
  replaces?: ContainerRecord;
}

export interface PodActions {
  /** Stop every container and sandbox first (the sandbox died or is being replaced). */
  killPod: boolean;
  createSandbox: boolean;
  sandboxAttempt: number;
  /** The ready sandbox to use when not creating one. */
  sandbox?: SandboxRecord;
  start: ContainerStart[];
  /** Created but never started (the kubelet stopped between the two calls). */
  startCreated: ContainerRecord[];
  /** Running containers the spec no longer has. */
  kill: ContainerRecord[];
  /** Running containers a liveness or startup probe failed: killed, then the restart policy decides. */
  unhealthy: { container: ContainerRecord; message: string }[];
  waiting: Map<string, WaitingReason>;
  /** Sync again after this long (a back-off ends). */
  requeueAfterMs?: number;
}

export function backoffKey(pod: Obj, containerName: string): string {
  return `${pod.metadata.uid}/${containerName}`;
}

/** Whether a container that exited should run again under the pod's restart policy. */
export function shouldRestart(policy: string | undefined, exitCode: number): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}

function podRef(pod: Obj): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

/** What the probes say about a running container (the prober manager). */
export interface ProbeVerdicts {
  failed(container: string, containerId: string): 'liveness' | 'startup' | undefined;
}

export function computePodActions(
  pod: Obj,
  rt: PodRuntime,
  backoff: Backoff,
  probes?: ProbeVerdicts,
): PodActions {
  const spec = pod.spec ?? {};
  const policy: string = spec.restartPolicy ?? 'Always';
  const initSpecs: Obj[] = spec.initContainers ?? [];
  const appSpecs: Obj[] = spec.containers ?? [];
  const actions: PodActions = {
    killPod: false,
    createSandbox: false,
    sandboxAttempt: 0,
    start: [],
    startCreated: [],
    kill: [],
    unhealthy: [],
    waiting: new Map(),
  };
  let requeue = Number.POSITIVE_INFINITY;

  /** Queues a restart of spec unless the crash-loop back-off holds it. */
  const restart = (c: Obj, latest: ContainerRecord) => {
    const { inBackoff, remainingMs } = backoff.inBackoffSince(backoffKey(pod, c.name), latest.finishedAt);
    if (inBackoff) {
      const delay = backoff.get(backoffKey(pod, c.name));
      actions.waiting.set(c.name, {
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(delay)} restarting failed container=${c.name} pod=${podRef(pod)}`,
      });
      requeue = Math.min(requeue, remainingMs);
      return;
    }
    actions.start.push({ spec: c, restartCount: latest.restartCount + 1, replaces: latest });
  };

  const ready = rt.sandboxes.find((s) => s.ready);
  const anyRunning = rt.containers.some((c) => c.state === 'CONTAINER_RUNNING');
  if (!ready) {
    const last = rt.sandboxes[0];
    actions.killPod = anyRunning || rt.sandboxes.length > 0;
    // A restartPolicy Never pod whose sandbox died after its containers ran is not started again.
    if (last && policy === 'Never' && rt.containers.length > 0) return actions;
    actions.createSandbox = true;
    actions.sandboxAttempt = last ? last.attempt + 1 : 0;
    const count = (name: string) => {
      const { latest } = instancesOf(rt, name);
      return latest ? latest.restartCount + 1 : 0;
    };
    if (initSpecs.length > 0) {
      actions.start.push({ spec: initSpecs[0], restartCount: count(initSpecs[0].name) });
      return actions;
    }
    for (const c of appSpecs) {
      const { latest } = instancesOf(rt, c.name);
      if (latest && latest.state === 'CONTAINER_EXITED' && latest.exitCode === 0 && policy === 'OnFailure')
        continue;
      actions.start.push({ spec: c, restartCount: count(c.name) });
    }
    return actions;
  }
  actions.sandbox = ready;
  const mine = (c: ContainerRecord) => c.sandboxId === ready.id;

  // Init containers run one at a time, in order, each to success.
  for (const c of initSpecs) {
    const { latest } = instancesOf(rt, c.name);
    if (!latest || !mine(latest)) {
      actions.start.push({ spec: c, restartCount: latest ? latest.restartCount + 1 : 0 });
      return actions;
    }
    if (latest.state === 'CONTAINER_CREATED') {
      actions.startCreated.push(latest);
      return actions;
    }
    if (latest.state === 'CONTAINER_RUNNING') return actions;
    if (latest.state === 'CONTAINER_EXITED' && latest.exitCode === 0) continue;
    // Failed: Never fails the pod (the phase says so); otherwise it runs again after the back-off.
    if (policy !== 'Never') restart(c, latest);
    if (Number.isFinite(requeue)) actions.requeueAfterMs = requeue;
    return actions;
  }

  const names = new Set(appSpecs.map((c) => c.name).concat(initSpecs.map((c) => c.name)));
  for (const c of rt.containers)
    if (c.state === 'CONTAINER_RUNNING' && !names.has(c.name)) actions.kill.push(c);

  for (const c of appSpecs) {
    const { latest } = instancesOf(rt, c.name);
    if (!latest) {
      actions.start.push({ spec: c, restartCount: 0 });
      continue;
    }
    if (latest.state === 'CONTAINER_RUNNING') {
      const probe = probes?.failed(c.name, latest.id);
      if (probe) {
        const again = policy !== 'Never' ? ', will be restarted' : '';
        actions.unhealthy.push({
          container: latest,
          message: `Container ${c.name} failed ${probe} probe${again}`,
        });
      }
      continue;
    }
    if (latest.state === 'CONTAINER_CREATED') {
      actions.startCreated.push(latest);
      continue;
    }
    if (!shouldRestart(policy, latest.exitCode)) continue;
    restart(c, latest);
  }
  if (Number.isFinite(requeue)) actions.requeueAfterMs = requeue;
  return actions;
}

/** The grace period for stopping a pod's containers: the deletion's, else the spec's (default 30 s). */
export function terminationGracePeriod(pod: Obj | undefined): number {
  const g = pod?.metadata?.deletionGracePeriodSeconds ?? pod?.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, Number(g) || 0);
}

export type TerminationStep = 'sync' | 'stop' | 'remove-and-forget' | 'stop-and-confirm';

/**
 * What to do with a pod given whether the API server still has it and whether it is being deleted:
 * keep it running; stop a finished pod's sandbox; stop everything and confirm the deletion (graceful
 * deletion); or stop and remove what is left of a pod the API server no longer has.
 */
export function terminationStep(pod: Obj | undefined, phase: string | undefined): TerminationStep {
  if (!pod) return 'remove-and-forget';
  if (pod.metadata?.deletionTimestamp) return 'stop-and-confirm';
  if (phase === 'Succeeded' || phase === 'Failed') return 'stop';
  return 'sync';
}
