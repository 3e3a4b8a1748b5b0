// Cluster DNS records, answered from the Service, EndpointSlice and Namespace caches with the semantics of
// CoreDNS's kubernetes plugin (`pods insecure`, reverse zones falling through):
//   <svc>.<ns>.svc.<zone>                 A/AAAA: the ClusterIPs; headless: every ready endpoint address;
//                                         ExternalName: a CNAME to spec.externalName
//   <ep>.<svc>.<ns>.svc.<zone>            an endpoint by hostname (or its dashed IP when it has none)
//   _<port>._<proto>.<svc>.<ns>.svc.<zone> SRV per named port (headless: one per endpoint, target its name)
//   <a-b-c-d>.<ns>.pod.<zone>             the IP written in the name, when the namespace exists
//   reverse names of ClusterIPs and endpoint addresses: PTR
// A name in the zone that does not exist is NXDOMAIN; a name that exists without records of the asked type
// is NODATA (NOERROR, empty answer); both carry the zone's SOA. Names outside the zone (and reverse names
// not known here) are for the upstream resolvers. Pure: no sockets, no clock; the server does the I/O.
import { isIPv4, isIPv6 } from 'node:net';
import type { Answer, Question } from 'dns-packet';
import type { IndexFunc, Store } from '../client/store.js';
import { canonicalIP, dashedIP, ipFromDashed, labelsInZone, labelsOf, reverseNameToIP } from './names.js';

type Obj = Record<string, any>;

export const DEFAULT_TTL = 5;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Index names the caches must carry (see serviceIndexers and sliceIndexers). */
export const SERVICE_IP_INDEX = 'dns.clusterIP';
export const SLICE_SERVICE_INDEX = 'dns.service';
export const SLICE_ADDRESS_INDEX = 'dns.address';
/** Longest in-zone CNAME chain followed (ExternalName pointing at another Service). */
const MAX_CNAME_DEPTH = 8;

export function serviceIndexers(): Record<string, IndexFunc<Obj>> {
  return {
    [SERVICE_IP_INDEX]: (svc) =>
      clusterIPs(svc)
        .map((ip) => canonicalIP(ip))
        .filter((ip): ip is string => ip !== undefined),
  };
}

export function sliceIndexers(): Record<string, IndexFunc<Obj>> {
  return {
    [SLICE_SERVICE_INDEX]: (s) => {
      const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      return name ? [`${s.metadata.namespace}/${name}`] : [];
    },
    [SLICE_ADDRESS_INDEX]: (s) => {
      const out: string[] = [];
      for (const ep of s.endpoints ?? [])
        for (const a of ep.addresses ?? []) {
          const ip = canonicalIP(a);
          if (ip) out.push(ip);
        }
      return out;
    },
  };
}

export interface ClusterData {
  /** Services indexed with serviceIndexers(). */
  services: Store<Obj>;
  /** EndpointSlices indexed with sliceIndexers(). */
  slices: Store<Obj>;
  namespaces: Store<Obj>;
  /** False until every cache listed once: answers would be wrong, so SERVFAIL (as CoreDNS before sync). */
  synced(): boolean;
}

export interface ZoneConfig {
  /** The cluster domain, e.g. cluster.local. */
  domain: string;
  ttl?: number;
  /** SOA serial (the server passes a time-based one). */
  serial?: number;
}

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';

export interface Reply {
  /** Outside the cluster zone (or an unknown reverse name): the server forwards the query upstream. */
  forward: boolean;
  /** The answer comes from the cluster zone (the AA bit). */
  authoritative: boolean;
  rcode: Rcode;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /** An ExternalName target outside the zone: the server may resolve it upstream and append the answers. */
  chase?: string;
}

/** One record source, as CoreDNS's msg.Service: an IP (or a CNAME target), a port, and the owner name. */
interface Item {
  host: string;
  cname: boolean;
  port?: number;
  /** The name SRV records point at and additional A/AAAA records are owned by. */
  target: string;
}

interface Found {
  exists: boolean;
  items: Item[];
}

const NONE: Found = { exists: false, items: [] };

function clusterIPs(svc: Obj): string[] {
  const spec = svc.spec ?? {};
  const ips: string[] = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

function isHeadless(svc: Obj): boolean {
  return svc.spec?.clusterIP === 'None';
}

function portMatches(
  want: { port?: string; proto?: string },
  name: string | undefined,
  protocol: string | undefined,
): boolean {
  if (want.port !== undefined && want.port !== '*' && want.port !== (name ?? '').toLowerCase()) return false;
  if (want.proto !== undefined && want.proto !== '*' && want.proto !== (protocol ?? 'TCP').toLowerCase())
    return false;
  return true;
}

/** The label an endpoint answers to: its hostname, or its address with dashes. */
function endpointLabel(ep: Obj, addr: string): string {
  return ep.hostname ? String(ep.hostname) : dashedIP(addr);
}

export class ClusterRecords {
  private readonly zone: string[];
  private readonly domain: string;
  private readonly ttl: number;

  constructor(
    private readonly data: ClusterData,
    private readonly cfg: ZoneConfig,
  ) {
    this.zone = labelsOf(cfg.domain);
    this.domain = this.zone.join('.');
    this.ttl = cfg.ttl ?? DEFAULT_TTL;
  }

  lookup(q: Question): Reply {
    const reverseIP = reverseNameToIP(q.name);
    if (reverseIP !== undefined) return this.reverse(q, reverseIP);
    const labels = labelsInZone(q.name, this.zone);
    if (labels === undefined) return { ...empty('NOERROR'), forward: true };
    if (!this.data.synced()) return empty('SERVFAIL');
    const out = empty('NOERROR');
    out.authoritative = true;
    const found = this.find(labels);
    if (labels.length === 0) this.apex(q, out);
    else if (labels.length === 1 && labels[0] === 'dns-version' && q.type === 'TXT') {
      // The version of the Kubernetes DNS specification served (kubernetes/dns docs/specification.md).
      out.answers.push({ type: 'TXT', name: q.name, ttl: this.ttl, class: 'IN', data: ['1.1.0'] });
    } else if (!found.exists) out.rcode = 'NXDOMAIN';
    else this.format(q, found.items, out, 0);
    if (out.answers.length === 0) out.authorities.push(this.soa());
    return out;
  }

  /** The zone's SOA record (also the authority of NXDOMAIN and NODATA answers). */
  soa(): Answer {
    return {
      type: 'SOA',
      name: this.domain,
      ttl: this.ttl,
      class: 'IN',
      data: {
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: this.cfg.serial ?? 1,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  private apex(q: Question, out: Reply): void {
    if (q.type === 'SOA') out.answers.push({ ...this.soa(), name: q.name });
    else if (q.type === 'NS')
      out.answers.push({
        type: 'NS',
        name: q.name,
        ttl: this.ttl,
        class: 'IN',
        data: `ns.dns.${this.domain}`,
      });
  }

  /** What a name below the zone stands for, following CoreDNS's parseRequest and findServices/findPods. */
  private find(labels: string[]): Found {
    if (labels.length === 0) return { exists: true, items: [] };
    if (labels.length === 1 && labels[0] === 'dns-version') return { exists: true, items: [] };
    const kind = labels[labels.length - 1];
    const parts = labels.slice(0, -1).reverse(); // ns, name, ...
    if (kind !== 'svc' && kind !== 'pod') return NONE;
    if (parts.length === 0) return { exists: true, items: [] };
    const [ns] = parts;
    if (!this.data.namespaces.getByName(undefined, ns)) return NONE;
    if (parts.length === 1) return { exists: true, items: [] };
    if (kind === 'pod') {
      if (parts.length !== 2) return NONE;
      const ip = ipFromDashed(parts[1]);
      return ip ? { exists: true, items: [{ host: ip, cname: false, target: labels.join('.') }] } : NONE;
    }
    const svc = this.data.services.getByName(ns, parts[1]);
    if (!svc || parts.length > 4) return NONE;
    if (parts.length === 3) return this.serviceItems(svc, { endpoint: parts[2] });
    if (parts.length === 4) {
      const [, , proto, port] = parts;
      if (!port.startsWith('_') || !proto.startsWith('_')) return NONE;
      return this.serviceItems(svc, { port: port.slice(1), proto: proto.slice(1) });
    }
    return this.serviceItems(svc, {});
  }

  private serviceItems(svc: Obj, want: { endpoint?: string; port?: string; proto?: string }): Found {
    const ns = svc.metadata.namespace;
    const name = svc.metadata.name;
    const svcName = `${name}.${ns}.svc.${this.domain}`;
    const items: Item[] = [];
    let exists = false;
    if (isHeadless(svc) || want.endpoint !== undefined) {
      for (const slice of this.data.slices.byIndex(SLICE_SERVICE_INDEX, `${ns}/${name}`)) {
        if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
        const ports: Obj[] = slice.ports?.length ? slice.ports : [{}];
        for (const ep of slice.endpoints ?? []) {
          if (ep.conditions?.ready === false) continue;
          for (const addr of ep.addresses ?? []) {
            const label = endpointLabel(ep, addr);
            if (want.endpoint !== undefined && want.endpoint !== label.toLowerCase()) continue;
            for (const p of ports) {
              if (!portMatches(want, p.name, p.protocol)) continue;
              exists = true;
              items.push({ host: addr, cname: false, port: p.port, target: `${label}.${svcName}` });
            }
          }
        }
      }
      return { exists, items };
    }
    if (svc.spec?.type === 'ExternalName') {
      const target = String(svc.spec.externalName ?? '').replace(/\.$/, '');
      // An IP written as externalName is no CNAME target; CoreDNS serves nothing for it.
      if (!target || isIPv4(target) || isIPv6(target)) return NONE;
      return { exists: true, items: [{ host: target, cname: true, target }] };
    }
    for (const p of svc.spec?.ports ?? []) {
      if (!portMatches(want, p.name, p.protocol)) continue;
      exists = true;
      for (const ip of clusterIPs(svc)) items.push({ host: ip, cname: false, port: p.port, target: svcName });
    }
    return { exists, items };
  }

  /** Records of the asked type from the items; an in-zone CNAME target is followed, others are chased. */
  private format(q: Question, items: Item[], out: Reply, depth: number): void {
    const ttl = this.ttl;
    const seen = new Set<string>();
    const once = (key: string) => {
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    if (q.type === 'SRV') {
      const srv = items.filter(
        (it) => it.port !== undefined && it.port > 0 && once(`${it.target}|${it.port}`),
      );
      // Equal shares of 100 at one priority (CoreDNS's weighting).
      const weight = srv.length > 0 ? Math.floor(100 / srv.length) : 0;
      for (const it of srv) {
        out.answers.push({
          type: 'SRV',
          name: q.name,
          ttl,
          class: 'IN',
          data: { priority: 0, weight, port: it.port!, target: it.target },
        });
        if (!it.cname && once(`addr|${it.target}|${it.host}`))
          out.additionals.push({
            type: isIPv6(it.host) ? 'AAAA' : 'A',
            name: it.target,
            ttl,
            class: 'IN',
            data: it.host,
          });
      }
      return;
    }
    for (const it of items) {
      if (it.cname) {
        if (!(q.type === 'A' || q.type === 'AAAA' || q.type === 'CNAME')) continue;
        if (!once(`cname|${it.host}`)) continue;
        out.answers.push({ type: 'CNAME', name: q.name, ttl, class: 'IN', data: it.host });
        if (q.type !== 'CNAME') this.follow({ type: q.type, name: it.host }, out, depth);
        continue;
      }
      const family = isIPv6(it.host) ? 'AAAA' : 'A';
      if (q.type !== family || !once(it.host)) continue;
      out.answers.push({ type: family, name: q.name, ttl, class: 'IN', data: it.host });
    }
  }

  private follow(q: Question, out: Reply, depth: number): void {
    const labels = labelsInZone(q.name, this.zone);
    if (labels === undefined) {
      out.chase = q.name;
      return;
    }
    if (depth >= MAX_CNAME_DEPTH) return;
    const found = this.find(labels);
    if (found.exists) this.format(q, found.items, out, depth + 1);
  }

  /** PTR for a ClusterIP or an endpoint address; anything else goes upstream (CoreDNS's fallthrough). */
  private reverse(q: Question, ip: string): Reply {
    const forward = { ...empty('NOERROR'), forward: true };
    if (q.type !== 'PTR' || !this.data.synced()) return forward;
    const key = canonicalIP(ip)!;
    const names: string[] = [];
    for (const svc of this.data.services.byIndex(SERVICE_IP_INDEX, key))
      names.push(`${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.domain}`);
    if (names.length === 0) {
      for (const slice of this.data.slices.byIndex(SLICE_ADDRESS_INDEX, key)) {
        const svcName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
        for (const ep of slice.endpoints ?? [])
          for (const addr of ep.addresses ?? [])
            if (canonicalIP(addr) === key)
              names.push(
                `${endpointLabel(ep, addr)}.${svcName}.${slice.metadata.namespace}.svc.${this.domain}`,
              );
      }
    }
    if (names.length === 0) return forward;
    const out = empty('NOERROR');
    out.authoritative = true;
    for (const n of new Set(names))
      out.answers.push({ type: 'PTR', name: q.name, ttl: this.ttl, class: 'IN', data: n });
    return out;
  }
}

function empty(rcode: Rcode): Reply {
  return { forward: false, authoritative: false, rcode, answers: [], authorities: [], additionals: [] };
}
