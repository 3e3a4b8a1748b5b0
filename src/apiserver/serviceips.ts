// Service cluster IP and NodePort allocation, as upstream's service REST does on create and update:
// a free address from the service CIDR (or the requested one, if it is in range and free) and free
// node ports from 30000-32767. What is in use is read from the stored Services, plus addresses this
// server handed out moments ago whose Services are not stored yet.
import { serviceNeedsClusterIP, serviceNeedsNodePorts } from '../api/resources/service.js';
import type { FieldError, Obj, ResourceDef } from '../api/types.js';
import type { ObjectStore } from './objectstore.js';

export interface ServiceAllocatorOptions {
  /** IPv4 CIDR for cluster IPs (default 10.43.0.0/16, as k3s). */
  serviceCidr?: string;
  nodePortRange?: [number, number];
  now?: () => number;
}

const RESERVATION_MS = 30_000;

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class ServiceAllocator {
  readonly cidr: string;
  private readonly base: number;
  private readonly size: number;
  private readonly ports: [number, number];
  private readonly reservedIps = new Map<string, number>();
  private readonly reservedPorts = new Map<number, number>();
  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    private readonly services: ResourceDef,
    opts: ServiceAllocatorOptions = {},
  ) {
    this.cidr = opts.serviceCidr ?? '10.43.0.0/16';
    const [addr, bits] = this.cidr.split('/');
    const prefix = Number(bits);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr) || !(prefix >= 8 && prefix <= 30)) {
      throw new Error(
        `invalid service CIDR ${JSON.stringify(this.cidr)}: want an IPv4 CIDR between /8 and /30`,
      );
    }
    this.size = 2 ** (32 - prefix);
    this.base = ipToInt(addr) & (~(this.size - 1) >>> 0);
    this.ports = opts.nodePortRange ?? [30000, 32767];
    this.now = opts.now ?? Date.now;
  }

  /** The first address of the range: the `kubernetes` Service's. */
  get firstIp(): string {
    return intToIp(this.base + 1);
  }

  private inRange(ip: string): boolean {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
    const n = ipToInt(ip);
    return n > this.base && n < this.base + this.size - 1;
  }

  private expire(): void {
    const now = this.now();
    for (const [k, t] of this.reservedIps) if (now - t > RESERVATION_MS) this.reservedIps.delete(k);
    for (const [k, t] of this.reservedPorts) if (now - t > RESERVATION_MS) this.reservedPorts.delete(k);
  }

  private async inUse(except: Obj | undefined): Promise<{ ips: Set<string>; ports: Set<number> }> {
    this.expire();
    const ips = new Set<string>(this.reservedIps.keys());
    const ports = new Set<number>(this.reservedPorts.keys());
    const { items } = await this.store.list(this.services, undefined, undefined);
    for (const s of items) {
      if (except && s.metadata.uid === except.metadata?.uid) continue;
      for (const ip of s.spec?.clusterIPs ?? [s.spec?.clusterIP]) if (ip) ips.add(ip);
      for (const p of s.spec?.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  /**
   * Fills in spec.clusterIP(s) and node ports of `svc` (keeping those `old` already had) and returns
   * field errors for requested values that are out of range or taken.
   */
  async allocate(svc: Obj, old?: Obj): Promise<FieldError[]> {
    const spec = svc.spec;
    if (!spec) return [];
    const errs: FieldError[] = [];
    const used = await this.inUse(old ?? svc);
    const oldIp = old?.spec?.clusterIP;

    if (serviceNeedsClusterIP(svc) && spec.clusterIP !== 'None') {
      const requested: string | undefined = spec.clusterIP || spec.clusterIPs?.[0] || undefined;
      if (requested && requested !== oldIp) {
        if (!this.inRange(requested)) {
          errs.push({
            type: 'FieldValueInvalid',
            field: 'spec.clusterIPs',
            message: `Invalid value: []string{"${requested}"}: failed to allocate IP ${requested}: provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.cidr}`,
          });
        } else if (used.ips.has(requested)) {
          errs.push({
            type: 'FieldValueInvalid',
            field: 'spec.clusterIPs',
            message: `Invalid value: []string{"${requested}"}: failed to allocate IP ${requested}: provided IP is already allocated`,
          });
        } else this.reservedIps.set(requested, this.now());
      } else if (!requested) {
        const ip = this.freeIp(used.ips);
        if (!ip) {
          errs.push({
            type: 'FieldValueInvalid',
            field: 'spec.clusterIPs',
            message: `Internal error: failed to allocate a service IP: range is full`,
          });
        } else {
          spec.clusterIP = ip;
          spec.clusterIPs = [ip];
          spec.ipFamilies ??= ['IPv4'];
          spec.ipFamilyPolicy ??= 'SingleStack';
          this.reservedIps.set(ip, this.now());
        }
      }
    }

    if (serviceNeedsNodePorts(svc)) {
      const oldPorts = new Map<string, number>();
      for (const p of old?.spec?.ports ?? [])
        if (p.nodePort) oldPorts.set(`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort);
      // Ports with the same number (53/TCP and 53/UDP) share one node port, as upstream allocates it.
      const shared = new Map<number, number>();
      const ports: Obj[] = spec.ports ?? [];
      // Requested (or kept) node ports first, so that a port left empty can share its sibling's.
      ports.forEach((p: Obj, i: number) => {
        if (!p.nodePort) return;
        const keep = oldPorts.get(`${p.port}/${p.protocol ?? 'TCP'}`);
        if (p.nodePort === keep || shared.get(p.port) === p.nodePort) {
          if (!shared.has(p.port)) shared.set(p.port, p.nodePort);
          return;
        }
        if (p.nodePort < this.ports[0] || p.nodePort > this.ports[1]) {
          errs.push({
            type: 'FieldValueInvalid',
            field: `spec.ports[${i}].nodePort`,
            message: `Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${this.ports[0]}-${this.ports[1]}`,
          });
        } else if (used.ports.has(p.nodePort)) {
          errs.push({
            type: 'FieldValueInvalid',
            field: `spec.ports[${i}].nodePort`,
            message: `Invalid value: ${p.nodePort}: provided port is already allocated`,
          });
        } else {
          used.ports.add(p.nodePort);
          this.reservedPorts.set(p.nodePort, this.now());
          if (!shared.has(p.port)) shared.set(p.port, p.nodePort);
        }
      });
      for (const p of ports) {
        if (p.nodePort) continue;
        const keep = oldPorts.get(`${p.port}/${p.protocol ?? 'TCP'}`);
        const port = keep ?? shared.get(p.port) ?? this.freePort(used.ports);
        if (port) {
          p.nodePort = port;
          used.ports.add(port);
          shared.set(p.port, port);
          this.reservedPorts.set(port, this.now());
        }
      }
    }
    return errs;
  }

  /** The write carrying these allocations finished (stored or failed): they no longer need holding. */
  release(svc: Obj): void {
    for (const ip of svc.spec?.clusterIPs ?? []) this.reservedIps.delete(ip);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) this.reservedPorts.delete(p.nodePort);
  }

  private freeIp(used: Set<string>): string | undefined {
    const count = this.size - 2;
    // Random probing, then a scan, as upstream's bitmap allocator does; .1 stays for `kubernetes`.
    for (let i = 0; i < 64; i++) {
      const ip = intToIp(this.base + 2 + Math.floor(Math.random() * (count - 1)));
      if (!used.has(ip)) return ip;
    }
    for (let off = 2; off <= count; off++) {
      const ip = intToIp(this.base + off);
      if (!used.has(ip)) return ip;
    }
    return undefined;
  }

  private freePort(used: Set<number>): number | undefined {
    const [lo, hi] = this.ports;
    for (let i = 0; i < 64; i++) {
      const p = lo + Math.floor(Math.random() * (hi - lo + 1));
      if (!used.has(p)) return p;
    }
    for (let p = lo; p <= hi; p++) if (!used.has(p)) return p;
    return undefined;
  }
}
