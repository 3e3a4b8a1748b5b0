// Turns the configured endpoints into one gRPC target. Several members become a multi-address target
// ("ipv4:a:p,b:p") served by pick_first: the channel sticks to one reachable member and moves on to the
// next when that one goes away, so a 3-member cluster survives the loss of the member we talk to.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { K8tsError } from '../../errors.js';

interface HostPort {
  host: string;
  port: number;
}

export function parseEndpoint(endpoint: string): HostPort {
  if (/^https:\/\//i.test(endpoint)) {
    throw new K8tsError('BadRequest', `etcd endpoint ${endpoint}: TLS endpoints are not supported yet`);
  }
  const rest = endpoint.replace(/^http:\/\//i, '').replace(/\/+$/, '');
  const m = /^(?:\[([^\]]+)\]|([^:/]+)):(\d+)$/.exec(rest);
  if (!m) {
    throw new K8tsError(
      'BadRequest',
      `etcd endpoint ${JSON.stringify(endpoint)} is not host:port or http://host:port`,
    );
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new K8tsError('BadRequest', `etcd endpoint ${endpoint}: bad port`);
  return { host: m[1] ?? m[2], port };
}

export async function grpcTarget(endpoints: string[]): Promise<string> {
  if (endpoints.length === 0) throw new K8tsError('BadRequest', 'at least one etcd endpoint is required');
  const resolved: { address: string; family: number; port: number }[] = [];
  for (const ep of endpoints) {
    const { host, port } = parseEndpoint(ep);
    const family = isIP(host);
    if (family !== 0) {
      resolved.push({ address: host, family, port });
      continue;
    }
    try {
      const r = await lookup(host);
      resolved.push({ address: r.address, family: r.family, port });
    } catch (err) {
      throw new K8tsError(
        'StoreUnavailable',
        `cannot resolve etcd endpoint ${ep}: ${(err as Error).message}`,
      );
    }
  }
  const v4 = resolved.filter((r) => r.family === 4);
  // A gRPC address list has one family; prefer IPv4 when endpoints mix both.
  if (v4.length > 0) return `ipv4:${v4.map((r) => `${r.address}:${r.port}`).join(',')}`;
  return `ipv6:${resolved.map((r) => `[${r.address}]:${r.port}`).join(',')}`;
}
