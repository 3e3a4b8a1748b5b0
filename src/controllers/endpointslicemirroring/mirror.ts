// The mirroring planner: the EndpointSlices that reflect a hand-written Endpoints object (of a Service
// without a selector), as upstream's endpointslicemirroring reconciler builds them: one slice per subset
// port set and address type, at most 1000 addresses per subset, ready from `addresses`, not ready from
// `notReadyAddresses`; labels and annotations copied from the Endpoints. Pure: no I/O.
import { isIP } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { LAST_CHANGE_TRIGGER_TIME } from '../endpoints/pods.js';
import { endpointKey, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../endpointslice/reconciler.js';

type Obj = Record<string, any>;

export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
/** Upstream's default --mirroring-max-endpoints-per-subset. */
export const MAX_ENDPOINTS_PER_SUBSET = 1000;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface MirrorPlan {
  create: Obj[];
  update: Obj[];
  delete: Obj[];
  /** Addresses that are not IPs. */
  invalid: number;
  /** Addresses beyond the per-subset maximum. */
  skipped: number;
}

function slicePorts(ports: Obj[] | undefined): Obj[] {
  return (ports ?? []).map((p) => {
    const out: Obj = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
    if (p.appProtocol) out.appProtocol = p.appProtocol;
    return out;
  });
}

function groupKey(addressType: string, ports: Obj[] | undefined): string {
  const norm = (ports ?? []).map((p) => [
    p.name ?? '',
    p.port ?? 0,
    p.protocol ?? 'TCP',
    p.appProtocol ?? '',
  ]);
  return `${addressType}|${JSON.stringify(norm.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)))}`;
}

function addressToEndpoint(a: Obj, ready: boolean): { ep: Obj; addressType: 'IPv4' | 'IPv6' } | undefined {
  const fam = isIP(String(a?.ip ?? ''));
  if (fam === 0) return undefined;
  const ep: Obj = { addresses: [a.ip], conditions: { ready } };
  if (a.hostname) ep.hostname = a.hostname;
  if (a.targetRef) ep.targetRef = structuredClone(a.targetRef);
  if (a.nodeName) ep.nodeName = a.nodeName;
  return { ep, addressType: fam === 6 ? 'IPv6' : 'IPv4' };
}

/** Labels and annotations a mirrored slice carries. */
function mirroredMeta(endpoints: Obj): { labels: Obj; annotations: Obj } {
  const labels: Obj = { ...(endpoints.metadata.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = endpoints.metadata.name;
  labels[MANAGED_BY_LABEL] = MIRRORING_CONTROLLER_NAME;
  const annotations: Obj = {};
  for (const [k, v] of Object.entries(endpoints.metadata.annotations ?? {})) {
    if (k !== LAST_CHANGE_TRIGGER_TIME && k !== LAST_APPLIED) annotations[k] = v;
  }
  return { labels, annotations };
}

function newSlice(endpoints: Obj, ports: Obj[], addressType: string, name?: string): Obj {
  const { labels, annotations } = mirroredMeta(endpoints);
  const prefix = `${endpoints.metadata.name}-`;
  const metadata: Obj = {
    namespace: endpoints.metadata.namespace,
    labels,
    annotations,
    ownerReferences: [
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        name: endpoints.metadata.name,
        uid: endpoints.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  if (name) metadata.name = name;
  else metadata.generateName = prefix.length <= 63 ? prefix : endpoints.metadata.name;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata,
    addressType,
    endpoints: [],
    ports,
  };
}

function sameEndpoint(a: Obj, b: Obj): boolean {
  return (
    (a.nodeName ?? null) === (b.nodeName ?? null) &&
    (a.conditions?.ready ?? null) === (b.conditions?.ready ?? null) &&
    isDeepStrictEqual(a.targetRef ?? null, b.targetRef ?? null)
  );
}

/** What to create, update and delete so `existing` (slices mirrored from it) match the Endpoints. */
export function planMirror(
  endpoints: Obj,
  existing: Obj[],
  maxPerSubset = MAX_ENDPOINTS_PER_SUBSET,
): MirrorPlan {
  const plan: MirrorPlan = { create: [], update: [], delete: [], invalid: 0, skipped: 0 };
  const desired = new Map<string, { ports: Obj[]; addressType: string; eps: Map<string, Obj> }>();
  for (const ss of endpoints.subsets ?? []) {
    const ports = slicePorts(ss.ports);
    for (const t of ['IPv4', 'IPv6']) {
      const k = groupKey(t, ports);
      if (!desired.has(k)) desired.set(k, { ports, addressType: t, eps: new Map() });
    }
    const all: [Obj, boolean][] = [
      ...(ss.addresses ?? []).map((a: Obj) => [a, true] as [Obj, boolean]),
      ...(ss.notReadyAddresses ?? []).map((a: Obj) => [a, false] as [Obj, boolean]),
    ];
    let added = 0;
    for (const [a, ready] of all) {
      if (added >= maxPerSubset) {
        plan.skipped++;
        continue;
      }
      const r = addressToEndpoint(a, ready);
      if (!r) {
        plan.invalid++;
        continue;
      }
      desired.get(groupKey(r.addressType, ports))!.eps.set(endpointKey(r.ep), r.ep);
      added++;
    }
  }
  const existingByKey = new Map<string, Obj[]>();
  for (const s of [...existing].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const k = groupKey(s.addressType, s.ports);
    existingByKey.set(k, [...(existingByKey.get(k) ?? []), s]);
  }
  const meta = mirroredMeta(endpoints);
  for (const [k, group] of desired) {
    const slices = existingByKey.get(k) ?? [];
    if (group.eps.size === 0) {
      plan.delete.push(...slices);
      continue;
    }
    const [first, ...rest] = slices;
    plan.delete.push(...rest);
    if (first) {
      const have = first.endpoints ?? [];
      const unchanged =
        have.length === group.eps.size &&
        have.every((ep: Obj) => {
          const want = group.eps.get(endpointKey(ep));
          return want !== undefined && sameEndpoint(want, ep);
        }) &&
        isDeepStrictEqual(first.metadata.labels ?? {}, meta.labels) &&
        isDeepStrictEqual(first.metadata.annotations ?? {}, meta.annotations);
      if (unchanged) continue;
    }
    const slice = newSlice(endpoints, group.ports, group.addressType, first?.metadata.name);
    if (first) slice.metadata.resourceVersion = first.metadata.resourceVersion;
    for (const ep of group.eps.values()) {
      if (slice.endpoints.length >= maxPerSubset) break;
      slice.endpoints.push(ep);
    }
    (first ? plan.update : plan.create).push(slice);
  }
  for (const [k, slices] of existingByKey) if (!desired.has(k)) plan.delete.push(...slices);
  // Reuse slices about to be deleted for creations of the same address type.
  for (let i = 0; i < plan.create.length; ) {
    const c = plan.create[i];
    const j = plan.delete.findIndex((d) => d.addressType === c.addressType);
    if (j < 0) {
      i++;
      continue;
    }
    const [gone] = plan.delete.splice(j, 1);
    plan.create.splice(i, 1);
    delete c.metadata.generateName;
    c.metadata.name = gone.metadata.name;
    c.metadata.resourceVersion = gone.metadata.resourceVersion;
    plan.update.push(c);
  }
  return plan;
}
