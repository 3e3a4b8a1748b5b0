// A pod's status from what the runtime holds for it, as upstream's kubelet computes it
// (generateAPIPodStatus / getPhase / the status manager's conditions): container states with lastState,
// restartCount, ready and started; the phase; the kubelet-owned conditions; pod and host IPs; startTime.
// Pure: the pod worker passes in the runtime state and the reasons it is waiting for (back-off, pulls).
import type { Obj } from './refs.js';
import type { ContainerRecord, PodRuntime } from './runtime-state.js';
import { instancesOf } from './runtime-state.js';

export interface WaitingReason {
  reason: string;
  message: string;
}

export interface PodStatusInput {
  pod: Obj;
  rt: PodRuntime;
  /** Why a container is waiting (CrashLoopBackOff, ErrImagePull, CreateContainerConfigError...), by name. */
  waiting: Map<string, WaitingReason>;
  hostIPs: string[];
  /** RFC 3339, seconds precision. */
  now: string;
  /** When the kubelet first saw the pod (used when the pod has no startTime yet). */
  startTime?: string;
  /** Probe results of running app containers (without: ready and started as soon as running). */
  probes?: ProbeStates;
}

/** Whether a running container has started (startup probe) and is ready (readiness probe). */
export interface ProbeStates {
  started(container: string, containerId: string): boolean;
  ready(container: string, containerId: string): boolean;
}

export const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'];

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function terminatedOf(c: ContainerRecord): Obj {
  const t: Obj = {
    exitCode: c.exitCode,
    reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: c.startedAt ? rfc3339(c.startedAt) : null,
    finishedAt: c.finishedAt ? rfc3339(c.finishedAt) : null,
    containerID: `containerd://${c.id}`,
  };
  if (c.message) t.message = c.message;
  return t;
}

function stateOf(c: ContainerRecord, defaultWaiting: string): Obj {
  switch (c.state) {
    case 'CONTAINER_RUNNING':
      return { running: { startedAt: rfc3339(c.startedAt || c.createdAt) } };
    case 'CONTAINER_EXITED':
      return { terminated: terminatedOf(c) };
    case 'CONTAINER_CREATED':
      return { waiting: { reason: defaultWaiting } };
    default:
      return {
        waiting: {
          reason: 'ContainerStatusUnknown',
          message: 'The container could not be located when the pod was terminated',
        },
      };
  }
}

export function containerStatus(
  spec: Obj,
  rt: PodRuntime,
  waiting: WaitingReason | undefined,
  defaultWaiting: string,
  isInit: boolean,
  probes?: ProbeStates,
): Obj {
  const { latest, previous } = instancesOf(rt, spec.name);
  const status: Obj = {
    name: spec.name,
    state: { waiting: { reason: defaultWaiting } },
    lastState: {},
    ready: false,
    restartCount: 0,
    image: spec.image,
    imageID: '',
    started: false,
  };
  if (latest) {
    status.restartCount = latest.restartCount;
    status.imageID = latest.imageRef;
    status.containerID = `containerd://${latest.id}`;
    status.state = stateOf(latest, defaultWaiting);
    if (previous) status.lastState = { terminated: terminatedOf(previous) };
    if (latest.state === 'CONTAINER_RUNNING') {
      status.started = isInit || !probes ? true : probes.started(spec.name, latest.id);
      status.ready = !isInit && (!probes || probes.ready(spec.name, latest.id));
    } else if (latest.state === 'CONTAINER_EXITED' && isInit && latest.exitCode === 0) {
      status.ready = true;
    }
    if (waiting && latest.state === 'CONTAINER_EXITED') {
      // Going to be restarted: the dead instance becomes lastState.
      status.lastState = { terminated: terminatedOf(latest) };
      status.state = { waiting: { ...waiting } };
    }
  } else if (waiting) {
    status.state = { waiting: { ...waiting } };
  }
  return status;
}

/** upstream's getPhase, for a pod whose sandbox and containers are in the given statuses. */
export function podPhase(spec: Obj, initStatuses: Obj[], statuses: Obj[]): string {
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of spec.initContainers ?? []) {
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) pendingInit++;
    else if (s.state?.running) pendingInit++;
    else if (s.state?.terminated && s.state.terminated.exitCode === 0) continue;
    else if (s.state?.terminated) failedInit++;
    else if (s.state?.waiting) {
      if (s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) failedInit++;
      else pendingInit++;
    } else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
  for (const c of spec.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = spec.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || failedInit > 0 || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  if (unknown > 0) return 'Unknown';
  return 'Pending';
}

function condition(type: string, ok: boolean, reason: string | undefined, message: string | undefined): Obj {
  const c: Obj = { type, status: ok ? 'True' : 'False', lastProbeTime: null };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

function names(list: string[]): string {
  return `[${list.join(' ')}]`;
}

export function podConditions(
  pod: Obj,
  phase: string,
  sandboxReady: boolean,
  initStatuses: Obj[],
  statuses: Obj[],
): Obj[] {
  const spec = pod.spec ?? {};
  const completed = phase === 'Succeeded';
  const out: Obj[] = [condition('PodReadyToStartContainers', sandboxReady, undefined, undefined)];
  const incompleteInit = (spec.initContainers ?? [])
    .filter((c: Obj) => {
      const s = initStatuses.find((x) => x.name === c.name);
      return !(s?.state?.terminated && s.state.terminated.exitCode === 0);
    })
    .map((c: Obj) => c.name);
  const initialized = incompleteInit.length === 0 || completed;
  out.push(
    completed
      ? condition('Initialized', true, 'PodCompleted', undefined)
      : initialized
        ? condition('Initialized', true, undefined, undefined)
        : condition(
            'Initialized',
            false,
            'ContainersNotInitialized',
            `containers with incomplete status: ${names(incompleteInit)}`,
          ),
  );
  const unready = (spec.containers ?? [])
    .filter((c: Obj) => !statuses.find((x) => x.name === c.name)?.ready)
    .map((c: Obj) => c.name);
  let containersReady: Obj;
  if (completed) containersReady = condition('ContainersReady', false, 'PodCompleted', undefined);
  else if (unready.length > 0)
    containersReady = condition(
      'ContainersReady',
      false,
      'ContainersNotReady',
      `containers with unready status: ${names(unready)}`,
    );
  else containersReady = condition('ContainersReady', true, undefined, undefined);
  // Ready also needs every readiness gate's condition to be True.
  const missingGates: string[] = [];
  const falseGates: string[] = [];
  for (const g of spec.readinessGates ?? []) {
    const c = (pod.status?.conditions ?? []).find((x: Obj) => x.type === g.conditionType);
    if (!c) missingGates.push(g.conditionType);
    else if (c.status !== 'True') falseGates.push(g.conditionType);
  }
  let ready: Obj;
  if (containersReady.status !== 'True') ready = { ...containersReady, type: 'Ready' };
  else if (missingGates.length > 0)
    ready = condition(
      'Ready',
      false,
      'ReadinessGatesNotReady',
      `corresponding condition of pod readiness gate "${missingGates[0]}" does not exist.`,
    );
  else if (falseGates.length > 0)
    ready = condition(
      'Ready',
      false,
      'ReadinessGatesNotReady',
      `the status of pod readiness gate "${falseGates[0]}" is not "True", but False`,
    );
  else ready = condition('Ready', true, undefined, undefined);
  out.push(ready, containersReady);
  return out;
}

function mergeConditions(previous: Obj[], computed: Obj[], now: string): Obj[] {
  const out: Obj[] = [];
  for (const c of computed) {
    const old = previous.find((p) => p?.type === c.type);
    out.push({ ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now });
  }
  // Conditions the kubelet does not own (PodScheduled, readiness gates, DisruptionTarget) stay as they are.
  for (const p of previous) if (!KUBELET_CONDITIONS.includes(p?.type)) out.push(p);
  return out;
}

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function computePodStatus(input: PodStatusInput): Obj {
  const { pod, rt, waiting, hostIPs, now, startTime, probes } = input;
  const spec = pod.spec ?? {};
  const old = pod.status ?? {};
  const initSpecs: Obj[] = spec.initContainers ?? [];
  const initStatuses = initSpecs.map((c) =>
    containerStatus(c, rt, waiting.get(c.name), 'PodInitializing', true),
  );
  const initDone = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const statuses = (spec.containers ?? []).map((c: Obj) =>
    containerStatus(
      c,
      rt,
      waiting.get(c.name),
      initDone ? 'ContainerCreating' : 'PodInitializing',
      false,
      probes,
    ),
  );
  let phase = podPhase(spec, initStatuses, statuses);
  // A pod that reached Succeeded or Failed stays there (upstream's status manager forbids leaving it).
  if (isTerminalPhase(old.phase)) phase = old.phase;
  const sandbox = rt.sandboxes.find((s) => s.ready);
  const sandboxReady = !!sandbox && (sandbox.ips.length > 0 || spec.hostNetwork === true);
  const podIPs = spec.hostNetwork
    ? hostIPs
    : sandbox?.ips.length
      ? sandbox.ips
      : (old.podIPs ?? []).map((p: Obj) => p.ip);
  const status: Obj = {
    phase,
    conditions: mergeConditions(
      old.conditions ?? [],
      podConditions(pod, phase, sandboxReady, initStatuses, statuses),
      now,
    ),
    hostIP: hostIPs[0] ?? '',
    hostIPs: hostIPs.map((ip) => ({ ip })),
    startTime: old.startTime ?? startTime ?? now,
    containerStatuses: statuses,
  };
  if (podIPs.length > 0) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map((ip: string) => ({ ip }));
  }
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  if (old.qosClass) status.qosClass = old.qosClass;
  // Set by whoever failed the pod (the eviction manager, admission): kept, as upstream's status manager does.
  if (old.reason) status.reason = old.reason;
  if (old.message) status.message = old.message;
  return status;
}

/** JSON with sorted keys and without null/undefined/empty-object noise, to compare statuses. */
export function canonical(v: unknown): string {
  const norm = (x: any): any => {
    if (Array.isArray(x)) return x.map(norm);
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) {
        const n = norm(x[k]);
        if (n === null || n === undefined) continue;
        if (typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue;
        out[k] = n;
      }
      return out;
    }
    return x;
  };
  return JSON.stringify(norm(v));
}

/** Whether writing next would change what the API server holds in stored. */
export function statusChanged(stored: Obj | undefined, next: Obj): boolean {
  return canonical(stored ?? {}) !== canonical(next);
}
