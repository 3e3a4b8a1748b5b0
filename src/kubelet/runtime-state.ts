// What the runtime holds for one pod, read from CRI by the pod's uid label: its sandboxes (newest first,
// with the ready one's IPs) and every container instance (newest first, with exit codes and times).
// This is the kubelet's only memory of a pod: after a restart it finds the same state again.
import type { CriClient } from '../runtime/cri/client.js';
import { isCriNotFound } from '../runtime/cri/client.js';
import type { ContainerState } from '../runtime/cri/types.js';
import {
  ANNOTATION_RESTART_COUNT,
  LABEL_CONTAINER_NAME,
  LABEL_MANAGED,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from './labels.js';

export interface SandboxRecord {
  id: string;
  attempt: number;
  ready: boolean;
  createdAt: number;
  ips: string[];
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  name: string;
  restartCount: number;
  state: ContainerState;
  createdAt: number;
  /** ms since the epoch; 0 when not started / not finished. */
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  logPath: string;
}

export interface PodRuntime {
  uid: string;
  sandboxes: SandboxRecord[];
  containers: ContainerRecord[];
}

/** CRI nanosecond timestamps (decimal strings) in ms. */
export function nsToMs(ns: string | number | undefined): number {
  if (ns === undefined || ns === '' || ns === '0' || ns === 0) return 0;
  return Number(BigInt(String(ns)) / 1_000_000n);
}

export function emptyRuntime(uid: string): PodRuntime {
  return { uid, sandboxes: [], containers: [] };
}

export async function readPodRuntime(cri: CriClient, uid: string): Promise<PodRuntime> {
  const labelSelector = { [LABEL_POD_UID]: uid };
  const [sandboxes, containers] = await Promise.all([
    cri.listPodSandbox({ labelSelector }),
    cri.listContainers({ labelSelector }),
  ]);
  const sbs: SandboxRecord[] = sandboxes
    .map((s) => ({
      id: s.id,
      attempt: s.metadata?.attempt ?? 0,
      ready: s.state === 'SANDBOX_READY',
      createdAt: nsToMs(s.createdAt),
      ips: [] as string[],
    }))
    .sort((a, b) => b.createdAt - a.createdAt);
  const ready = sbs.find((s) => s.ready);
  if (ready) {
    try {
      const st = (await cri.podSandboxStatus(ready.id)).status;
      const net = st?.network;
      ready.ips = [net?.ip, ...(net?.additionalIps ?? []).map((a) => a.ip)].filter((x): x is string => !!x);
    } catch (err) {
      if (!isCriNotFound(err)) throw err;
      ready.ready = false;
    }
  }
  const records: ContainerRecord[] = [];
  await Promise.all(
    containers.map(async (c) => {
      try {
        const st = (await cri.containerStatus(c.id)).status;
        if (!st) return;
        records.push({
          id: c.id,
          sandboxId: c.podSandboxId,
          name: c.labels[LABEL_CONTAINER_NAME] ?? c.metadata?.name ?? '',
          restartCount: Number(c.annotations[ANNOTATION_RESTART_COUNT] ?? c.metadata?.attempt ?? 0) || 0,
          state: st.state,
          createdAt: nsToMs(st.createdAt),
          startedAt: nsToMs(st.startedAt),
          finishedAt: nsToMs(st.finishedAt),
          exitCode: st.exitCode,
          reason: st.reason,
          message: st.message,
          image: st.image?.image ?? c.image?.image ?? '',
          imageRef: st.imageRef || c.imageRef,
          logPath: st.logPath,
        });
      } catch (err) {
        if (!isCriNotFound(err)) throw err;
      }
    }),
  );
  records.sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount);
  return { uid, sandboxes: sbs, containers: records };
}

/** The newest instance of a container by name, and the one before it. */
export function instancesOf(
  rt: PodRuntime,
  name: string,
): { latest?: ContainerRecord; previous?: ContainerRecord } {
  const all = rt.containers.filter((c) => c.name === name);
  return { latest: all[0], previous: all[1] };
}

export interface RuntimePodRef {
  uid: string;
  name: string;
  namespace: string;
}

/** Every pod this kubelet has sandboxes or containers for (to find pods deleted while it was down). */
export async function listRuntimePods(cri: CriClient): Promise<RuntimePodRef[]> {
  const labelSelector = { [LABEL_MANAGED]: 'true' };
  const [sandboxes, containers] = await Promise.all([
    cri.listPodSandbox({ labelSelector }),
    cri.listContainers({ labelSelector }),
  ]);
  const out = new Map<string, RuntimePodRef>();
  for (const x of [...sandboxes, ...containers]) {
    const uid = x.labels[LABEL_POD_UID];
    if (uid && !out.has(uid))
      out.set(uid, {
        uid,
        name: x.labels[LABEL_POD_NAME] ?? '',
        namespace: x.labels[LABEL_POD_NAMESPACE] ?? '',
      });
  }
  return [...out.values()];
}
