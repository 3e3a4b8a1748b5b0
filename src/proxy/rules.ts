// The proxy's nftables rules as a pure function: Service ports and their endpoints in, nft script text
// out. Modeled on upstream kube-proxy's nftables mode (pkg/proxy/nftables): verdict maps keyed by
// `ip daddr . meta l4proto . th dport` send Service traffic to a chain per Service port, which picks an
// endpoint at random (see `balance`), and a chain per endpoint does the DNAT. Everything lives in
// one table of our own (`table ip k8ts-proxy` by default), so nothing else on the host is touched.
//
// serviceRules() builds one Service's objects (chains with their rules, map elements, affinity sets);
// fullSyncScript() writes the whole table from scratch; diffScript() writes only what changed between
// two versions of some Services' objects. The Proxier (proxier.ts) keeps the applied versions.
import type { EndpointInfo, ServicePortInfo } from './model.js';
import { endpointNames, servicePortChains } from './names.js';

export interface RulesConfig {
  /** The table's name (family ip). */
  table: string;
  /**
   * How traffic from this node's pods is told apart from the rest (upstream's local traffic detector):
   * the CNI bridge pods' packets arrive on, or the cluster's pod CIDR.
   */
  localTraffic: { bridge: string } | { cidr: string };
  /**
   * Masquerade all traffic to cluster IPs. Needed when bridged replies between two pods of this node skip
   * conntrack (no br_netfilter): the reply would come back from the pod IP instead of the cluster IP.
   */
  masqueradeAll?: boolean;
  /** The mark bit for "masquerade this" (upstream's default 14, 0x4000). */
  masqueradeBit?: number;
  /**
   * How a Service chain picks an endpoint among N:
   * - 'rules' (default): rule i is `numgen random mod (N-i) == 0 goto endpoint-i` and the last is a plain
   *   goto, which is uniform (as iptables' statistic rules) and uses no set;
   * - 'vmap': upstream's single `numgen random mod N vmap { 0 : goto ..., ... }`. Each such rule is an
   *   anonymous map, and the kernel names a new anonymous map by walking all the table's sets, so a full
   *   sync of 10,000 Services spends tens of seconds in the kernel (bench/proxy measures both).
   */
  balance?: 'rules' | 'vmap';
}

/** One Service's objects in the table. */
export interface ServiceRules {
  /** chain name -> its rules, in order. */
  chains: Map<string, string[]>;
  /** map name -> element key -> verdict. */
  elements: Map<string, Map<string, string>>;
  /** affinity set name -> timeout in seconds. */
  sets: Map<string, number>;
}

// The table's fixed objects (names as upstream).
export const SERVICE_IPS = 'service-ips';
export const SERVICE_NODEPORTS = 'service-nodeports';
export const NO_ENDPOINT_SERVICES = 'no-endpoint-services';
export const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
const SERVICES_CHAIN = 'services';
const ENDPOINTS_CHECK = 'endpoints-check';
const MASQUERADING = 'masquerading';
const MARK_MASQ = 'mark-for-masquerade';
const REJECT_CHAIN = 'reject-chain';
/** Filter chains run before DNAT (upstream: dstnat - 10), so they see the Service address. */
const FILTER_PRIORITY = -110;

const markOf = (cfg: RulesConfig) => `0x${(1 << (cfg.masqueradeBit ?? 14)).toString(16).padStart(8, '0')}`;

function ifLocal(cfg: RulesConfig): string {
  return 'bridge' in cfg.localTraffic
    ? `iifname "${cfg.localTraffic.bridge}"`
    : `ip saddr ${cfg.localTraffic.cidr}`;
}

function ifNotLocal(cfg: RulesConfig): string {
  return 'bridge' in cfg.localTraffic
    ? `iifname != "${cfg.localTraffic.bridge}"`
    : `ip saddr != ${cfg.localTraffic.cidr}`;
}

/** Upstream's CategorizeEndpoints without topology: which endpoints each traffic policy may use. */
export function categorizeEndpoints(
  sp: ServicePortInfo,
  endpoints: EndpointInfo[],
): { cluster: EndpointInfo[]; local: EndpointInfo[]; reachable: EndpointInfo[]; hasAny: boolean } {
  const usesCluster = !sp.internalLocal || sp.externallyAccessible;
  const usesLocal = sp.internalLocal || (sp.externalLocal && sp.externallyAccessible);
  let cluster: EndpointInfo[] = [];
  let hasAny = false;
  if (usesCluster) {
    cluster = endpoints.filter((e) => e.ready);
    // With no ready endpoint anywhere, serving ones that are terminating still take traffic.
    if (cluster.length === 0) cluster = endpoints.filter((e) => e.serving && e.terminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocal) return { cluster, local: [], reachable: cluster, hasAny };
  let local = endpoints.filter((e) => e.local && e.ready);
  if (local.length === 0) local = endpoints.filter((e) => e.local && e.serving && e.terminating);
  if (endpoints.some((e) => e.ready || (e.serving && e.terminating))) hasAny = true;
  const reachable = [...cluster];
  for (const e of local) if (!reachable.includes(e)) reachable.push(e);
  return { cluster, local, reachable, hasAny };
}

function addElement(r: ServiceRules, map: string, key: string, verdict: string): void {
  let m = r.elements.get(map);
  if (!m) {
    m = new Map();
    r.elements.set(map, m);
  }
  m.set(key, verdict);
}

function addRule(r: ServiceRules, chain: string, rule: string): void {
  let rules = r.chains.get(chain);
  if (!rules) {
    rules = [];
    r.chains.set(chain, rules);
  }
  rules.push(rule);
}

/** The chains, map elements and affinity sets of one Service's ports, given each port's endpoints. */
export function serviceRules(
  ports: ServicePortInfo[],
  endpoints: Map<string, EndpointInfo[]>,
  cfg: RulesConfig,
): ServiceRules {
  const r: ServiceRules = { chains: new Map(), elements: new Map(), sets: new Map() };
  for (const sp of ports) servicePortRules(r, sp, endpoints.get(sp.name) ?? [], cfg);
  return r;
}

function servicePortRules(r: ServiceRules, sp: ServicePortInfo, eps: EndpointInfo[], cfg: RulesConfig): void {
  const { cluster, local, reachable, hasAny } = categorizeEndpoints(sp, eps);
  const usesCluster = !sp.internalLocal || sp.externallyAccessible;
  const usesLocal = sp.internalLocal || (sp.externalLocal && sp.externallyAccessible);
  const { cluster: clusterChain, local: localChain, external: externalChain } = servicePortChains(sp.name);
  const names = new Map<EndpointInfo, { chain: string; set: string }>();
  const named = (e: EndpointInfo) => {
    let n = names.get(e);
    if (!n) {
      n = endpointNames(sp.name, e.ip, e.port);
      names.set(e, n);
    }
    return n;
  };
  const epChain = (e: EndpointInfo) => named(e).chain;
  const epSet = (e: EndpointInfo) => named(e).set;
  // Chains are created here in the order their rules are written below (Map keeps insertion order).
  const ensure = (chain: string) => {
    if (!r.chains.has(chain)) r.chains.set(chain, []);
  };
  const usesClusterChain = cluster.length > 0 && usesCluster;
  const usesLocalChain = local.length > 0 && usesLocal;
  if (usesClusterChain) ensure(clusterChain);
  if (usesLocalChain) ensure(localChain);
  const internalChain = sp.internalLocal ? localChain : clusterChain;
  const hasInternal = hasAny && (!sp.internalLocal || local.length > 0);
  const externalPolicyChain = sp.externalLocal ? localChain : clusterChain;
  const hasExternal = hasAny && (!sp.externalLocal || local.length > 0);
  const usesExternalChain = hasAny && sp.externallyAccessible;
  if (usesExternalChain) ensure(externalChain);
  for (const e of reachable) ensure(epChain(e));

  // No endpoints at all: reject. Endpoints, but none this policy may use (Local): drop.
  const internalVerdict = !hasAny ? `goto ${REJECT_CHAIN}` : 'drop';
  const externalVerdict = !hasAny ? `goto ${REJECT_CHAIN}` : 'drop';
  const ipKey = (ip: string) => `${ip} . ${sp.protocol} . ${sp.port}`;

  if (hasInternal) addElement(r, SERVICE_IPS, ipKey(sp.clusterIP), `goto ${internalChain}`);
  else addElement(r, NO_ENDPOINT_SERVICES, ipKey(sp.clusterIP), internalVerdict);
  for (const ip of sp.externalIPs) {
    if (hasAny) addElement(r, SERVICE_IPS, ipKey(ip), `goto ${externalChain}`);
    if (!hasExternal) addElement(r, NO_ENDPOINT_SERVICES, ipKey(ip), externalVerdict);
  }
  if (sp.nodePort) {
    const key = `${sp.protocol} . ${sp.nodePort}`;
    if (hasAny) addElement(r, SERVICE_NODEPORTS, key, `goto ${externalChain}`);
    if (!hasExternal) addElement(r, NO_ENDPOINT_NODEPORTS, key, externalVerdict);
  }

  // Traffic to the cluster IP from outside the cluster's pods (the host, other machines routed here) is
  // masqueraded so that replies come back through this node.
  if (hasInternal) {
    const match = `ip daddr ${sp.clusterIP} ${sp.protocol} dport ${sp.port}`;
    addRule(r, internalChain, `${match}${cfg.masqueradeAll ? '' : ` ${ifNotLocal(cfg)}`} jump ${MARK_MASQ}`);
  }

  if (usesExternalChain) {
    if (!sp.externalLocal) {
      // The endpoint may be on another node: masquerade so the reply comes back here.
      addRule(r, externalChain, `jump ${MARK_MASQ}`);
    } else {
      // Pods reaching a NodePort/external IP are treated as if they went out and came back in: any endpoint.
      addRule(r, externalChain, `${ifLocal(cfg)} goto ${clusterChain} comment "short-circuit pod traffic"`);
      // The host's own traffic has a local source address: masquerade it and use any endpoint.
      addRule(r, externalChain, `fib saddr type local jump ${MARK_MASQ} comment "masquerade local traffic"`);
      addRule(
        r,
        externalChain,
        `fib saddr type local goto ${clusterChain} comment "short-circuit local traffic"`,
      );
    }
    // Everything else keeps its source address (no masquerade for Local) and goes to the policy's chain.
    if (hasExternal) addRule(r, externalChain, `goto ${externalPolicyChain}`);
  }

  if (sp.affinityTimeoutSeconds > 0)
    for (const e of reachable) r.sets.set(epSet(e), sp.affinityTimeoutSeconds);
  const dispatch = (chain: string, list: EndpointInfo[]) => {
    // A client seen recently (sessionAffinity: ClientIP) goes back to the endpoint it had.
    if (sp.affinityTimeoutSeconds > 0)
      for (const e of list) addRule(r, chain, `ip saddr @${epSet(e)} goto ${epChain(e)}`);
    if (cfg.balance === 'vmap') {
      const arms = list.map((e, i) => `${i} : goto ${epChain(e)}`).join(', ');
      addRule(r, chain, `numgen random mod ${list.length} vmap { ${arms} }`);
      return;
    }
    // Endpoint i is taken with probability 1/(N-i) among those left: 1/N each.
    list.forEach((e, i) => {
      const left = list.length - i;
      addRule(
        r,
        chain,
        left > 1 ? `numgen random mod ${left} == 0 goto ${epChain(e)}` : `goto ${epChain(e)}`,
      );
    });
  };
  if (usesClusterChain) dispatch(clusterChain, cluster);
  if (usesLocalChain) dispatch(localChain, local);

  for (const e of reachable) {
    const chain = epChain(e);
    // Hairpin: a pod reaching itself through the Service must see the reply come from the Service.
    addRule(r, chain, `ip saddr ${e.ip} jump ${MARK_MASQ}`);
    if (sp.affinityTimeoutSeconds > 0) addRule(r, chain, `update @${epSet(e)} { ip saddr }`);
    addRule(r, chain, `meta l4proto ${sp.protocol} dnat to ${e.ip}:${e.port}`);
  }
}

/** The table's fixed part: base chains on the netfilter hooks, the dispatch maps and the helpers. */
export function baseLines(cfg: RulesConfig): string[] {
  const t = `ip ${cfg.table}`;
  const mark = markOf(cfg);
  const lines = [
    `add table ${t} { comment "k8ts kube-proxy rules"; }`,
    `add chain ${t} filter-input { type filter hook input priority ${FILTER_PRIORITY}; policy accept; }`,
    `add chain ${t} filter-forward { type filter hook forward priority ${FILTER_PRIORITY}; policy accept; }`,
    `add chain ${t} filter-output { type filter hook output priority ${FILTER_PRIORITY}; policy accept; }`,
    `add chain ${t} nat-prerouting { type nat hook prerouting priority -100; policy accept; }`,
    `add chain ${t} nat-output { type nat hook output priority -100; policy accept; }`,
    `add chain ${t} nat-postrouting { type nat hook postrouting priority 100; policy accept; }`,
    `add chain ${t} ${SERVICES_CHAIN}`,
    `add chain ${t} ${ENDPOINTS_CHECK}`,
    `add chain ${t} ${MASQUERADING}`,
    `add chain ${t} ${MARK_MASQ}`,
    `add chain ${t} ${REJECT_CHAIN}`,
    `add map ${t} ${SERVICE_IPS} { type ipv4_addr . inet_proto . inet_service : verdict; }`,
    `add map ${t} ${SERVICE_NODEPORTS} { type inet_proto . inet_service : verdict; }`,
    `add map ${t} ${NO_ENDPOINT_SERVICES} { type ipv4_addr . inet_proto . inet_service : verdict; }`,
    `add map ${t} ${NO_ENDPOINT_NODEPORTS} { type inet_proto . inet_service : verdict; }`,
    // Reject (no endpoints) is not allowed in prerouting: check on every path a packet can take.
    `add rule ${t} filter-input ct state new jump ${ENDPOINTS_CHECK}`,
    `add rule ${t} filter-forward ct state new jump ${ENDPOINTS_CHECK}`,
    `add rule ${t} filter-output ct state new jump ${ENDPOINTS_CHECK}`,
    `add rule ${t} nat-prerouting jump ${SERVICES_CHAIN}`,
    `add rule ${t} nat-output jump ${SERVICES_CHAIN}`,
    `add rule ${t} nat-postrouting jump ${MASQUERADING}`,
    `add rule ${t} ${MARK_MASQ} meta mark set meta mark or ${mark}`,
    `add rule ${t} ${MASQUERADING} meta mark and ${mark} == 0 return`,
    `add rule ${t} ${MASQUERADING} meta mark set meta mark xor ${mark}`,
    `add rule ${t} ${MASQUERADING} masquerade fully-random`,
    `add rule ${t} ${REJECT_CHAIN} reject`,
    `add rule ${t} ${ENDPOINTS_CHECK} ip daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES}`,
    // NodePorts answer on every local address but loopback.
    `add rule ${t} ${ENDPOINTS_CHECK} fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`,
    `add rule ${t} ${SERVICES_CHAIN} ip daddr . meta l4proto . th dport vmap @${SERVICE_IPS}`,
    `add rule ${t} ${SERVICES_CHAIN} fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`,
  ];
  return lines;
}

const setLine = (t: string, name: string, timeout: number) =>
  `add set ${t} ${name} { type ipv4_addr; flags dynamic,timeout; timeout ${timeout}s; }`;

/** Element statements, one per map (nft parses one long statement faster than many short ones). */
function elementLines(t: string, verb: 'add' | 'delete', byMap: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [map, items] of byMap)
    if (items.length > 0) out.push(`${verb} element ${t} ${map} { ${items.join(', ')} }`);
  return out;
}

function push(m: Map<string, string[]>, key: string, item: string): void {
  let list = m.get(key);
  if (!list) {
    list = [];
    m.set(key, list);
  }
  list.push(item);
}

/**
 * The whole table from scratch, in one transaction: the table is created (so the delete cannot fail),
 * deleted with everything in it, and written again.
 */
export function fullSyncScript(cfg: RulesConfig, services: Iterable<ServiceRules>): string {
  const t = `ip ${cfg.table}`;
  const lines = [`add table ${t}`, `delete table ${t}`, ...baseLines(cfg)];
  const chains: string[] = [];
  const rules: string[] = [];
  const elements = new Map<string, string[]>();
  for (const s of services) {
    for (const [name, timeout] of s.sets) lines.push(setLine(t, name, timeout));
    for (const [name, list] of s.chains) {
      chains.push(`add chain ${t} ${name}`);
      for (const rule of list) rules.push(`add rule ${t} ${name} ${rule}`);
    }
    for (const [map, els] of s.elements) for (const [k, v] of els) push(elements, map, `${k} : ${v}`);
  }
  lines.push(...chains, ...rules, ...elementLines(t, 'add', elements));
  return `${lines.join('\n')}\n`;
}

export interface ServiceChange {
  old?: ServiceRules;
  new?: ServiceRules;
}

export interface Diff {
  /** The nft script ('' when nothing changed). */
  script: string;
  /** Chains no longer used: flushed by this script, to be deleted by a later one. */
  staleChains: string[];
  /** Chains used again: no longer to be deleted. */
  revivedChains: string[];
}

const sameRules = (a: string[] | undefined, b: string[]) =>
  a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Only what changed between the old and new objects of some Services, in an order nft accepts in one
 * transaction: stale elements deleted, changed and unused chains flushed, unused affinity sets deleted,
 * new sets and chains added, new rules and elements added. Unused chains are not deleted at once: with
 * kernels before 6.2 a chain that a just-deleted map element pointed to still counts as used for a short
 * while, so (like upstream) they are flushed now and deleted by a later sync (`deleteChains`).
 */
export function diffScript(
  cfg: RulesConfig,
  changes: Iterable<ServiceChange>,
  deleteChains: string[] = [],
): Diff {
  const t = `ip ${cfg.table}`;
  const delElements = new Map<string, string[]>();
  const addElements = new Map<string, string[]>();
  const flushes: string[] = [];
  const delSets: string[] = [];
  const addSets: string[] = [];
  const addChains: string[] = [];
  const rules: string[] = [];
  const staleChains: string[] = [];
  const revivedChains: string[] = [];
  const empty: ServiceRules = { chains: new Map(), elements: new Map(), sets: new Map() };
  for (const change of changes) {
    const o = change.old ?? empty;
    const n = change.new ?? empty;
    for (const [map, els] of o.elements) {
      const now = n.elements.get(map);
      for (const [k, v] of els) if (now?.get(k) !== v) push(delElements, map, k);
    }
    for (const [map, els] of n.elements) {
      const before = o.elements.get(map);
      for (const [k, v] of els) if (before?.get(k) !== v) push(addElements, map, `${k} : ${v}`);
    }
    // A set whose timeout changed is made again; the chains naming it are rewritten so that it is unused
    // when it is deleted.
    let setsChanged = false;
    for (const [name, timeout] of o.sets) {
      if (n.sets.get(name) !== timeout) {
        delSets.push(`delete set ${t} ${name}`);
        if (n.sets.has(name)) setsChanged = true;
      }
    }
    for (const [name, timeout] of n.sets)
      if (o.sets.get(name) !== timeout) addSets.push(setLine(t, name, timeout));
    for (const [name, list] of o.chains) {
      if (!n.chains.has(name)) {
        flushes.push(`flush chain ${t} ${name}`);
        staleChains.push(name);
      } else if (setsChanged || !sameRules(list, n.chains.get(name)!)) {
        flushes.push(`flush chain ${t} ${name}`);
      }
    }
    for (const [name, list] of n.chains) {
      const before = o.chains.get(name);
      if (!before) {
        // It may still exist, flushed and waiting to be deleted: add (a no-op then) and flush.
        addChains.push(`add chain ${t} ${name}`, `flush chain ${t} ${name}`);
        revivedChains.push(name);
      } else if (!setsChanged && sameRules(before, list)) continue;
      for (const rule of list) rules.push(`add rule ${t} ${name} ${rule}`);
    }
  }
  const revived = new Set(revivedChains);
  const lines = [
    ...elementLines(t, 'delete', delElements),
    ...flushes,
    ...delSets,
    ...addSets,
    ...addChains,
    ...rules,
    ...elementLines(t, 'add', addElements),
    ...deleteChains.filter((c) => !revived.has(c)).map((c) => `delete chain ${t} ${c}`),
  ];
  return { script: lines.length > 0 ? `${lines.join('\n')}\n` : '', staleChains, revivedChains };
}
