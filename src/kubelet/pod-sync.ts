// Carries out one sync of one pod against the runtime (upstream's SyncPod / SyncTerminatingPod): reads
// the pod's runtime state, creates the sandbox, pulls images, creates and starts containers with their
// environment and logs, stops containers with their grace period, and reports the resulting status.
// The pod workers make sure two syncs of one pod never overlap.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, type EventRecorder, isNotFound, type Logger, type RestClient } from '../client/index.js';
import { type CriClient, isCriNotFound } from '../runtime/cri/client.js';
import type { PodSandboxConfig } from '../runtime/cri/types.js';
import { Backoff } from './backoff.js';
import { ensurePodCgroup, removeCgroup } from './cgroups.js';
import {
  containerConfig,
  podCgroupConfig,
  podCgroupParent,
  podLogDir,
  type ResourceOptions,
  sandboxConfig,
} from './container-config.js';
import { type ClusterDnsConfig, podDns } from './dns.js';
import { ContainerConfigError, type EnvSources, expandCommand, resolveEnv } from './env.js';
import type { ResolvConf } from './host.js';
import { ImageError, ImagePuller } from './image-puller.js';
import {
  backoffKey,
  type ContainerStart,
  computePodActions,
  terminationGracePeriod,
  terminationStep,
} from './pod-actions.js';
import { computePodStatus, isTerminalPhase, rfc3339, type WaitingReason } from './pod-status.js';
import { runHook, runPreStop } from './prober/hooks.js';
import type { ProbeManager } from './prober/manager.js';
import { type Obj, PODS, PVCS, PVS } from './refs.js';
import { type ContainerRecord, type PodRuntime, readPodRuntime } from './runtime-state.js';
import { isStaticPod } from './static/manifest.js';
import type { MirrorPods } from './static/mirror.js';
import type { StatusManager } from './status-manager.js';
import { VolumeManager } from './volumes/manager.js';
import { ObjectWatcher } from './volumes/object-watcher.js';
import { prepareVolumes } from './volumes/sync.js';
import { TokenManager } from './volumes/tokens.js';

export interface PodSyncDeps {
  cri: CriClient;
  rest: RestClient;
  recorder: EventRecorder;
  status: StatusManager;
  clock: Clock;
  log: Logger;
  dataDir: string;
  dns: ResolvConf;
  /** The cluster DNS pods with dnsPolicy ClusterFirst use (undefined until the node knows it). */
  clusterDns?(): ClusterDnsConfig | undefined;
  cgroupRoot?: string;
  hostIPs(): string[];
  /** Pods whose sandbox and containers are being started at once (default 8). */
  parallelStarts?: number;
  nodeAllocatable(): Record<string, string>;
  /** Liveness, readiness and startup probes (without: containers are ready once running). */
  probes?: ProbeManager;
  /** Secret and projected volumes on tmpfs (the kubelet; unit tests write them to disk). */
  memoryBackedSecrets?: boolean;
  /** The node's memory capacity (OOM score adjustment) and how swap is held to memory limits. */
  resources?: ResourceOptions;
  /** Create each pod's cgroup with its limits before its sandbox (the kubelet; not unit tests). */
  podCgroups?: boolean;
  /** Whether a pod the kubelet has not started yet may start (the eviction manager's admission). */
  admit?(pod: Obj): { admit: true } | { admit: false; reason: string; message: string };
  /** Mirror pods of static pods (without: static pods run but are not shown in the API server). */
  mirrors?: MirrorPods;
  /** Whether the pod network is configured (without: always); pods not on the host network wait for it. */
  networkReady?(): boolean;
  /** A ConfigMap or Secret these pods use changed (their volumes are being rewritten; a held start may go). */
  onObjectChange?(uids: string[]): void;
}

/** How soon a static pod whose mirror pod could not be made (the API server is away) tries again. */
export const MIRROR_RETRY_MS = 5_000;
/** How soon a pod waiting for the pod network looks again. */
export const NETWORK_WAIT_MS = 1_000;

export interface SyncOutcome {
  requeueAfterMs?: number;
  /** The pod is done with (removed from the runtime, deletion confirmed): forget it. */
  finished?: boolean;
}

export const DEFAULT_PARALLEL_STARTS = 8;

/** A counting semaphore: at most n callers run at once, the rest wait in order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly n: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiters.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** How often a running pod is looked at again even without a runtime event. */
export const RESYNC_MS = 60_000;

/** K8TS_KUBELET_TRACE=1 prints how long each sync and its steps took (to stderr). */
const TRACE = !!process.env.K8TS_KUBELET_TRACE;
const TRACE_STEPS = new Map<string, string>();
const TRACE_LAST = new Map<string, number>();
function traceStep(uid: string, name: string): void {
  if (!TRACE) return;
  const now = performance.now();
  TRACE_STEPS.set(
    uid,
    `${TRACE_STEPS.get(uid) ?? ''} ${name}+${(now - (TRACE_LAST.get(uid) ?? now)).toFixed(0)}`,
  );
  TRACE_LAST.set(uid, now);
}

export class PodSyncer {
  readonly crashBackoff: Backoff;
  readonly images: ImagePuller;
  /** The last waiting reasons per pod uid (kept between syncs, as upstream's reasonCache). */
  private readonly reasons = new Map<string, Map<string, WaitingReason>>();
  private readonly env: EnvSources;
  private readonly startSlots: Semaphore;
  /** When this kubelet first saw each pod (its status.startTime until the API server has one). */
  private readonly firstSeen = new Map<string, string>();
  /** Pod volumes: set up before containers start, refreshed, torn down with the pod. */
  readonly volumes: VolumeManager;
  /** The ConfigMaps and Secrets the pods use, each watched while some pod uses it. */
  readonly objects: ObjectWatcher;
  /**
   * Pods this kubelet failed itself (evicted, or refused at admission): the status they end with and the
   * grace period to stop them in. Applied over the API server's copy until it shows the terminal phase, so
   * a sync racing the status write never brings the pod back to Running.
   */
  private readonly failed = new Map<string, { status: Obj; graceSeconds?: number }>();

  constructor(private readonly d: PodSyncDeps) {
    this.crashBackoff = new Backoff(d.clock);
    this.startSlots = new Semaphore(d.parallelStarts ?? DEFAULT_PARALLEL_STARTS);
    this.images = new ImagePuller(d.cri, d.recorder, d.clock);
    // ConfigMaps and Secrets come from a watch per referenced object: an edit rewrites the volumes at once.
    this.objects = new ObjectWatcher({
      rest: d.rest,
      clock: d.clock,
      log: d.log,
      onChange: (_key, uids) => {
        void this.volumes.refreshPods(uids);
        d.onObjectChange?.(uids);
      },
    });
    this.env = {
      configMap: (ns, name) => this.objects.get('configmap', ns, name),
      secret: (ns, name) => this.objects.get('secret', ns, name),
    };
    const tokens = new TokenManager(d.rest, d.clock);
    this.volumes = new VolumeManager({
      dataDir: d.dataDir,
      clock: d.clock,
      log: d.log,
      memoryBackedSecrets: d.memoryBackedSecrets,
      sources: {
        ...this.env,
        token: (pod, audience, seconds) => tokens.token(pod, audience, seconds),
        nodeAllocatable: () => d.nodeAllocatable(),
        forget: (uid) => tokens.forget(uid),
        persistentVolumeClaim: (ns, name) => getOrUndefined(d.rest.resource<Obj>(PVCS).in(ns).get(name)),
        persistentVolume: (name) => getOrUndefined(d.rest.resource<Obj>(PVS).get(name)),
      },
    });
  }

  /** One level-based pass over a pod: pod is the API server's object, or undefined when it is gone. */
  async sync(uid: string, pod: Obj | undefined, lastKnown: Obj | undefined): Promise<SyncOutcome> {
    if (!TRACE) return this.syncOnce(uid, pod, lastKnown);
    const t0 = performance.now();
    TRACE_LAST.set(uid, t0);
    try {
      return await this.syncOnce(uid, pod, lastKnown);
    } finally {
      console.error(
        `kubelet trace ${pod?.metadata?.name ?? uid} sync ${(performance.now() - t0).toFixed(0)} ms ${TRACE_STEPS.get(uid) ?? ''}`,
      );
      TRACE_STEPS.delete(uid);
    }
  }

  /** Fails a pod (phase Failed with the given status) and stops its containers in graceSeconds. */
  failPod(uid: string, status: Obj, graceSeconds?: number): void {
    this.failed.set(uid, { status, graceSeconds });
  }

  private async syncOnce(
    uid: string,
    pod: Obj | undefined,
    lastKnown: Obj | undefined,
  ): Promise<SyncOutcome> {
    const firstSight = pod !== undefined && !this.firstSeen.has(uid);
    if (pod && firstSight) this.firstSeen.set(uid, pod.status?.startTime ?? rfc3339(this.d.clock.now()));
    const rt = await readPodRuntime(this.d.cri, uid);
    traceStep(uid, 'read');
    // Admission, once, for a pod that has never run here (upstream's HandlePodAdditions). A refused pod gets
    // only phase, reason and message, as upstream's rejectPod writes it (kubectl then shows the reason).
    if (pod && firstSight && this.d.admit && rt.sandboxes.length === 0 && rt.containers.length === 0) {
      const verdict = pod.status?.phase === 'Pending' || !pod.status?.phase ? this.d.admit(pod) : undefined;
      if (verdict && !verdict.admit) {
        this.d.recorder.event(pod, 'Warning', verdict.reason, verdict.message);
        await this.d.status.set(pod, {
          ...pod.status,
          phase: 'Failed',
          reason: verdict.reason,
          message: `Pod was rejected: ${verdict.message}`,
        });
        return {};
      }
    }
    const failed = this.failed.get(uid);
    if (pod && failed && !isTerminalPhase(pod.status?.phase))
      pod = { ...pod, status: { ...pod.status, ...failed.status } };
    const step = terminationStep(pod, pod?.status?.phase);
    if (step === 'remove-and-forget') {
      // An API pod already had its grace period during its graceful deletion; a static pod whose file went
      // away gets its whole grace period now.
      const grace = terminationGracePeriod(lastKnown);
      await this.killPod(lastKnown, rt, isStaticPod(lastKnown) ? grace : Math.min(grace, 2));
      await this.removePod(rt);
      this.cleanupPodFiles(lastKnown);
      await this.volumes.tearDown(uid);
      if (isStaticPod(lastKnown) && this.d.mirrors) await this.d.mirrors.removeFor(lastKnown!);
      this.forget(uid);
      return { finished: true };
    }
    const p = pod!;
    if (step === 'stop-and-confirm' || step === 'stop') this.d.probes?.removePod(uid);
    if (step === 'stop-and-confirm') {
      await this.killPod(p, rt, terminationGracePeriod(p));
      const after = await readPodRuntime(this.d.cri, uid);
      await this.writeStatus(p, after, new Map()).catch(() => {});
      await this.removePod(after);
      this.cleanupPodFiles(p);
      await this.volumes.tearDown(uid);
      try {
        await this.d.rest
          .resource<Obj>(PODS)
          .in(p.metadata.namespace)
          .delete(p.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (err) {
        if (!isNotFound(err) && !/Precondition failed/.test((err as Error).message)) throw err;
      }
      this.forget(uid);
      return { finished: true };
    }
    if (step === 'stop') {
      await this.killPod(p, rt, failed?.graceSeconds ?? terminationGracePeriod(p), false);
      // A finished pod's volumes go once its containers are stopped (upstream unmounts them too).
      await this.volumes.tearDown(uid);
      this.objects.unregisterPod(uid);
      // A pod that never ran here (refused at admission) keeps the status it was failed with.
      const neverRan =
        rt.sandboxes.length === 0 && rt.containers.length === 0 && !p.status?.containerStatuses;
      if (!neverRan) await this.writeStatus(p, await readPodRuntime(this.d.cri, uid), new Map());
      return {};
    }

    this.objects.registerPod(p);
    const waiting = new Map<string, WaitingReason>();
    const probes = this.d.probes;
    const actions = computePodActions(
      p,
      rt,
      this.crashBackoff,
      probes && {
        failed: (name, id) => probes.failed(uid, name, id),
      },
    );
    for (const [k, v] of actions.waiting) waiting.set(k, v);
    let requeue = actions.requeueAfterMs;
    const note = (ms: number | undefined) => {
      if (ms !== undefined) requeue = Math.min(requeue ?? ms, ms);
    };
    if (isStaticPod(p) && this.d.mirrors) {
      try {
        await this.d.mirrors.ensure(p);
      } catch (err) {
        this.d.log.warn('mirror pod not created', {
          pod: `${p.metadata.namespace}/${p.metadata.name}`,
          error: err,
        });
        note(MIRROR_RETRY_MS);
      }
    }
    for (const [name, w] of waiting) {
      if (w.reason === 'CrashLoopBackOff')
        this.d.recorder.event(
          p,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${name} in pod ${p.metadata.name}_${p.metadata.namespace}(${uid})`,
        );
    }

    if (actions.killPod) await this.killPod(p, rt, terminationGracePeriod(p), false);
    for (const c of actions.kill) await this.stopContainer(p, c, terminationGracePeriod(p));
    for (const u of actions.unhealthy)
      await this.stopContainer(p, u.container, probeGracePeriod(p, u.container.name), u.message);

    let starts = actions.createSandbox || actions.start.length > 0 || actions.startCreated.length > 0;
    // A static pod may come before the pod network (upstream: "network is not ready"); host network pods do not wait.
    if (
      starts &&
      actions.createSandbox &&
      p.spec?.hostNetwork !== true &&
      this.d.networkReady?.() === false
    ) {
      starts = false;
      note(NETWORK_WAIT_MS);
    }
    // Volumes first: a pod whose volumes cannot be set up stays ContainerCreating (FailedMount events).
    const volumesReady = await prepareVolumes(this.volumes, p, starts, this.d.recorder, note);
    // Starting pods is what loads the runtime: a few at a time; stopping and status are not limited.
    if (starts && volumesReady)
      await this.startSlots.run(async () => {
        let sandboxId = actions.sandbox?.id;
        let config: PodSandboxConfig | undefined;
        let podIPs = actions.sandbox?.ips ?? [];
        if (actions.createSandbox) {
          const clusterDns = this.d.clusterDns?.();
          config = sandboxConfig(p, {
            dataDir: this.d.dataDir,
            attempt: actions.sandboxAttempt,
            dns: this.d.dns,
            clusterDns,
            cgroupRoot: this.d.cgroupRoot,
          });
          for (const w of podDns(p, this.d.dns, clusterDns).warnings)
            this.d.recorder.event(p, 'Warning', w.reason, w.message);
          mkdirSync(config.logDirectory!, { recursive: true });
          if (this.d.podCgroups) {
            try {
              ensurePodCgroup(config.linux!.cgroupParent!, podCgroupConfig(p));
            } catch (err) {
              this.d.log.warn('cannot set up the pod cgroup', { pod: p.metadata.name, error: err });
            }
          }
          try {
            sandboxId = await this.d.cri.runPodSandbox(config);
            traceStep(uid, 'sandbox');
          } catch (err) {
            this.d.recorder.event(
              p,
              'Warning',
              'FailedCreatePodSandBox',
              `Failed to create pod sandbox: ${(err as Error).message}`,
            );
            throw err;
          }
          const net = (await this.d.cri.podSandboxStatus(sandboxId)).status?.network;
          podIPs = [net?.ip, ...(net?.additionalIps ?? []).map((a) => a.ip)].filter((x): x is string => !!x);
        } else if (sandboxId) {
          config = sandboxConfig(p, {
            dataDir: this.d.dataDir,
            attempt: actions.sandbox!.attempt,
            dns: this.d.dns,
            clusterDns: this.d.clusterDns?.(),
            cgroupRoot: this.d.cgroupRoot,
          });
        }

        for (const c of actions.startCreated) {
          await this.d.cri.startContainer(c.id).catch(async (err) => {
            if (!isCriNotFound(err)) await this.d.cri.removeContainer(c.id).catch(() => {});
          });
        }
        if (sandboxId && config) {
          for (const start of actions.start) {
            const w = await this.startContainer(p, start, sandboxId, config, podIPs, rt);
            if (w) {
              waiting.set(start.spec.name, w.reason);
              note(w.retryAfterMs);
            }
          }
        }
      });
    // Keep failure reasons (ErrImagePull, CreateContainerConfigError) visible until the next attempt
    // succeeds, as upstream's reason cache does.
    const prev = this.reasons.get(uid);
    for (const [k, v] of prev ?? [])
      if (!waiting.has(k) && !actions.start.some((s) => s.spec.name === k)) waiting.set(k, v);
    this.reasons.set(uid, waiting);

    const after =
      actions.start.length > 0 || actions.createSandbox || actions.killPod
        ? await readPodRuntime(this.d.cri, uid)
        : rt;
    traceStep(uid, 'reread');
    probes?.update(p, after);
    const status = await this.writeStatus(p, after, waiting);
    traceStep(uid, 'status');
    if (isTerminalPhase(status.phase)) {
      await this.killPod(p, after, terminationGracePeriod(p), false);
      await this.volumes.tearDown(uid);
      this.objects.unregisterPod(uid);
      return {};
    }
    return { requeueAfterMs: requeue ?? RESYNC_MS };
  }

  private async writeStatus(pod: Obj, rt: PodRuntime, waiting: Map<string, WaitingReason>): Promise<Obj> {
    const status = computePodStatus({
      pod,
      rt,
      waiting,
      hostIPs: this.d.hostIPs(),
      now: rfc3339(this.d.clock.now()),
      probes: this.d.probes && {
        started: (name, id) => this.d.probes!.started(pod.metadata.uid, name, id),
        ready: (name, id) => this.d.probes!.ready(pod.metadata.uid, name, id),
      },
    });
    if (isStaticPod(pod)) {
      // The static pod keeps its own status (conditions, start time); the API server sees it on the mirror pod.
      pod.status = status;
      const mirror = this.d.mirrors?.current(pod);
      if (mirror) await this.d.status.set(mirror, status, pod.metadata.uid);
      return status;
    }
    await this.d.status.set(pod, status);
    return status;
  }

  private async startContainer(
    pod: Obj,
    start: ContainerStart,
    sandboxId: string,
    sandbox: PodSandboxConfig,
    podIPs: string[],
    rt: PodRuntime,
  ): Promise<{ reason: WaitingReason; retryAfterMs?: number } | undefined> {
    const c = start.spec;
    if (start.replaces)
      this.crashBackoff.next(backoffKey(pod, c.name), start.replaces.finishedAt || this.d.clock.now());
    let imageRef: string;
    try {
      imageRef = await this.images.ensure(pod, c, sandbox);
      traceStep(pod.metadata.uid, 'image');
    } catch (err) {
      if (err instanceof ImageError)
        return { reason: { reason: err.reason, message: err.message }, retryAfterMs: err.retryAfterMs };
      throw err;
    }
    let env: { key: string; value: string }[];
    try {
      const hostIPs = this.d.hostIPs();
      const res = await resolveEnv(pod, c, this.env, {
        nodeAllocatable: this.d.nodeAllocatable(),
        hostIP: hostIPs[0] ?? '',
        hostIPs,
        podIP: podIPs[0] ?? '',
        podIPs,
      });
      env = res.env;
      if (res.invalidKeys.length > 0)
        this.d.recorder.event(
          pod,
          'Warning',
          'InvalidEnvironmentVariableNames',
          `Keys [${res.invalidKeys.join(', ')}] from the EnvFrom configMap ${pod.metadata.namespace}/ were skipped since they are considered invalid environment variable names.`,
        );
    } catch (err) {
      if (err instanceof ContainerConfigError) {
        this.d.recorder.event(pod, 'Warning', 'Failed', `Error: ${err.message}`);
        return {
          reason: { reason: 'CreateContainerConfigError', message: err.message },
          retryAfterMs: 10_000,
        };
      }
      throw err;
    }
    const { command, args } = expandCommand(c, env);
    let mounts: ReturnType<VolumeManager['mounts']>;
    try {
      mounts = this.volumes.mounts(pod, c, env);
    } catch (err) {
      const message = (err as Error).message;
      this.d.recorder.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      return { reason: { reason: 'CreateContainerConfigError', message }, retryAfterMs: 10_000 };
    }
    const config = containerConfig(pod, c, {
      restartCount: start.restartCount,
      env,
      command,
      args,
      image: imageRef,
      mounts,
      resources: this.d.resources,
    });
    mkdirSync(join(podLogDir(this.d.dataDir, pod), c.name), { recursive: true });
    let id: string;
    try {
      id = await this.d.cri.createContainer(sandboxId, config, sandbox);
      traceStep(pod.metadata.uid, 'create');
    } catch (err) {
      const msg = (err as Error).message;
      this.d.recorder.event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      return { reason: { reason: 'CreateContainerError', message: msg }, retryAfterMs: 10_000 };
    }
    this.d.recorder.event(pod, 'Normal', 'Created', `Created container: ${c.name}`);
    try {
      await this.d.cri.startContainer(id);
      traceStep(pod.metadata.uid, 'start');
    } catch (err) {
      const msg = (err as Error).message;
      this.d.recorder.event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      return { reason: { reason: 'RunContainerError', message: msg }, retryAfterMs: 10_000 };
    }
    this.d.recorder.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const ctx = { pod, container: c, containerId: id, podIP: podIPs[0] ?? '' };
      const failure = await runHook(this.d.cri, this.d.clock, postStart, ctx);
      if (failure) {
        // As upstream: the container is killed and the restart policy takes it from there.
        this.d.recorder.event(pod, 'Warning', 'FailedPostStartHook', failure);
        const record = { id, name: c.name, state: 'CONTAINER_RUNNING' } as ContainerRecord;
        await this.stopContainer(pod, record, terminationGracePeriod(pod), 'FailedPostStartHook');
        return { reason: { reason: 'PostStartHookError', message: failure }, retryAfterMs: 1_000 };
      }
    }
    // Keep the instance just replaced (for logs --previous) and remove older dead ones.
    const keep = start.replaces?.id;
    for (const old of rt.containers) {
      if (old.name !== c.name || old.id === keep || old.state === 'CONTAINER_RUNNING') continue;
      await this.d.cri.removeContainer(old.id).catch(() => {});
    }
    return undefined;
  }

  private async stopContainer(
    pod: Obj | undefined,
    c: ContainerRecord,
    graceSeconds: number,
    message = `Stopping container ${c.name}`,
  ): Promise<void> {
    if (pod) this.d.recorder.event(pod, 'Normal', 'Killing', message);
    const spec = [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])].find(
      (x: Obj) => x.name === c.name,
    );
    if (pod && spec?.lifecycle?.preStop && c.state === 'CONTAINER_RUNNING') {
      const ctx = { pod, container: spec, containerId: c.id, podIP: pod.status?.podIP ?? '' };
      graceSeconds = await runPreStop(this.d.cri, this.d.clock, ctx, graceSeconds, (msg) =>
        this.d.recorder.event(pod, 'Warning', 'FailedPreStopHook', msg),
      );
    }
    try {
      await this.d.cri.stopContainer(c.id, graceSeconds);
    } catch (err) {
      if (!isCriNotFound(err)) throw err;
    }
  }

  /** Stops every running container (in parallel, each with the grace period), then the sandboxes. */
  async killPod(pod: Obj | undefined, rt: PodRuntime, graceSeconds: number, events = true): Promise<void> {
    const running = rt.containers.filter(
      (c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED',
    );
    await Promise.all(
      running.map((c) =>
        this.stopContainer(events || c.state === 'CONTAINER_RUNNING' ? pod : undefined, c, graceSeconds),
      ),
    );
    for (const s of rt.sandboxes) {
      if (!s.ready) continue;
      try {
        await this.d.cri.stopPodSandbox(s.id);
      } catch (err) {
        if (!isCriNotFound(err)) throw err;
      }
    }
  }

  /** Removes the pod's sandboxes (and with them their containers) from the runtime. */
  async removePod(rt: PodRuntime): Promise<void> {
    for (const c of rt.containers) await this.d.cri.removeContainer(c.id).catch(() => {});
    for (const s of rt.sandboxes) {
      try {
        await this.d.cri.stopPodSandbox(s.id);
        await this.d.cri.removePodSandbox(s.id);
      } catch (err) {
        if (!isCriNotFound(err)) throw err;
      }
    }
  }

  /** The pod's log directory and cgroup, once its sandboxes are removed. */
  private cleanupPodFiles(pod: Obj | undefined): void {
    if (!pod?.metadata?.uid) return;
    rmSync(podLogDir(this.d.dataDir, pod), { recursive: true, force: true });
    removeCgroup(podCgroupParent(pod, this.d.cgroupRoot));
  }

  forget(uid: string): void {
    this.objects.unregisterPod(uid);
    this.d.probes?.removePod(uid);
    this.reasons.delete(uid);
    this.firstSeen.delete(uid);
    this.failed.delete(uid);
    this.crashBackoff.forgetPrefix(`${uid}/`);
    this.d.status.forget(uid);
  }
}

async function getOrUndefined(p: Promise<Obj>): Promise<Obj | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A probe may shorten the grace period of the kill it causes (probe-level terminationGracePeriodSeconds). */
function probeGracePeriod(pod: Obj, container: string): number {
  const c = (pod.spec?.containers ?? []).find((x: Obj) => x.name === container);
  const own =
    c?.livenessProbe?.terminationGracePeriodSeconds ?? c?.startupProbe?.terminationGracePeriodSeconds;
  return own !== undefined && own !== null ? Math.max(0, Number(own) || 0) : terminationGracePeriod(pod);
}
