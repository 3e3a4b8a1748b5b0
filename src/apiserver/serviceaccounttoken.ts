// serviceaccounts/NAME/token (TokenRequest) and tokenreviews (TokenReview), as upstream's
// pkg/registry/core/serviceaccount/storage/token.go and the service-account token authenticator do.
import type { Registry } from '../api/registry.js';
import type { Obj, ResourceDef } from '../api/types.js';
import { isK8tsError, K8tsError } from '../errors.js';
import {
  type ObjectRef,
  subject,
  type TokenClaims,
  TokenInvalid,
  type TokenSigner,
} from '../serviceaccount/tokens.js';
import type { ApiContext } from './handlers.js';
import { timestamp } from './metadata.js';

const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_EXPIRATION_SECONDS = 3600;
/** A pod being deleted keeps its tokens valid this long past its deletionTimestamp (upstream: 60 s). */
const DELETED_POD_GRACE_MS = 60_000;
/**
 * The lifetime the kubelet asks for its projected tokens (upstream: 1 h 7 s). A pod-bound token asked for
 * with exactly this lifetime is really issued for EXTENDED_TOKEN_SECONDS, with a `warnafter` claim at the
 * requested expiry: upstream's safe rollout of bound tokens, so clients that never reread the file keep working.
 */
export const WARN_ONLY_BOUND_TOKEN_SECONDS = 3607;
export const EXTENDED_TOKEN_SECONDS = 365 * 24 * 3600;

/** Upstream's --service-account-extend-token-expiration and --service-account-max-token-expiration. */
export interface TokenLifetimePolicy {
  /** Extend pod-bound tokens of the kubelet's lifetime (default true). */
  extendExpiration?: boolean;
  /** Requests for longer tokens are shortened to this many seconds (default: no cap). */
  maxExpirationSeconds?: number;
}

/** Checks a --service-account-max-token-expiration value as upstream does: between 1 h and 2^32 s. */
export function checkMaxTokenExpiration(seconds: number): void {
  if (!(seconds >= 3600 && seconds <= MAX_EXPIRATION_SECONDS))
    throw new Error('the service-account-max-token-expiration must be between 1 hour and 2^32 seconds');
}

export class ServiceAccountTokens {
  private readonly defs: Record<'serviceAccounts' | 'pods' | 'secrets' | 'nodes', ResourceDef>;

  constructor(
    private readonly ctx: ApiContext,
    registry: Registry,
    /** Called on first use, so servers that never issue a token never generate a key. */
    private readonly signerOf: () => TokenSigner,
    /** The API server's own audiences (upstream's --api-audiences, defaulting to the issuer). */
    readonly apiAudiences: string[],
    private readonly lifetime: TokenLifetimePolicy = {},
  ) {
    const need = (plural: string) => {
      const d = registry.lookup('', 'v1', plural);
      if (!d) throw new Error(`the registry has no ${plural}`);
      return d;
    };
    this.defs = {
      serviceAccounts: need('serviceaccounts'),
      pods: need('pods'),
      secrets: need('secrets'),
      nodes: need('nodes'),
    };
  }

  /**
   * POST serviceaccounts/NAME/token: a signed, bound token for an existing service account. A request over
   * the maximum lifetime is shortened, with a message pushed to `warnings`.
   */
  async request(namespace: string, name: string, body: unknown, warnings: string[] = []): Promise<Obj> {
    const req = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Obj;
    if (req.kind && req.kind !== 'TokenRequest')
      throw new K8tsError('BadRequest', `expected a TokenRequest, not a ${req.kind}`);
    const spec: Obj = req.spec ?? {};
    let expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    validateTokenRequest(name, spec, expirationSeconds);
    const max = this.lifetime.maxExpirationSeconds;
    if (max && expirationSeconds > max) {
      warnings.push(`requested expiration of ${expirationSeconds} seconds shortened to ${max} seconds`);
      expirationSeconds = max;
    }
    const sa = await this.ctx.store.get(this.defs.serviceAccounts, namespace, name);
    const saRef = refOf(sa);
    const bound = await this.boundObject(namespace, name, spec.boundObjectRef);
    const audiences: string[] =
      Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences : this.apiAudiences;
    const now = this.ctx.now();
    const extend =
      (this.lifetime.extendExpiration ?? true) &&
      bound.pod !== undefined &&
      expirationSeconds === WARN_ONLY_BOUND_TOKEN_SECONDS &&
      audiences.every((a) => this.apiAudiences.includes(a));
    const { token, issuedAt } = await this.signerOf().issueBound({
      namespace,
      serviceAccount: saRef,
      ...bound,
      audiences,
      expirationSeconds: extend ? EXTENDED_TOKEN_SECONDS : expirationSeconds,
      warnAfterSeconds: extend ? expirationSeconds : undefined,
      now: now.getTime(),
    });
    const outSpec: Obj = { audiences, expirationSeconds };
    if (spec.boundObjectRef) outSpec.boundObjectRef = spec.boundObjectRef;
    // The status reports the lifetime asked for (so the kubelet refreshes on time), even when extended.
    const expiresAt = new Date(issuedAt + expirationSeconds * 1000);
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: timestamp(now) },
      spec: outSpec,
      status: { token, expirationTimestamp: timestamp(expiresAt) },
    };
  }

  private async boundObject(
    namespace: string,
    saName: string,
    r: Obj | undefined,
  ): Promise<Partial<Record<'pod' | 'secret' | 'node', ObjectRef>>> {
    if (!r) return {};
    const gv = String(r.apiVersion ?? '');
    const kind = String(r.kind ?? '');
    let out: Partial<Record<'pod' | 'secret' | 'node', ObjectRef>>;
    let obj: Obj;
    if (gv === 'v1' && kind === 'Pod') {
      obj = await this.ctx.store.get(this.defs.pods, namespace, String(r.name ?? ''));
      if ((obj.spec?.serviceAccountName ?? 'default') !== saName)
        throw new K8tsError(
          'BadRequest',
          `cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`,
        );
      out = { pod: refOf(obj) };
      const nodeName = obj.spec?.nodeName;
      if (nodeName) {
        const node = await this.ctx.store.get(this.defs.nodes, undefined, nodeName).catch(() => undefined);
        if (node) out.node = refOf(node);
      }
    } else if (gv === 'v1' && kind === 'Secret') {
      obj = await this.ctx.store.get(this.defs.secrets, namespace, String(r.name ?? ''));
      out = { secret: refOf(obj) };
    } else if (gv === 'v1' && kind === 'Node') {
      obj = await this.ctx.store.get(this.defs.nodes, undefined, String(r.name ?? ''));
      out = { node: refOf(obj) };
    } else {
      throw new K8tsError(
        'BadRequest',
        `cannot bind token for serviceaccount "${saName}" to object of type "${gv || '/'}, Kind=${kind}"`,
      );
    }
    if (r.uid && r.uid !== obj.metadata.uid) {
      throw new K8tsError(
        'Conflict',
        `Operation cannot be fulfilled on ${kind} "${r.name}": the UID in the bound object reference (${r.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        { name: r.name, kind },
      );
    }
    return out;
  }

  /** POST tokenreviews: is this a valid service-account token, and whose? */
  async review(body: unknown): Promise<Obj> {
    const req = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Obj;
    if (req.kind && req.kind !== 'TokenReview')
      throw new K8tsError('BadRequest', `expected a TokenReview, not a ${req.kind}`);
    if (req.metadata?.namespace) throw new K8tsError('BadRequest', 'namespace is not allowed on this type');
    const spec: Obj = req.spec ?? {};
    if (typeof spec.token !== 'string' || spec.token === '')
      throw new K8tsError('BadRequest', 'token is required for TokenReview in authentication');
    const wanted: string[] =
      Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences : this.apiAudiences;
    const out: Obj = {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null, ...(req.metadata?.name ? { name: req.metadata.name } : {}) },
      spec,
    };
    try {
      const now = this.ctx.now().getTime();
      const claims = await this.signerOf().verify(spec.token, now, wanted, this.apiAudiences);
      await this.checkStillValid(claims, spec.token, now);
      out.status = { authenticated: true, user: userInfo(claims), audiences: claims.audiences };
    } catch (err) {
      if (!(err instanceof TokenInvalid)) throw err;
      out.status = { user: {}, error: err.message };
    }
    return out;
  }

  /** The service account and the bound objects must still exist with the uids the token names. */
  private async checkStillValid(c: TokenClaims, token: string, now: number): Promise<void> {
    const invalidated = () => new TokenInvalid('service account token has been invalidated');
    const get = async (def: ResourceDef, ns: string | undefined, name: string): Promise<Obj> => {
      try {
        return await this.ctx.store.get(def, ns, name);
      } catch (err) {
        if (isK8tsError(err, 'NotFound')) throw invalidated();
        throw err;
      }
    };
    const sa = await get(this.defs.serviceAccounts, c.namespace, c.serviceAccount.name);
    if (sa.metadata.uid !== c.serviceAccount.uid) throw invalidated();
    if (c.legacy) {
      // A legacy token lives as long as its Secret holds it for the same service account.
      const secret = await get(this.defs.secrets, c.namespace, c.secret!.name);
      const held = Buffer.from(String(secret.data?.token ?? ''), 'base64').toString('utf8');
      const owner = secret.metadata.annotations?.['kubernetes.io/service-account.name'];
      if (held !== token || owner !== c.serviceAccount.name) throw invalidated();
      return;
    }
    if (c.pod) {
      const pod = await get(this.defs.pods, c.namespace, c.pod.name);
      if (pod.metadata.uid !== c.pod.uid) throw invalidated();
      const del = pod.metadata.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : undefined;
      if (del !== undefined && del < now - DELETED_POD_GRACE_MS) throw invalidated();
    }
    if (c.secret) {
      const secret = await get(this.defs.secrets, c.namespace, c.secret.name);
      if (secret.metadata.uid !== c.secret.uid) throw invalidated();
    }
    // Upstream checks the node only for tokens bound to the node itself, not via a pod.
    if (c.node && !c.pod) {
      const node = await get(this.defs.nodes, undefined, c.node.name);
      if (node.metadata.uid !== c.node.uid) throw invalidated();
    }
  }
}

function refOf(o: Obj): ObjectRef {
  return { name: o.metadata.name, uid: o.metadata.uid };
}

function validateTokenRequest(name: string, spec: Obj, seconds: unknown): void {
  const fail = (field: string, value: unknown, detail: string, reason = 'FieldValueInvalid') => {
    const message =
      reason === 'FieldValueInvalid' ? `Invalid value: ${JSON.stringify(value)}: ${detail}` : detail;
    return new K8tsError(
      'Invalid',
      `TokenRequest.authentication.k8s.io "${name}" is invalid: ${field}: ${message}`,
      {
        name,
        group: 'authentication.k8s.io',
        kind: 'TokenRequest',
        causes: [{ reason, message, field }],
      },
    );
  };
  if (typeof seconds !== 'number' || !Number.isInteger(seconds))
    throw fail('spec.expirationSeconds', seconds, 'must be an integer');
  if (seconds < MIN_EXPIRATION_SECONDS)
    throw fail('spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes');
  if (seconds > MAX_EXPIRATION_SECONDS)
    throw fail('spec.expirationSeconds', seconds, 'may not specify a duration larger than 2^32 seconds');
  if (
    spec.audiences != null &&
    (!Array.isArray(spec.audiences) || spec.audiences.some((a: unknown) => typeof a !== 'string'))
  )
    throw fail('spec.audiences', spec.audiences, 'must be a list of strings');
  const r = spec.boundObjectRef;
  if (r != null && (typeof r !== 'object' || !r.name))
    throw fail('spec.boundObjectRef.name', '', 'Required value', 'FieldValueRequired');
}

function userInfo(c: TokenClaims): Obj {
  const extra: Record<string, string[]> = {};
  if (c.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [c.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [c.pod.uid];
  }
  if (c.node) {
    extra['authentication.kubernetes.io/node-name'] = [c.node.name];
    extra['authentication.kubernetes.io/node-uid'] = [c.node.uid];
  }
  if (c.id) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.id}`];
  const user: Obj = {
    username: subject(c.namespace, c.serviceAccount.name),
    uid: c.serviceAccount.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${c.namespace}`, 'system:authenticated'],
  };
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}
