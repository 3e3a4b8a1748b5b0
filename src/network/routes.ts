// Host-gw pod routing: on one L2 segment every node reaches every other node directly, so a route for
// each other node's podCIDR via that node's InternalIP is all cross-node pod traffic needs (flannel's
// host-gw backend does the same). Routes k8ts installs carry their own protocol number, so a restarted
// agent finds those of nodes deleted while it was down. One k8ts node per network namespace.
import { execFile } from 'node:child_process';
import { isIPv4, isIPv6 } from 'node:net';

type Obj = Record<string, any>;

/** The `proto` of k8ts's routes (rtnetlink protocol numbers above 4 are free for routing daemons). */
export const ROUTE_PROTO = 77;

/** Destination CIDR -> gateway IP. */
export type RouteMap = Map<string, string>;

export function nodeInternalIP(node: Obj, family: 4 | 6): string | undefined {
  const ok = family === 4 ? isIPv4 : isIPv6;
  for (const a of node.status?.addresses ?? [])
    if (a.type === 'InternalIP' && ok(a.address)) return a.address;
  return undefined;
}

export function nodePodCIDRs(node: Obj): string[] {
  const cidrs: string[] = node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []);
  return cidrs.filter((c) => typeof c === 'string' && c.includes('/'));
}

const familyOf = (cidr: string): 4 | 6 => (cidr.includes(':') ? 6 : 4);

/**
 * The routes this node wants: each other node's podCIDRs via that node's InternalIP of the same family.
 * Nodes being deleted and nodes without an address or podCIDR yet get none.
 */
export function desiredRoutes(nodes: Obj[], self: string): RouteMap {
  const out: RouteMap = new Map();
  for (const n of nodes) {
    if (n.metadata?.name === self || n.metadata?.deletionTimestamp) continue;
    for (const cidr of nodePodCIDRs(n)) {
      const via = nodeInternalIP(n, familyOf(cidr));
      if (via) out.set(cidr, via);
    }
  }
  return out;
}

export interface RouteDiff {
  /** Routes to add or whose gateway changed (`ip route replace`). */
  replace: { cidr: string; via: string }[];
  /** Destinations no node wants any more. */
  remove: string[];
}

export function diffRoutes(current: RouteMap, desired: RouteMap): RouteDiff {
  const replace: RouteDiff['replace'] = [];
  const remove: string[] = [];
  for (const [cidr, via] of desired) if (current.get(cidr) !== via) replace.push({ cidr, via });
  for (const cidr of current.keys()) if (!desired.has(cidr)) remove.push(cidr);
  replace.sort((a, b) => a.cidr.localeCompare(b.cidr));
  remove.sort();
  return { replace, remove };
}

/** The kernel's routing table as far as k8ts's routes go. */
export interface RouteTable {
  list(): Promise<RouteMap>;
  replace(cidr: string, via: string): Promise<void>;
  remove(cidr: string): Promise<void>;
}

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** The real table, through iproute2 in the agent's network namespace. */
export const ipRouteTable: RouteTable = {
  async list() {
    const out: RouteMap = new Map();
    for (const fam of ['-4', '-6']) {
      const routes = JSON.parse(
        (await ip([fam, '-j', 'route', 'show', 'proto', String(ROUTE_PROTO)])) || '[]',
      );
      for (const r of routes as Obj[]) {
        if (!r.dst || !r.gateway) continue;
        // iproute2 prints a host route without its prefix length.
        const cidr = r.dst.includes('/') ? r.dst : `${r.dst}/${fam === '-4' ? 32 : 128}`;
        out.set(cidr, r.gateway);
      }
    }
    return out;
  },
  async replace(cidr, via) {
    await ip(['route', 'replace', cidr, 'via', via, 'proto', String(ROUTE_PROTO)]);
  },
  async remove(cidr) {
    await ip(['route', 'delete', cidr, 'proto', String(ROUTE_PROTO)]);
  },
};

/** Brings the table to `desired`; returns what it did. A route that fails does not stop the others. */
export async function syncRoutes(
  table: RouteTable,
  desired: RouteMap,
): Promise<RouteDiff & { errors: Error[] }> {
  const diff = diffRoutes(await table.list(), desired);
  const errors: Error[] = [];
  for (const { cidr, via } of diff.replace) await table.replace(cidr, via).catch((e) => errors.push(e));
  for (const cidr of diff.remove) await table.remove(cidr).catch((e) => errors.push(e));
  return { ...diff, errors };
}
