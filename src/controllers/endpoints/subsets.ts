// The Endpoints object a selector Service should have: one address per published pod, ready or not ready,
// per resolved port, repacked into the canonical subsets (addresses sharing the same ports together) and
// truncated at 1000 addresses as upstream's endpoints controller does.
import {
  findPort,
  isPodReady,
  podAddresses,
  podTargetRef,
  serviceFamily,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './pods.js';

type Obj = Record<string, any>;

/** Upstream's maxCapacity: more addresses than this are truncated and the Endpoints annotated. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

interface Entry {
  address: Obj;
  ready: boolean;
  ports: Obj[];
}

/** The un-packed entries: one per published pod (and port set), before repacking. */
function entriesFor(svc: Obj, pods: Obj[]): Entry[] {
  const out: Entry[] = [];
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const svcPorts: Obj[] = svc.spec?.ports ?? [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podAddresses(pod, serviceFamily(svc, pod))[0];
    if (!ip) continue;
    const address: Obj = { ip };
    if (shouldSetHostname(pod, svc)) address.hostname = pod.spec.hostname;
    if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
    address.targetRef = podTargetRef(pod);
    const ready = tolerateUnready || isPodReady(pod);
    if (svcPorts.length === 0) {
      // A headless Service may have no ports: its addresses are published without any.
      if (svc.spec?.clusterIP === 'None') out.push({ address, ready, ports: [] });
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: Obj = {};
      if (sp.name) ep.name = sp.name;
      ep.port = port;
      ep.protocol = sp.protocol ?? 'TCP';
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      out.push({ address, ready, ports: [ep] });
    }
  }
  return out;
}

const addrKey = (a: Obj) => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: Obj) => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`;

function lessAddress(a: Obj, b: Obj): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? '';
  const ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * Upstream's RepackSubsets: expand to (port -> address -> ready), where not ready wins over ready, then
 * group ports that are offered by exactly the same addresses into one subset. Sorted for comparison.
 */
export function repackSubsets(entries: { address: Obj; ready: boolean; ports: Obj[] }[]): Obj[] {
  const addrs = new Map<string, Obj>();
  const byPort = new Map<string, { port?: Obj; addrs: Map<string, boolean> }>();
  for (const e of entries) {
    const ak = addrKey(e.address);
    if (!addrs.has(ak)) addrs.set(ak, e.address);
    // A subset without ports keeps its addresses under a sentinel port.
    const ports = e.ports.length ? e.ports : [undefined];
    for (const p of ports) {
      const pk = p ? portKey(p) : '';
      let slot = byPort.get(pk);
      if (!slot) {
        slot = { port: p, addrs: new Map() };
        byPort.set(pk, slot);
      }
      const was = slot.addrs.get(ak);
      if (was === undefined || was) slot.addrs.set(ak, e.ready);
    }
  }
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: Obj[] }>();
  for (const slot of byPort.values()) {
    const sig = [...slot.addrs.entries()]
      .map(([k, r]) => `${k}=${r}`)
      .sort()
      .join(',');
    let g = groups.get(sig);
    if (!g) {
      g = { addrs: slot.addrs, ports: [] };
      groups.set(sig, g);
    }
    if (slot.port) g.ports.push(slot.port);
  }
  const subsets: Obj[] = [];
  for (const g of groups.values()) {
    const ready: Obj[] = [];
    const notReady: Obj[] = [];
    for (const [k, r] of g.addrs) (r ? ready : notReady).push(structuredClone(addrs.get(k)!));
    ready.sort(lessAddress);
    notReady.sort(lessAddress);
    const ss: Obj = {};
    if (ready.length) ss.addresses = ready;
    if (notReady.length) ss.notReadyAddresses = notReady;
    if (g.ports.length) ss.ports = g.ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    subsets.push(ss);
  }
  const sig = (s: Obj) =>
    JSON.stringify([(s.ports ?? []).map(portKey), (s.addresses ?? s.notReadyAddresses)[0]?.ip]);
  return subsets.sort((a, b) => (sig(a) < sig(b) ? -1 : sig(a) > sig(b) ? 1 : 0));
}

/** The subsets for `svc` from the pods its selector matches. */
export function desiredSubsets(svc: Obj, pods: Obj[]): Obj[] {
  return repackSubsets(entriesFor(svc, pods));
}

export function countAddresses(subsets: Obj[]): number {
  let n = 0;
  for (const s of subsets) n += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  return n;
}

/**
 * Upstream's truncateEndpoints: over capacity, keep ready addresses first, each subset getting its share
 * (rounded up) of the room; not-ready ones only fill what is left. Answers whether it truncated.
 */
export function truncateSubsets(subsets: Obj[], max = MAX_ENDPOINTS_CAPACITY): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return false;
  const truncateReady = totalReady > max;
  const room = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = room;
  for (const s of subsets) {
    const n = (truncateReady ? s.addresses?.length : s.notReadyAddresses?.length) ?? 0;
    const share = Math.min(Math.ceil((n / total) * room), left);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, share);
      delete s.notReadyAddresses;
      left -= s.addresses.length;
      if (s.addresses.length === 0) delete s.addresses;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, share);
      left -= s.notReadyAddresses.length;
      if (s.notReadyAddresses.length === 0) delete s.notReadyAddresses;
    }
  }
  return true;
}
