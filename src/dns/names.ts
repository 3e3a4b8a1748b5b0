// Name and address helpers for cluster DNS: IP normalisation (so an IPv6 address matches however it is
// written), reverse-zone names, and the dashed forms Kubernetes DNS uses for pod and endpoint names.
import { isIPv4, isIPv6 } from 'node:net';

/** The canonical form of an IP for index keys: IPv4 as is, IPv6 as eight full lower-case groups. */
export function canonicalIP(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return undefined;
  let text = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

/** The IP a reverse name (`4.3.2.1.in-addr.arpa`, nibbles under `ip6.arpa`) stands for. */
export function reverseNameToIP(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.in-addr.arpa')) {
    const parts = lower.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4) return undefined;
    const ip = parts.reverse().join('.');
    return isIPv4(ip) ? ip : undefined;
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return hex.match(/.{4}/g)!.join(':');
  }
  return undefined;
}

/** `10.0.0.1` -> `10-0-0-1`, `fd00::1` -> `fd00--1`: the label an endpoint without a hostname answers to. */
export function dashedIP(ip: string): string {
  return ip.includes(':') ? ip.replaceAll(':', '-') : ip.replaceAll('.', '-');
}

/**
 * The IP in a pod name label (`10-244-1-5`, `fd00--5`): four dash-separated parts without `--` are IPv4,
 * anything else is read as IPv6. Undefined when the result is not an address.
 */
export function ipFromDashed(label: string): string | undefined {
  const dashes = label.split('-').length - 1;
  const ip = dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  return isIPv4(ip) || isIPv6(ip) ? ip : undefined;
}

/** Lower-case labels of a name without a trailing dot. */
export function labelsOf(name: string): string[] {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n === '' ? [] : n.toLowerCase().split('.');
}

/** The labels of `name` below `zone`, or undefined when the name is not in the zone. */
export function labelsInZone(name: string, zoneLabels: string[]): string[] | undefined {
  const labels = labelsOf(name);
  if (labels.length < zoneLabels.length) return undefined;
  const cut = labels.length - zoneLabels.length;
  for (let i = 0; i < zoneLabels.length; i++) if (labels[cut + i] !== zoneLabels[i]) return undefined;
  return labels.slice(0, cut);
}
