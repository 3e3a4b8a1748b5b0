// Service-account JWTs in upstream's two layouts (pkg/serviceaccount/claims.go and legacy.go), signed and
// checked with jose. Checking that the service account and the bound object still exist is the caller's
// job (it needs the store); this module only knows keys, claims and time.
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { SigningKeys } from './keys.js';

/** Issuer and default audience of bound tokens (upstream's --service-account-issuer / --api-audiences). */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The issuer upstream writes into legacy Secret-based tokens. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
/** Upstream validates with go-jose's default leeway of one minute on exp/nbf. */
export const LEEWAY_SECONDS = 60;

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface BoundTokenRequest {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  /** The node of a bound pod, when the pod is scheduled (upstream 1.30+). */
  node?: ObjectRef;
  audiences: string[];
  expirationSeconds: number;
  /** Seconds after issue from which using the token is reported as stale (the `warnafter` claim). */
  warnAfterSeconds?: number;
  /** Issue time, ms since the epoch. */
  now: number;
}

/** What a valid token says about its holder. */
export interface TokenClaims {
  legacy: boolean;
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  audiences: string[];
  /** Bound tokens: the jti; legacy tokens have none. */
  id?: string;
  expiresAt?: number;
}

/** Why a token was refused; the message is what TokenReview reports in status.error. */
export class TokenInvalid extends Error {}

export function subject(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export class TokenSigner {
  constructor(
    readonly keys: SigningKeys,
    readonly issuer = DEFAULT_ISSUER,
  ) {}

  /** A bound token with the `kubernetes.io` private claim; returns it with its issue time and expiry (ms). */
  async issueBound(r: BoundTokenRequest): Promise<{ token: string; issuedAt: number; expiresAt: number }> {
    const iat = Math.floor(r.now / 1000);
    const exp = iat + r.expirationSeconds;
    const k8s: Record<string, unknown> = { namespace: r.namespace };
    if (r.node) k8s.node = { name: r.node.name, uid: r.node.uid };
    if (r.pod) k8s.pod = { name: r.pod.name, uid: r.pod.uid };
    if (r.secret) k8s.secret = { name: r.secret.name, uid: r.secret.uid };
    k8s.serviceaccount = { name: r.serviceAccount.name, uid: r.serviceAccount.uid };
    if (r.warnAfterSeconds !== undefined) k8s.warnafter = iat + r.warnAfterSeconds;
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.kid })
      .setIssuer(this.issuer)
      .setSubject(subject(r.namespace, r.serviceAccount.name))
      .setAudience(r.audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.keys.privateKey);
    return { token, issuedAt: iat * 1000, expiresAt: exp * 1000 };
  }

  /** A non-expiring token for a `kubernetes.io/service-account-token` Secret (upstream's legacy claims). */
  async issueLegacy(namespace: string, sa: ObjectRef, secretName: string): Promise<string> {
    return new SignJWT({
      'kubernetes.io/serviceaccount/namespace': namespace,
      'kubernetes.io/serviceaccount/secret.name': secretName,
      'kubernetes.io/serviceaccount/service-account.name': sa.name,
      'kubernetes.io/serviceaccount/service-account.uid': sa.uid,
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.kid })
      .setIssuer(LEGACY_ISSUER)
      .setSubject(subject(namespace, sa.name))
      .sign(this.keys.privateKey);
  }

  /**
   * Checks signature, issuer, time (with upstream's leeway) and claim shape. `audiences` are the ones the
   * caller accepts; a bound token must name at least one of them, a legacy token is taken as meant for
   * `defaultAudiences` (upstream treats it as audience-agnostic for the API server's own audiences).
   */
  async verify(
    token: string,
    now: number,
    audiences: string[],
    defaultAudiences: string[],
  ): Promise<TokenClaims> {
    try {
      decodeProtectedHeader(token);
    } catch {
      throw new TokenInvalid('invalid bearer token');
    }
    let payload: Record<string, any>;
    try {
      ({ payload } = await jwtVerify(token, this.keys.publicKey, {
        algorithms: ['RS256'],
        issuer: [this.issuer, LEGACY_ISSUER],
        currentDate: new Date(now),
        clockTolerance: LEEWAY_SECONDS,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new TokenInvalid('service account token has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf')
        throw new TokenInvalid('service account token is not valid yet');
      if (err instanceof joseErrors.JWSSignatureVerificationFailed)
        throw new TokenInvalid('invalid bearer token, signature is invalid');
      throw new TokenInvalid(`invalid bearer token, ${(err as Error).message}`);
    }
    if (payload.iss === LEGACY_ISSUER) return legacyClaims(payload, audiences, defaultAudiences);
    return boundClaims(payload, audiences);
  }
}

function ref(v: any): ObjectRef | undefined {
  if (v && typeof v.name === 'string' && typeof v.uid === 'string') return { name: v.name, uid: v.uid };
  return undefined;
}

function intersect(a: string[], b: string[]): string[] {
  return a.filter((x) => b.includes(x));
}

function audienceError(tokenAuds: string[], wanted: string[]): TokenInvalid {
  return new TokenInvalid(
    `token audiences ${JSON.stringify(tokenAuds)} is invalid for the target audiences ${JSON.stringify(wanted)}`,
  );
}

function boundClaims(p: Record<string, any>, audiences: string[]): TokenClaims {
  const k = p['kubernetes.io'];
  const sa = ref(k?.serviceaccount);
  if (!k || typeof k.namespace !== 'string' || !sa)
    throw new TokenInvalid('invalid bearer token, no kubernetes.io claims');
  if (p.sub !== subject(k.namespace, sa.name))
    throw new TokenInvalid('invalid bearer token, sub does not match');
  const tokenAuds: string[] = Array.isArray(p.aud) ? p.aud : p.aud ? [p.aud] : [];
  const matched = intersect(audiences, tokenAuds);
  if (matched.length === 0) throw audienceError(tokenAuds, audiences);
  return {
    legacy: false,
    namespace: k.namespace,
    serviceAccount: sa,
    pod: ref(k.pod),
    secret: ref(k.secret),
    node: ref(k.node),
    audiences: matched,
    id: typeof p.jti === 'string' ? p.jti : undefined,
    expiresAt: typeof p.exp === 'number' ? p.exp * 1000 : undefined,
  };
}

function legacyClaims(p: Record<string, any>, audiences: string[], defaults: string[]): TokenClaims {
  const ns = p['kubernetes.io/serviceaccount/namespace'];
  const name = p['kubernetes.io/serviceaccount/service-account.name'];
  const uid = p['kubernetes.io/serviceaccount/service-account.uid'];
  const secret = p['kubernetes.io/serviceaccount/secret.name'];
  if (
    typeof ns !== 'string' ||
    typeof name !== 'string' ||
    typeof uid !== 'string' ||
    typeof secret !== 'string'
  )
    throw new TokenInvalid('invalid bearer token, missing legacy service account claims');
  const matched = intersect(audiences, defaults);
  if (matched.length === 0) throw audienceError(defaults, audiences);
  return {
    legacy: true,
    namespace: ns,
    serviceAccount: { name, uid },
    secret: { name: secret, uid: '' },
    audiences: matched,
  };
}
