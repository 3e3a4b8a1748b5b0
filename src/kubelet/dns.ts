// A pod's resolv.conf, as upstream's kubelet forms it (pkg/kubelet/network/dns):
//   ClusterFirst (the default)   the cluster DNS servers, search `<ns>.svc.<domain> svc.<domain> <domain>`
//                                plus the host's search domains, options ndots:5
//   ClusterFirstWithHostNet      the same, for hostNetwork pods too
//   ClusterFirst + hostNetwork   the host's settings (as Default)
//   Default                      the host's resolv.conf
//   None                         nothing but the pod's dnsConfig
// A cluster policy on a node without cluster DNS falls back to Default (with a MissingClusterDNS event).
// The pod's dnsConfig is then merged: nameservers and searches appended without duplicates, options
// overriding by name. At most 3 nameservers and 32 search domains (2048 characters, none over 253) are kept,
// with a DNSConfigForming event saying what was applied.
import type { ResolvConf } from './host.js';
import type { Obj } from './refs.js';

export const MAX_NAMESERVERS = 3;
export const MAX_SEARCH_PATHS = 32;
export const MAX_SEARCH_LINE_CHARS = 2048;
const MAX_DOMAIN_CHARS = 253;
const CLUSTER_OPTIONS = ['ndots:5'];

export interface ClusterDnsConfig {
  /** The cluster domain, e.g. cluster.local. */
  domain: string;
  /** The cluster DNS servers pods with a cluster policy use (empty: not known). */
  servers: string[];
}

export interface PodDns {
  servers: string[];
  searches: string[];
  options: string[];
  /** Events the kubelet records for the pod (reason, message), as upstream's Warning events. */
  warnings: { reason: string; message: string }[];
}

type Policy = 'cluster' | 'host' | 'none';

function policyOf(pod: Obj): Policy {
  const spec = pod.spec ?? {};
  switch (spec.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'ClusterFirst':
      return spec.hostNetwork ? 'host' : 'cluster';
    default:
      return 'host';
  }
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** Options as `name` or `name:value`; later ones with the same name replace earlier ones in place. */
function mergeOptions(base: string[], custom: Obj[]): string[] {
  const out = new Map<string, string>();
  for (const o of base) {
    const i = o.indexOf(':');
    out.set(i < 0 ? o : o.slice(0, i), o);
  }
  for (const o of custom) {
    if (!o?.name) continue;
    out.set(
      o.name,
      o.value !== undefined && o.value !== null && o.value !== '' ? `${o.name}:${o.value}` : o.name,
    );
  }
  return [...out.values()];
}

/** The search list within the resolver limits; whether something was dropped. */
function fitSearches(searches: string[]): [string[], boolean] {
  let dropped = false;
  let out = searches;
  if (out.length > MAX_SEARCH_PATHS) {
    out = out.slice(0, MAX_SEARCH_PATHS);
    dropped = true;
  }
  // glibc aborts on a search domain longer than a domain name may be.
  const fitting = out.filter((s) => s.length <= MAX_DOMAIN_CHARS);
  if (fitting.length !== out.length) dropped = true;
  out = fitting;
  while (out.length > 0 && out.join(' ').length > MAX_SEARCH_LINE_CHARS) {
    out = out.slice(0, -1);
    dropped = true;
  }
  return [out, dropped];
}

export function podDns(pod: Obj, host: ResolvConf, cluster?: ClusterDnsConfig): PodDns {
  const warnings: PodDns['warnings'] = [];
  let policy = policyOf(pod);
  if (policy === 'cluster' && !(cluster && cluster.servers.length > 0)) {
    warnings.push({
      reason: 'MissingClusterDNS',
      message: `pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})". kubelet does not have ClusterDNS IP configured and cannot create Pod using "${pod.spec?.dnsPolicy ?? 'ClusterFirst'}" policy. Falling back to "Default" policy.`,
    });
    policy = 'host';
  }
  let servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  if (policy === 'cluster') {
    const domain = cluster!.domain.replace(/\.$/, '');
    const ns = pod.metadata?.namespace ?? 'default';
    servers = [...cluster!.servers];
    searches = unique(
      domain ? [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches] : host.searches,
    );
    options = [...CLUSTER_OPTIONS];
  } else if (policy === 'host') {
    servers = [...host.servers];
    searches = [...host.searches];
    options = [...host.options];
  }
  const custom = pod.spec?.dnsConfig;
  if (custom) {
    servers = unique([...servers, ...(custom.nameservers ?? [])]);
    searches = unique([...searches, ...(custom.searches ?? [])]);
    options = mergeOptions(options, custom.options ?? []);
  }
  if (servers.length > MAX_NAMESERVERS) {
    servers = servers.slice(0, MAX_NAMESERVERS);
    warnings.push({
      reason: 'DNSConfigForming',
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${servers.join(' ')}`,
    });
  }
  const [fitted, dropped] = fitSearches(searches);
  if (dropped)
    warnings.push({
      reason: 'DNSConfigForming',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${fitted.join(' ')}`,
    });
  return { servers, searches: fitted, options, warnings };
}
