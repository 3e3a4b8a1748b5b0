// The EndpointSlice planner: from a Service, its pods and the slices it already has, which slices to
// create, update and delete, as upstream's reconciler (staging/src/k8s.io/endpointslice) decides: slices
// are grouped by address type and port set; existing slices keep the endpoints still wanted (updated in
// place), slices being written anyway are filled up first, leftovers go into the unchanged slice that
// ends closest to full or into new slices of at most maxPerSlice; creations replace deletions by reusing
// their names; a Service without endpoints keeps one empty placeholder slice. Pure: no I/O.
import { isDeepStrictEqual } from 'node:util';
import {
  findPort,
  HEADLESS_LABEL,
  isPodReady,
  isServiceIPSet,
  podAddresses,
  podTargetRef,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from '../endpoints/pods.js';

type Obj = Record<string, any>;
export type AddressType = 'IPv4' | 'IPv6';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Upstream's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface SlicePlan {
  create: Obj[];
  update: Obj[];
  delete: Obj[];
  /** Pods left out because their Node is unknown (upstream retries the Service later). */
  podsWithoutNode: string[];
}

export interface PlanInput {
  service: Obj;
  pods: Obj[];
  /** Slices of this Service managed by this controller, not being deleted. */
  existing: Obj[];
  node(name: string): Obj | undefined;
  maxPerSlice?: number;
  controllerName?: string;
}

/** The address types a Service publishes: its IP families; without any, by its cluster IP, else both. */
export function addressTypesFor(svc: Obj): AddressType[] {
  const fams: string[] = svc.spec?.ipFamilies ?? [];
  const out = (['IPv4', 'IPv6'] as const).filter((f) => fams.includes(f));
  if (out.length) return out;
  if (isServiceIPSet(svc)) return [svc.spec.clusterIP.includes(':') ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** The slice ports of a pod: every Service port whose target resolves on it. */
export function endpointPorts(svc: Obj, pod: Obj): Obj[] {
  const out: Obj[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: Obj = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** The endpoint for a pod: conditions from readiness and termination, node, zone, hostname, targetRef. */
export function podToEndpoint(pod: Obj, node: Obj | undefined, svc: Obj, addressType: AddressType): Obj {
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  // "ready" is never true for a terminating endpoint unless the Service publishes not-ready addresses.
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Obj = {
    addresses: podAddresses(pod, addressType),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec.hostname;
  ep.targetRef = podTargetRef(pod);
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[ZONE_LABEL];
  if (zone) ep.zone = zone;
  return ep;
}

/** Endpoint identity: addresses and hostname, so condition/topology changes are updates in place. */
export function endpointKey(ep: Obj): string {
  return `${[...(ep.addresses ?? [])].sort().join(',')}|${ep.hostname ?? ''}`;
}

function portKey(ports: Obj[] | undefined): string {
  const norm = (ports ?? []).map((p) => [
    p.name ?? '',
    p.port ?? 0,
    p.protocol ?? 'TCP',
    p.appProtocol ?? '',
  ]);
  return JSON.stringify(norm.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
}

/** Fields that make two endpoints with the same key differ (upstream's EndpointsEqualBeyondHash). */
function sameEndpoint(a: Obj, b: Obj): boolean {
  const cond = (e: Obj, k: string) => e.conditions?.[k];
  const ref = (e: Obj) =>
    e.targetRef ? [e.targetRef.kind, e.targetRef.namespace, e.targetRef.name, e.targetRef.uid] : null;
  return (
    (a.nodeName ?? null) === (b.nodeName ?? null) &&
    (a.zone ?? null) === (b.zone ?? null) &&
    cond(a, 'ready') === cond(b, 'ready') &&
    cond(a, 'serving') === cond(b, 'serving') &&
    cond(a, 'terminating') === cond(b, 'terminating') &&
    isDeepStrictEqual(ref(a), ref(b))
  );
}

function isReservedLabel(k: string): boolean {
  return k === SERVICE_NAME_LABEL || k === MANAGED_BY_LABEL || k === HEADLESS_LABEL;
}

/** The labels a slice of `svc` must have, and whether the slice's own (non-reserved) ones differ. */
export function sliceLabels(slice: Obj | undefined, svc: Obj, controllerName: string): [Obj, boolean] {
  const mine: Obj = {};
  for (const [k, v] of Object.entries(slice?.metadata?.labels ?? {})) if (!isReservedLabel(k)) mine[k] = v;
  const want: Obj = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) if (!isReservedLabel(k)) want[k] = v;
  const changed = !isDeepStrictEqual(mine, want);
  if (!isServiceIPSet(svc)) want[HEADLESS_LABEL] = '';
  want[SERVICE_NAME_LABEL] = svc.metadata.name;
  want[MANAGED_BY_LABEL] = controllerName;
  return [want, changed];
}

export function ownedBy(slice: Obj, svc: Obj): boolean {
  return (slice.metadata?.ownerReferences ?? []).some(
    (r: Obj) => r.uid === svc.metadata.uid && r.kind === 'Service' && r.apiVersion === 'v1',
  );
}

function newSlice(svc: Obj, ports: Obj[], addressType: AddressType, controllerName: string): Obj {
  const prefix = `${svc.metadata.name}-`;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      // A 63-character Service name leaves no room for the dash: upstream then uses the bare name.
      generateName: prefix.length <= 63 ? prefix : svc.metadata.name,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(undefined, svc, controllerName)[0],
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: svc.metadata.name,
          uid: svc.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

/** An ordered set of endpoints by key; popping takes the oldest insertion (deterministic, unlike Go's). */
class EndpointSet {
  private readonly m = new Map<string, Obj>();
  insert(ep: Obj): void {
    this.m.set(endpointKey(ep), ep);
  }
  get(ep: Obj): Obj | undefined {
    return this.m.get(endpointKey(ep));
  }
  remove(ep: Obj): void {
    this.m.delete(endpointKey(ep));
  }
  get size(): number {
    return this.m.size;
  }
  pop(): Obj {
    const [k, v] = this.m.entries().next().value as [string, Obj];
    this.m.delete(k);
    return v;
  }
}

function reconcilePortGroup(
  svc: Obj,
  existing: Obj[],
  desired: EndpointSet,
  ports: Obj[],
  addressType: AddressType,
  max: number,
  controllerName: string,
): { create: Obj[]; update: Obj[]; delete: Obj[] } {
  const byName = new Map<string, Obj>();
  const unchanged: string[] = [];
  const toUpdate: string[] = [];
  const toDelete: string[] = [];
  // 1. Keep what is still wanted in each slice (in its desired form); drop the rest.
  for (const slice of existing) {
    byName.set(slice.metadata.name, slice);
    const kept: Obj[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const want = desired.get(ep);
      if (!want) continue;
      kept.push(want);
      if (!sameEndpoint(want, ep)) changed = true;
      desired.remove(ep);
    }
    const [labels, labelsChanged] = sliceLabels(slice, svc, controllerName);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.push(slice.metadata.name);
      else {
        const next = structuredClone(slice);
        next.endpoints = kept;
        next.metadata.labels = labels;
        byName.set(slice.metadata.name, next);
        toUpdate.push(slice.metadata.name);
      }
    } else if (labelsChanged) {
      const next = structuredClone(slice);
      next.metadata.labels = labels;
      byName.set(slice.metadata.name, next);
      toUpdate.push(slice.metadata.name);
    } else unchanged.push(slice.metadata.name);
  }
  // 2. Slices being written anyway take new endpoints first, the fullest first.
  if (desired.size > 0 && toUpdate.length > 0) {
    const slices = toUpdate
      .map((n) => byName.get(n)!)
      .sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const s of slices)
      while (desired.size > 0 && s.endpoints.length < max) s.endpoints.push(desired.pop());
  }
  // 3. Leftovers: into the unchanged slice that ends closest to full, else new slices.
  const create: Obj[] = [];
  while (desired.size > 0) {
    let fill: Obj | undefined;
    if (desired.size < max && unchanged.length > 0) {
      let best = max;
      for (const n of unchanged) {
        const s = byName.get(n)!;
        const diff = max - (desired.size + (s.endpoints?.length ?? 0));
        if (diff >= 0 && diff < best) {
          best = diff;
          fill = s;
        }
      }
    }
    if (fill) {
      fill = structuredClone(fill);
      fill.endpoints ??= [];
      byName.set(fill.metadata.name, fill);
    } else fill = newSlice(svc, ports, addressType, controllerName);
    while (desired.size > 0 && fill.endpoints.length < max) fill.endpoints.push(desired.pop());
    if (fill.metadata.name) {
      toUpdate.push(fill.metadata.name);
      unchanged.splice(unchanged.indexOf(fill.metadata.name), 1);
    } else create.push(fill);
  }
  return {
    create,
    update: toUpdate.map((n) => byName.get(n)!),
    delete: toDelete.map((n) => byName.get(n)!),
  };
}

function isPlaceholderOf(slice: Obj, placeholder: Obj): boolean {
  return (
    slice.metadata.namespace === placeholder.metadata.namespace &&
    isDeepStrictEqual(slice.metadata.labels ?? {}, placeholder.metadata.labels) &&
    isDeepStrictEqual(
      (slice.metadata.ownerReferences ?? []).map((r: Obj) => [
        r.apiVersion,
        r.kind,
        r.name,
        r.uid,
        r.controller,
      ]),
      placeholder.metadata.ownerReferences.map((r: Obj) => [
        r.apiVersion,
        r.kind,
        r.name,
        r.uid,
        r.controller,
      ]),
    ) &&
    slice.addressType === placeholder.addressType &&
    (slice.endpoints ?? []).length === 0 &&
    (slice.ports ?? []).length === 0
  );
}

/** What to create, update and delete so the Service's slices match its pods. */
export function planSlices(input: PlanInput): SlicePlan {
  const { service: svc, pods } = input;
  const max = input.maxPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const controllerName = input.controllerName ?? CONTROLLER_NAME;
  const plan: SlicePlan = { create: [], update: [], delete: [], podsWithoutNode: [] };
  const types = addressTypesFor(svc);
  const byType = new Map<string, Obj[]>();
  for (const s of input.existing) {
    if (!types.includes(s.addressType)) plan.delete.push(s);
    else byType.set(s.addressType, [...(byType.get(s.addressType) ?? []), s]);
  }
  const skipped = new Set<string>();
  for (const addressType of types) {
    const existing = byType.get(addressType) ?? [];
    const create: Obj[] = [];
    const update: Obj[] = [];
    const del: Obj[] = [];
    const existingByPorts = new Map<string, Obj[]>();
    for (const s of existing) {
      if (!ownedBy(s, svc)) {
        del.push(s);
        continue;
      }
      const k = portKey(s.ports);
      existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), s]);
    }
    const desired = new Map<string, { ports: Obj[]; set: EndpointSet }>();
    // Stable placement: pods in address order.
    const ordered = pods
      .filter((p) => shouldPodBeInEndpoints(p, true))
      .sort((a, b) => ipOrder(a.status?.podIP, b.status?.podIP));
    for (const pod of ordered) {
      const ports = endpointPorts(svc, pod);
      const k = portKey(ports);
      let group = desired.get(k);
      if (!group) {
        group = { ports, set: new EndpointSet() };
        desired.set(k, group);
      }
      const node = pod.spec?.nodeName ? input.node(pod.spec.nodeName) : undefined;
      if (!node && svc.spec?.publishNotReadyAddresses !== true) {
        skipped.add(pod.metadata.name);
        continue;
      }
      const ep = podToEndpoint(pod, node, svc, addressType);
      if (ep.addresses.length > 0) group.set.insert(ep);
    }
    for (const [k, group] of desired) {
      const r = reconcilePortGroup(
        svc,
        existingByPorts.get(k) ?? [],
        group.set,
        group.ports,
        addressType,
        max,
        controllerName,
      );
      create.push(...r.create);
      update.push(...r.update);
      del.push(...r.delete);
    }
    for (const [k, slices] of existingByPorts) if (!desired.has(k)) del.push(...slices);
    // No endpoints at all: one empty placeholder slice says so.
    if (existing.length === del.length && create.length === 0) {
      const placeholder = newSlice(svc, [], addressType, controllerName);
      if (del.length === 1 && isPlaceholderOf(del[0], placeholder)) del.length = 0;
      else create.push(placeholder);
    }
    // Reuse slices about to be deleted for creations (same address type, owned): fewer writes.
    for (let i = 0; i < del.length && create.length > 0; ) {
      const gone = del[i];
      if (gone.addressType === addressType && ownedBy(gone, svc)) {
        const slice = create.pop()!;
        delete slice.metadata.generateName;
        slice.metadata.name = gone.metadata.name;
        slice.metadata.resourceVersion = gone.metadata.resourceVersion;
        slice.metadata.annotations = { ...(gone.metadata.annotations ?? {}) };
        update.push(slice);
        del.splice(i, 1);
      } else i++;
    }
    plan.create.push(...create);
    plan.update.push(...update);
    plan.delete.push(...del);
  }
  plan.podsWithoutNode = [...skipped];
  return plan;
}

function ipOrder(a: string | undefined, b: string | undefined): number {
  const n = (ip: string | undefined) =>
    ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? ip.split('.').reduce((acc, x) => acc * 256 + Number(x), 0) : -1;
  const d = n(a) - n(b);
  if (d !== 0) return d;
  return (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;
}
