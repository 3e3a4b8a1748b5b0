import { list } from './guards.js';
// The pod printer's READY / STATUS / RESTARTS cells, computed as upstream's printPod does
// (pkg/printers/internalversion/printers.go), including init and sidecar containers.
import { humanDuration } from './table.js';
import type { Obj } from './types.js';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

const NodeUnreachablePodReason = 'NodeLost';

function isRestartableInitContainer(c: any): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionTrue(pod: Obj, type: string): boolean {
  const c = list(pod.status?.conditions).find((x: any) => x?.type === type);
  return c?.status === 'True';
}

function time(ts: unknown): number {
  return typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
}

function later(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.max(a, b);
}

export function podSummary(pod: Obj, now: number = Date.now()): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const initSpecs: any[] = list(spec.initContainers);
  let restarts = 0;
  let sidecarRestarts = 0;
  let totalContainers = list(spec.containers).length;
  let readyContainers = 0;
  let lastRestart = Number.NaN;
  let lastSidecarRestart = Number.NaN;

  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;
  for (const c of list(status.conditions))
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initByName = new Map<string, any>();
  for (const c of initSpecs) {
    initByName.set(c?.name, c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses: any[] = list(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] ?? {};
    const state = c.state ?? {};
    const sidecar = isRestartableInitContainer(initByName.get(c.name));
    restarts += c.restartCount ?? 0;
    const finished = time(c.lastState?.terminated?.finishedAt);
    if (c.lastState?.terminated) lastRestart = later(lastRestart, finished);
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0;
      if (c.lastState?.terminated) lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    if (state.terminated && (state.terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) readyContainers++;
      continue;
    }
    if (state.terminated) {
      const t = state.terminated;
      if (!t.reason) reason = t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode ?? 0}`;
      else reason = `Init:${t.reason}`;
    } else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: any[] = list(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {};
      const state = c.state ?? {};
      restarts += c.restartCount ?? 0;
      if (c.lastState?.terminated) lastRestart = later(lastRestart, time(c.lastState.terminated.finishedAt));
      if (state.waiting?.reason) reason = state.waiting.reason;
      else if (state.terminated?.reason) reason = state.terminated.reason;
      else if (state.terminated)
        reason = state.terminated.signal
          ? `Signal:${state.terminated.signal}`
          : `ExitCode:${state.terminated.exitCode ?? 0}`;
      else if (c.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp && status.reason === NodeUnreachablePodReason) reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed')
    reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && !Number.isNaN(lastRestart))
    restartsText = `${restarts} (${humanDuration(now - lastRestart)} ago)`;

  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

/** The wide cells: IP, NODE, NOMINATED NODE, READINESS GATES. */
export function podWideCells(pod: Obj): [string, string, string, string] {
  const ip = pod.status?.podIPs?.[0]?.ip || '<none>';
  const node = pod.spec?.nodeName || '<none>';
  const nominated = pod.status?.nominatedNodeName || '<none>';
  const gates: any[] = list(pod.spec?.readinessGates);
  let readiness = '<none>';
  if (gates.length > 0) {
    let trueCount = 0;
    for (const g of gates) {
      const c = list(pod.status?.conditions).find((x: any) => x?.type === g?.conditionType);
      if (c?.status === 'True') trueCount++;
    }
    readiness = `${trueCount}/${gates.length}`;
  }
  return [ip, node, nominated, readiness];
}
