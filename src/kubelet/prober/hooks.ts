// Lifecycle hooks (upstream's pkg/kubelet/lifecycle handler runner): postStart runs right after the
// container starts, preStop before it is stopped, inside its termination grace period. exec runs the
// command in the container (no timeout of its own: the grace period bounds preStop), httpGet sends a
// GET to the pod (any response will do), sleep waits.
import { type Clock, sleep } from '../../client/index.js';
import type { Obj } from '../refs.js';
import { type ProbeTarget, runAction } from './probe.js';

export interface HookContext {
  pod: Obj;
  container: Obj;
  containerId: string;
  podIP: string;
}

/** What a hook's GET says it is (upstream: kube-lifecycle/<major>.<minor>). */
export const HOOK_USER_AGENT = 'kube-lifecycle/1.33';

/** Generous bound for an exec hook's ExecSync when nothing else limits it (a postStart hook). */
const EXEC_HOOK_TIMEOUT_S = 24 * 3600;

function podRef(pod: Obj): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

/** Runs one hook; resolves to undefined when it passed, else to the message for the Failed*Hook event. */
export async function runHook(
  target: ProbeTarget,
  clock: Clock,
  handler: Obj,
  ctx: HookContext,
): Promise<string | undefined> {
  const who = `Container "${ctx.container.name}" in Pod "${podRef(ctx.pod)}"`;
  if (handler.sleep) {
    await sleep(clock, Math.max(0, Number(handler.sleep.seconds) || 0) * 1000);
    return undefined;
  }
  const base = { containerId: ctx.containerId, container: ctx.container, podIP: ctx.podIP };
  if (handler.exec) {
    const r = await runAction(target, handler, { ...base, timeoutSeconds: EXEC_HOOK_TIMEOUT_S });
    if (r.result === 'success') return undefined;
    return `Exec lifecycle hook (${JSON.stringify(handler.exec.command ?? [])}) for ${who} failed - message: ${JSON.stringify(r.output)}`;
  }
  if (handler.httpGet) {
    // A hook without a port asks port 80.
    const port = handler.httpGet.port === '' || handler.httpGet.port == null ? 80 : handler.httpGet.port;
    const action = { httpGet: { ...handler.httpGet, port } };
    const r = await runAction(
      target,
      action,
      { ...base, timeoutSeconds: 30 },
      {
        anyHttpStatus: true,
        userAgent: HOOK_USER_AGENT,
      },
    );
    if (r.result === 'success') return undefined;
    return `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) for ${who} failed - error: ${r.output}`;
  }
  return `no handler for the lifecycle hook of ${who}`;
}

/** Upstream never gives a container less than this after its preStop hook. */
export const MIN_GRACE_AFTER_PRESTOP_S = 2;

/**
 * Runs the preStop hook within graceSeconds and returns what is left of the grace period for
 * StopContainer (at least 2 s, as upstream). A failed hook is reported and the stop goes on.
 */
export async function runPreStop(
  target: ProbeTarget,
  clock: Clock,
  ctx: HookContext,
  graceSeconds: number,
  onFailure: (message: string) => void,
): Promise<number> {
  const handler = ctx.container.lifecycle?.preStop;
  if (!handler) return graceSeconds;
  const began = clock.now();
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const outOfTime = new Promise<'timeout'>((r) => {
    timer = clock.setTimeout(() => r('timeout'), graceSeconds * 1000);
  });
  const outcome = await Promise.race([runHook(target, clock, handler, ctx), outOfTime]);
  clock.clearTimeout(timer);
  if (typeof outcome === 'string' && outcome !== 'timeout') onFailure(outcome);
  const spent = Math.ceil((clock.now() - began) / 1000);
  return Math.max(MIN_GRACE_AFTER_PRESTOP_S, graceSeconds - spent);
}
