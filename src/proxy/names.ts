// Names of the per-service objects in the proxy's nftables table. As upstream's nftables mode does, each
// name carries a short hash of what it names (so names that differ in one digit stay easy to tell apart,
// and a truncated name stays unique) followed by the readable "namespace/service/protocol/port" and, for
// endpoints, "__ip/port". nftables allows [A-Za-z0-9_./-] in chain and set names; Kubernetes names only
// use [a-z0-9-], so "/" and "__" separate the parts unambiguously.
import { createHash } from 'node:crypto';

/** nftables object names are at most 256 bytes; prefixes ("endpoint-") take up to 16 of them. */
const NAME_BASE_MAX = 256 - 16;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first 8 characters of the RFC 4648 base32 encoding of sha256(text). */
export function shortHash(text: string): string {
  const digest = createHash('sha256').update(text).digest();
  // 8 base32 characters are 40 bits: the first 5 bytes.
  let bits = 0n;
  for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(digest[i]);
  let out = '';
  for (let i = 7; i >= 0; i--) out += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

function hashed(name: string): string {
  const full = `${shortHash(name)}-${name}`;
  return full.length > NAME_BASE_MAX ? `${full.slice(0, NAME_BASE_MAX - 3)}...` : full;
}

/** "ns/svc/tcp/port" for a Service port: the key the proxier and the chain names use. */
export function servicePortName(namespace: string, name: string, protocol: string, port: string): string {
  return `${namespace}/${name}/${protocol.toLowerCase()}/${port}`;
}

/** The three chain names of a Service port (one hash for all three). */
export function servicePortChains(spn: string): { cluster: string; local: string; external: string } {
  const base = hashed(spn);
  return { cluster: `service-${base}`, local: `local-${base}`, external: `external-${base}` };
}

/** The chain and affinity set names of one endpoint of a Service port (one hash for both). */
export function endpointNames(spn: string, ip: string, port: number): { chain: string; set: string } {
  const base = endpointBase(spn, ip, port);
  return { chain: `endpoint-${base}`, set: `affinity-${base}` };
}

/** The chain holding a Service port's Cluster-policy endpoints (the ClusterIP's target). */
export const clusterChainName = (spn: string) => `service-${hashed(spn)}`;
/** The chain holding a Service port's node-local endpoints (internal or external policy Local). */
export const localChainName = (spn: string) => `local-${hashed(spn)}`;
/** The chain NodePort and external-IP traffic enters first (masquerading, Local short-circuits). */
export const externalChainName = (spn: string) => `external-${hashed(spn)}`;

function endpointBase(spn: string, ip: string, port: number): string {
  return hashed(`${spn}__${ip.replaceAll(':', '.')}/${port}`);
}

/** The chain that DNATs to one endpoint of a Service port. */
export const endpointChainName = (spn: string, ip: string, port: number) =>
  `endpoint-${endpointBase(spn, ip, port)}`;
/** The set of clients recently sent to this endpoint (sessionAffinity: ClientIP). */
export const affinitySetName = (spn: string, ip: string, port: number) =>
  `affinity-${endpointBase(spn, ip, port)}`;
