// Pod networking config: one CNI network list written from the node's podCIDR. A Linux bridge (k8ts0)
// with the node as gateway, host-local IPAM over the podCIDR (its state kept under the data dir), and
// portmap for hostPort mappings. containerd adds the pod's loopback itself with the `loopback` plugin from
// the same bin_dir, so it is not part of the list.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { K8tsError } from '../errors.js';

export const CNI_BIN_DIR = '/usr/lib/cni';
export const CNI_NETWORK_NAME = 'k8ts';
export const CNI_BRIDGE = 'k8ts0';
const CONFLIST_NAME = '10-k8ts.conflist';

export function cniConfDir(dataDir: string): string {
  return join(dataDir, 'cni', 'net.d');
}

/** Where host-local keeps its IP allocations. */
export function cniIpamDir(dataDir: string): string {
  return join(dataDir, 'cni', 'networks');
}

export interface CniOptions {
  dataDir: string;
  /** The node's pod range, e.g. 10.244.1.0/24 (IPv4 or IPv6). */
  podCIDR: string;
  bridge?: string;
  networkName?: string;
  /** Masquerade traffic from pods to outside the podCIDR (default true). */
  ipMasq?: boolean;
}

/** Checks a CIDR string and tells whether it is IPv6. */
export function parseCidr(cidr: string): { ip: string; prefix: number; ipv6: boolean } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) throw new K8tsError('Invalid', `podCIDR ${JSON.stringify(cidr)} is not a CIDR`);
  const [, ip, bits] = m;
  const prefix = Number(bits);
  const ipv6 = isIPv6(ip);
  if (!ipv6 && !isIPv4(ip)) throw new K8tsError('Invalid', `podCIDR ${cidr}: ${ip} is not an IP address`);
  if (prefix > (ipv6 ? 128 : 32) || prefix < (ipv6 ? 64 : 8)) {
    throw new K8tsError('Invalid', `podCIDR ${cidr}: prefix /${prefix} is out of range`);
  }
  return { ip, prefix, ipv6 };
}

/** The network list k8ts gives containerd for podCIDR. */
export function cniConfList(opts: CniOptions): Record<string, unknown> {
  const { ipv6 } = parseCidr(opts.podCIDR);
  return {
    cniVersion: '1.0.0',
    name: opts.networkName ?? CNI_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: opts.bridge ?? CNI_BRIDGE,
        isGateway: true,
        ipMasq: opts.ipMasq ?? true,
        // A pod reaching itself through a service address needs its traffic sent back down its own port.
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: opts.podCIDR }]],
          routes: [{ dst: ipv6 ? '::/0' : '0.0.0.0/0' }],
          dataDir: cniIpamDir(opts.dataDir),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

/**
 * Writes the network list into `<dataDir>/cni/net.d/` (atomically: containerd watches the directory and
 * reloads) and returns its path. Unchanged content is not rewritten.
 */
export function writeCniConfig(opts: CniOptions): string {
  const dir = cniConfDir(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  mkdirSync(cniIpamDir(opts.dataDir), { recursive: true });
  const path = join(dir, CONFLIST_NAME);
  const text = `${JSON.stringify(cniConfList(opts), null, 2)}\n`;
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return path;
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return path;
}

export function removeCniConfig(dataDir: string): void {
  rmSync(join(cniConfDir(dataDir), CONFLIST_NAME), { force: true });
}

/** Turns on IPv4 (and, for IPv6 pod ranges, IPv6) forwarding so pod traffic is routed. Needs root. */
export function enableIpForward(ipv6 = false): void {
  const set = (path: string) => {
    if (readFileSync(path, 'utf8').trim() !== '1') writeFileSync(path, '1\n');
  };
  try {
    set('/proc/sys/net/ipv4/ip_forward');
    if (ipv6) set('/proc/sys/net/ipv6/conf/all/forwarding');
  } catch (err) {
    throw new K8tsError('Internal', `cannot enable IP forwarding (are we root?): ${(err as Error).message}`);
  }
}
