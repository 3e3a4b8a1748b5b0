// Service account tokens for projected volumes (upstream's kubelet token manager): one TokenRequest per
// (pod, service account, audience, lifetime), bound to the pod, kept until 80% of its lifetime has passed
// (or 24 h), then requested again; the volume refresh writes the new token into the pod's files.
import type { Clock, RestClient } from '../../client/index.js';
import type { Obj } from '../refs.js';

const MAX_TOKEN_AGE_MS = 24 * 3600_000;

interface CachedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

/** Whether a token issued at issuedAt and expiring at expiresAt must be requested again at now. */
export function tokenNeedsRefresh(issuedAt: number, expiresAt: number, now: number): boolean {
  if (now >= issuedAt + MAX_TOKEN_AGE_MS) return true;
  return now >= issuedAt + 0.8 * (expiresAt - issuedAt);
}

export class TokenManager {
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    private readonly rest: RestClient,
    private readonly clock: Clock,
  ) {}

  async token(pod: Obj, audience: string, expirationSeconds: number): Promise<string> {
    const m = pod.metadata;
    const sa = pod.spec?.serviceAccountName || 'default';
    const key = `${m.uid}/${sa}/${audience}/${expirationSeconds}`;
    const now = this.clock.now();
    const hit = this.cache.get(key);
    if (hit && !tokenNeedsRefresh(hit.issuedAt, hit.expiresAt, now)) return hit.token;
    const res = await this.rest.request<Obj>({
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(m.namespace)}/serviceaccounts/${encodeURIComponent(sa)}/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: m.name, uid: m.uid },
        },
      },
    });
    const token = String(res.status?.token ?? '');
    const expiry = Date.parse(res.status?.expirationTimestamp ?? '');
    const expiresAt = Number.isFinite(expiry) ? expiry : now + expirationSeconds * 1000;
    this.cache.set(key, { token, issuedAt: now, expiresAt });
    return token;
  }

  /** Drops the tokens of a pod that is gone. */
  forget(uid: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${uid}/`)) this.cache.delete(key);
  }
}
