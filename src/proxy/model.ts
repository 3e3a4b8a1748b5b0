// What the proxy needs from Services and EndpointSlices, read the way upstream's kube-proxy reads them:
// one ServicePortInfo per port of a Service that has an IPv4 cluster IP (headless and ExternalName
// Services are not proxied), and per Service port the endpoints of its IPv4 EndpointSlices with their
// ready/serving/terminating conditions and whether they run on this node. Pure functions, no I/O.
import { isIPv4 } from 'node:net';
import { servicePortName } from './names.js';

type Obj = Record<string, any>;

export type L4Protocol = 'tcp' | 'udp' | 'sctp';

export interface ServicePortInfo {
  /** "ns/svc/tcp/portname": the key of the port's chains. */
  name: string;
  /** "ns/svc". */
  service: string;
  protocol: L4Protocol;
  clusterIP: string;
  port: number;
  /** 0 when the port has no node port. */
  nodePort: number;
  externalIPs: string[];
  /** sessionAffinity ClientIP timeout in seconds; 0 for no affinity. */
  affinityTimeoutSeconds: number;
  /** internalTrafficPolicy: Local. */
  internalLocal: boolean;
  /** externalTrafficPolicy: Local (only meaningful when externallyAccessible). */
  externalLocal: boolean;
  /** NodePort/LoadBalancer, or has externalIPs. */
  externallyAccessible: boolean;
}

export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** Runs on this node (endpoint nodeName equals ours). */
  local: boolean;
}

export const serviceKey = (o: Obj) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** The label an EndpointSlice names its Service with. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The Service's key for a slice, or undefined for slices that belong to no Service. */
export function sliceServiceKey(slice: Obj): string | undefined {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata?.namespace ?? ''}/${name}` : undefined;
}

function ipv4ClusterIP(spec: Obj): string | undefined {
  const ips: unknown[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP];
  return ips.find((ip): ip is string => typeof ip === 'string' && isIPv4(ip));
}

function protocolOf(p: unknown): L4Protocol | undefined {
  const v = typeof p === 'string' ? p.toLowerCase() : 'tcp';
  return v === 'tcp' || v === 'udp' || v === 'sctp' ? v : undefined;
}

/** The proxied ports of a Service ([] for headless, ExternalName and IPv6-only Services). */
export function servicePortsOf(svc: Obj): ServicePortInfo[] {
  const spec: Obj = svc?.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const clusterIP = ipv4ClusterIP(spec);
  if (!clusterIP) return [];
  const ns = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const externalIPs = (Array.isArray(spec.externalIPs) ? spec.externalIPs : []).filter(
    (ip: unknown): ip is string => typeof ip === 'string' && isIPv4(ip),
  );
  const type = spec.type ?? 'ClusterIP';
  const externallyAccessible = type === 'NodePort' || type === 'LoadBalancer' || externalIPs.length > 0;
  const affinity =
    spec.sessionAffinity === 'ClientIP'
      ? Number(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) || 10800
      : 0;
  const out: ServicePortInfo[] = [];
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    const protocol = protocolOf(p?.protocol);
    const port = Number(p?.port);
    if (!protocol || !Number.isInteger(port) || port <= 0) continue;
    out.push({
      name: servicePortName(ns, name, protocol, p.name ?? ''),
      service: `${ns}/${name}`,
      protocol,
      clusterIP,
      port,
      nodePort: Number(p.nodePort) || 0,
      externalIPs,
      affinityTimeoutSeconds: affinity,
      internalLocal: spec.internalTrafficPolicy === 'Local',
      externalLocal: spec.externalTrafficPolicy === 'Local',
      externallyAccessible,
    });
  }
  return out;
}

/**
 * The endpoints of each Service port ("ns/svc/proto/portname" -> endpoints) from the Service's
 * EndpointSlices. Only IPv4 slices count; an endpoint is its first address; the same ip:port in two
 * slices counts once (the slice first by name wins); endpoints come sorted by ip then port so the rules
 * they make are stable.
 */
export function endpointsByPort(slices: Iterable<Obj>, nodeName: string): Map<string, EndpointInfo[]> {
  const out = new Map<string, EndpointInfo[]>();
  const seen = new Map<string, Set<string>>();
  const nameOf = (s: Obj): string => s.metadata?.name ?? '';
  const sorted = [...slices].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  for (const slice of sorted) {
    if (slice.addressType !== 'IPv4') continue;
    const ns = slice.metadata?.namespace ?? '';
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    for (const p of Array.isArray(slice.ports) ? slice.ports : []) {
      const protocol = protocolOf(p?.protocol);
      const port = Number(p?.port);
      if (!protocol || !Number.isInteger(port) || port <= 0) continue;
      const spn = servicePortName(ns, svc, protocol, p.name ?? '');
      let list = out.get(spn);
      if (!list) {
        list = [];
        out.set(spn, list);
      }
      let keys = seen.get(spn);
      if (!keys) {
        keys = new Set();
        seen.set(spn, keys);
      }
      for (const ep of Array.isArray(slice.endpoints) ? slice.endpoints : []) {
        const ip = ep?.addresses?.[0];
        if (typeof ip !== 'string' || !isIPv4(ip)) continue;
        const key = `${ip}:${port}`;
        if (keys.has(key)) continue;
        keys.add(key);
        const c: Obj = ep.conditions ?? {};
        const ready = c.ready == null ? true : c.ready === true;
        list.push({
          ip,
          port,
          ready,
          serving: c.serving == null ? ready : c.serving === true,
          terminating: c.terminating === true,
          local: ep.nodeName != null && ep.nodeName === nodeName,
        });
      }
    }
  }
  for (const list of out.values()) list.sort((a, b) => compareIPv4(a.ip, b.ip) || a.port - b.port);
  return out;
}

function compareIPv4(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}
