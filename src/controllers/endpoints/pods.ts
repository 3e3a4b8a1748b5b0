// What the Endpoints, EndpointSlice (and, later, any other endpoint publisher) need to know about a pod
// behind a Service, with upstream's rules (staging/src/k8s.io/endpointslice/util): which pods are
// published, their address for the Service's IP family, readiness, hostname and resolved ports.
import { isIP } from 'node:net';
import { matchesMapSelector } from '../../api/labels.js';
import type { SharedInformer, WorkQueue } from '../../client/index.js';

type Obj = Record<string, any>;

/** Annotation with the time of the oldest change not yet published (RFC 3339 with nanoseconds). */
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** Label set on Endpoints and EndpointSlices of a Service without a cluster IP. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

function readyCondition(pod: Obj): Obj | undefined {
  return (pod.status?.conditions ?? []).find((c: Obj) => c?.type === 'Ready');
}

/** The pod's Ready condition is True. */
export function isPodReady(pod: Obj): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod's readiness last changed (ms), or undefined: what the trigger-time annotation reports. */
export function podTriggerTime(pod: Obj): number | undefined {
  const t = readyCondition(pod)?.lastTransitionTime;
  const ms = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function podIPs(pod: Obj): string[] {
  const ips: string[] = (pod.status?.podIPs ?? []).map((p: Obj) => p?.ip).filter(Boolean);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

/**
 * A pod is published when it is not terminal (Succeeded/Failed), has an IP, and is not terminating unless
 * `includeTerminating` (the EndpointSlice controller always includes them, with conditions saying so;
 * the Endpoints controller only for publishNotReadyAddresses).
 */
export function shouldPodBeInEndpoints(pod: Obj, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** A pod's hostname is published when its subdomain names this Service in the same namespace. */
export function shouldSetHostname(pod: Obj, svc: Obj): boolean {
  return (
    Boolean(pod.spec?.hostname) &&
    pod.spec?.subdomain === svc.metadata.name &&
    pod.metadata.namespace === svc.metadata.namespace
  );
}

/** The Service has a cluster IP (not headless, not ExternalName). */
export function isServiceIPSet(svc: Obj): boolean {
  const ip = svc.spec?.clusterIP;
  return Boolean(ip) && ip !== 'None';
}

/** The Service's primary IP family: from spec.ipFamilies, else its cluster IP, else the pod's IP. */
export function serviceFamily(svc: Obj, pod?: Obj): 'IPv4' | 'IPv6' {
  const fam = svc.spec?.ipFamilies?.[0];
  if (fam === 'IPv4' || fam === 'IPv6') return fam;
  if (isServiceIPSet(svc)) return isIP(svc.spec.clusterIP) === 6 ? 'IPv6' : 'IPv4';
  const ip = pod ? podIPs(pod)[0] : undefined;
  return ip && isIP(ip) === 6 ? 'IPv6' : 'IPv4';
}

/** The pod's addresses of one family. */
export function podAddresses(pod: Obj, family: 'IPv4' | 'IPv6'): string[] {
  return podIPs(pod).filter((ip) => (isIP(ip) === 6) === (family === 'IPv6'));
}

export function podTargetRef(pod: Obj): Obj {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

/**
 * The container port a Service port reaches on this pod: a numeric targetPort as is, a named one looked
 * up among the containers' (and restartable init containers') ports with the same protocol.
 */
export function findPort(pod: Obj, svcPort: Obj): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? 'TCP';
  const containers: Obj[] = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter((c: Obj) => c?.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const p of c?.ports ?? []) {
      if (p?.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** Keys (`ns/name`) of the Services in `services` whose selector matches `labels` (nil selects nothing). */
export function servicesSelecting(services: Obj[], labels: Record<string, string> | undefined): Set<string> {
  const out = new Set<string>();
  for (const s of services) {
    if (s.spec?.selector && matchesMapSelector(s.spec.selector, labels ?? {})) {
      out.add(`${s.metadata.namespace}/${s.metadata.name}`);
    }
  }
  return out;
}

function sameStrings(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameLabels(a: Obj | undefined, b: Obj | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a![k] === b?.[k]);
}

/**
 * Which Services must look again after a pod update (upstream's GetServicesToUpdateOnPodChange): none if
 * nothing endpoint-relevant changed; on a label change, those that gained or
 * lost the pod, or all old and new ones when the endpoint itself changed too.
 */
export function servicesForPodUpdate(services: Obj[], oldPod: Obj, newPod: Obj): Set<string> {
  if (oldPod.metadata?.resourceVersion === newPod.metadata?.resourceVersion) return new Set();
  const labelsChanged = !sameLabels(oldPod.metadata?.labels, newPod.metadata?.labels);
  // Unlike upstream, a hostname/subdomain change counts as an endpoint change (it is one).
  const podChanged =
    oldPod.spec?.hostname !== newPod.spec?.hostname ||
    oldPod.spec?.subdomain !== newPod.spec?.subdomain ||
    Boolean(oldPod.metadata?.deletionTimestamp) !== Boolean(newPod.metadata?.deletionTimestamp) ||
    isPodReady(oldPod) !== isPodReady(newPod) ||
    oldPod.status?.phase !== newPod.status?.phase ||
    oldPod.spec?.nodeName !== newPod.spec?.nodeName ||
    !sameStrings(podIPs(oldPod), podIPs(newPod));
  if (!labelsChanged && !podChanged) return new Set();
  const now = servicesSelecting(services, newPod.metadata?.labels);
  if (!labelsChanged) return now;
  const before = servicesSelecting(services, oldPod.metadata?.labels);
  const out = new Set<string>();
  for (const k of now) if (podChanged || !before.has(k)) out.add(k);
  for (const k of before) if (podChanged || !now.has(k)) out.add(k);
  return out;
}

/**
 * Queues a Service (`ns/name`) when it changes, and every Service selecting a pod when the pod comes, goes
 * or changes in a way that matters to endpoints (after `batchMs`). Answers the pod handler, for callers
 * that have other reasons to look at a pod again.
 */
export function queueServicesOnChange(
  svcInf: SharedInformer<Obj>,
  podInf: SharedInformer<Obj>,
  queue: WorkQueue<string>,
  batchMs: number,
): (pod: Obj) => void {
  const keyOf = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;
  svcInf.addEventHandler({
    onAdd: (s) => queue.add(keyOf(s)),
    onUpdate: (_o, s) => queue.add(keyOf(s)),
    onDelete: (s) => queue.add(keyOf(s)),
  });
  const servicesIn = (ns: string) => svcInf.store.byNamespace(ns);
  const queuePod = (p: Obj) => {
    for (const k of servicesSelecting(servicesIn(p.metadata.namespace), p.metadata.labels))
      queue.addAfter(k, batchMs);
  };
  podInf.addEventHandler({
    onAdd: queuePod,
    onUpdate: (o, p) => {
      for (const k of servicesForPodUpdate(servicesIn(p.metadata.namespace), o, p))
        queue.addAfter(k, batchMs);
    },
    onDelete: queuePod,
  });
  return queuePod;
}
