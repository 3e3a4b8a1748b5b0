// The pod bridge and its gateway address, made ahead of the first pod. The CNI bridge plugin makes them
// only when it adds the first pod; the node's DNS server listens on the gateway address before that, and
// the plugin takes an existing bridge that already holds the gateway address as its own.
import { spawnSync } from 'node:child_process';
import { K8tsError } from '../errors.js';
import { parseCidr } from './cni.js';

/** The first address of a CIDR (what host-local IPAM gives the bridge as gateway). */
export function gatewayOf(cidr: string): string {
  const { ip, prefix, ipv6 } = parseCidr(cidr);
  if (!ipv6) {
    const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const v = n - (n % 2 ** (32 - prefix)) + 1;
    return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
  }
  const groups = expand6(ip).map((g) => BigInt(`0x${g}`));
  let n = groups.reduce((acc, g) => (acc << 16n) | g, 0n);
  n = ((n >> BigInt(128 - prefix)) << BigInt(128 - prefix)) + 1n;
  const out: string[] = [];
  for (let i = 7; i >= 0; i--) out.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return compress6(out);
}

function expand6(ip: string): string[] {
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
}

function compress6(groups: string[]): string {
  // The longest run of zero groups becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function ip(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? r.error?.message ?? '').trim() };
}

/**
 * Makes sure `bridge` exists, is up and holds the gateway address of podCIDR (with its prefix, as the
 * CNI plugin would add it). Returns the gateway address. Needs root.
 */
export function ensureBridgeGateway(bridge: string, podCIDR: string): string {
  const { prefix, ipv6 } = parseCidr(podCIDR);
  const gw = gatewayOf(podCIDR);
  if (!ip(['link', 'show', 'dev', bridge]).ok) {
    const add = ip(['link', 'add', 'name', bridge, 'type', 'bridge']);
    if (!add.ok && !ip(['link', 'show', 'dev', bridge]).ok)
      throw new K8tsError('Internal', `cannot create bridge ${bridge}: ${add.err}`);
  }
  const addrs = ip(['-o', ipv6 ? '-6' : '-4', 'addr', 'show', 'dev', bridge]).out;
  if (!addrs.includes(` ${gw}/${prefix} `)) {
    // nodad: an IPv6 address still in duplicate detection cannot be bound yet.
    const add = ip(['addr', 'add', `${gw}/${prefix}`, 'dev', bridge, ...(ipv6 ? ['nodad'] : [])]);
    if (!add.ok && !/exists/i.test(add.err))
      throw new K8tsError('Internal', `cannot add ${gw}/${prefix} to ${bridge}: ${add.err}`);
  }
  const up = ip(['link', 'set', 'dev', bridge, 'up']);
  if (!up.ok) throw new K8tsError('Internal', `cannot bring ${bridge} up: ${up.err}`);
  return gw;
}
