// TokenRequest (serviceaccounts/NAME/token) and TokenReview against the in-process API server, with a
// movable clock for expiry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  checkMaxTokenExpiration,
  EXTENDED_TOKEN_SECONDS,
  type TokenLifetimePolicy,
  WARN_ONLY_BOUND_TOKEN_SECONDS,
} from '../../src/apiserver/serviceaccounttoken.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';

const NS = '/api/v1/namespaces/default';
const AUD = 'https://kubernetes.default.svc.cluster.local';

describe('service account tokens', () => {
  let t: TestApi;
  let now = Date.parse('2026-01-01T00:00:00Z');
  before(async () => {
    t = await startTestApi({ now: () => new Date(now) });
    assert.equal((await t.req('POST', `${NS}/serviceaccounts`, { metadata: { name: 'sa1' } })).status, 201);
  });
  after(() => t.close());

  const request = (sa: string, spec: object = {}) =>
    t.req('POST', `${NS}/serviceaccounts/${sa}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec,
    });
  const review = (token: string, audiences?: string[]) =>
    t.req('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, ...(audiences ? { audiences } : {}) },
    });
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

  it('issues a token with upstream claims, default audience and a 1 h expiry', async () => {
    const r = await request('sa1');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.kind, 'TokenRequest');
    assert.deepEqual(r.body.spec, { audiences: [AUD], expirationSeconds: 3600 });
    assert.equal(r.body.status.expirationTimestamp, '2026-01-01T01:00:00Z');
    const sa = (await t.req('GET', `${NS}/serviceaccounts/sa1`)).body;
    const c = claims(r.body.status.token);
    assert.equal(c.iss, AUD);
    assert.deepEqual(c.aud, [AUD]);
    assert.equal(c.sub, 'system:serviceaccount:default:sa1');
    assert.equal(c.exp - c.iat, 3600);
    assert.deepEqual(c['kubernetes.io'], {
      namespace: 'default',
      serviceaccount: { name: 'sa1', uid: sa.metadata.uid },
    });
    const header = JSON.parse(Buffer.from(r.body.status.token.split('.')[0], 'base64url').toString());
    assert.equal(header.alg, 'RS256');
    assert.ok(header.kid);

    const rev = await review(r.body.status.token);
    assert.equal(rev.status, 201);
    assert.equal(rev.body.status.authenticated, true);
    assert.equal(rev.body.status.user.username, 'system:serviceaccount:default:sa1');
    assert.equal(rev.body.status.user.uid, sa.metadata.uid);
    assert.deepEqual(rev.body.status.user.groups, [
      'system:serviceaccounts',
      'system:serviceaccounts:default',
      'system:authenticated',
    ]);
    assert.deepEqual(rev.body.status.audiences, [AUD]);
  });

  it('honours audiences and rejects a review for another audience', async () => {
    const r = await request('sa1', { audiences: ['vault'], expirationSeconds: 600 });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.spec.audiences, ['vault']);
    assert.equal((await review(r.body.status.token, ['vault'])).body.status.authenticated, true);
    const other = await review(r.body.status.token);
    assert.equal(other.body.status.authenticated, undefined);
    assert.match(other.body.status.error, /token audiences \["vault"\] is invalid for the target audiences/);
  });

  it('expires after expirationSeconds plus the one-minute leeway', async () => {
    const r = await request('sa1', { expirationSeconds: 600 });
    const token = r.body.status.token;
    const start = now;
    try {
      now = start + 600_000 + 59_000;
      assert.equal((await review(token)).body.status.authenticated, true);
      now = start + 600_000 + 61_000;
      const rev = await review(token);
      assert.equal(rev.body.status.authenticated, undefined);
      assert.equal(rev.body.status.error, 'service account token has expired');
    } finally {
      now = start;
    }
  });

  it('binds to a pod; the token dies with the pod or when the service account is recreated', async () => {
    assert.equal((await t.req('POST', `${NS}/serviceaccounts`, { metadata: { name: 'sa2' } })).status, 201);
    const pod = await t.req('POST', `${NS}/pods`, {
      metadata: { name: 'p1' },
      spec: { serviceAccountName: 'sa2', containers: [{ name: 'c', image: 'busybox' }] },
    });
    assert.equal(pod.status, 201);
    const r = await request('sa2', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(claims(r.body.status.token)['kubernetes.io'].pod, {
      name: 'p1',
      uid: pod.body.metadata.uid,
    });
    const ok = await review(r.body.status.token);
    assert.deepEqual(ok.body.status.user.extra['authentication.kubernetes.io/pod-name'], ['p1']);
    assert.match(ok.body.status.user.extra['authentication.kubernetes.io/credential-id'][0], /^JTI=/);

    assert.equal((await t.req('DELETE', `${NS}/pods/p1`)).status, 200);
    const gone = await review(r.body.status.token);
    assert.equal(gone.body.status.error, 'service account token has been invalidated');

    const r2 = await request('sa2');
    await t.req('DELETE', `${NS}/serviceaccounts/sa2`);
    await t.req('POST', `${NS}/serviceaccounts`, { metadata: { name: 'sa2' } });
    assert.equal(
      (await review(r2.body.status.token)).body.status.error,
      'service account token has been invalidated',
    );
  });

  it('binds to a secret', async () => {
    const s = await t.req('POST', `${NS}/secrets`, { metadata: { name: 's1' } });
    const r = await request('sa1', { boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 's1' } });
    assert.equal(r.status, 201);
    assert.deepEqual(claims(r.body.status.token)['kubernetes.io'].secret, {
      name: 's1',
      uid: s.body.metadata.uid,
    });
    assert.equal((await review(r.body.status.token)).body.status.authenticated, true);
    await t.req('DELETE', `${NS}/secrets/s1`);
    assert.equal((await review(r.body.status.token)).body.status.authenticated, undefined);
  });

  it('answers bad requests with the right Status codes', async () => {
    const missing = await request('nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'serviceaccounts "nope" not found');

    const short = await request('sa1', { expirationSeconds: 60 });
    assert.equal(short.status, 422);
    assert.equal(
      short.body.message,
      'TokenRequest.authentication.k8s.io "sa1" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
    assert.equal(short.body.details.causes[0].field, 'spec.expirationSeconds');

    const kind = await request('sa1', { boundObjectRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } });
    assert.equal(kind.status, 400);
    const noPod = await request('sa1', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'absent' } });
    assert.equal(noPod.status, 404);
    await t.req('POST', `${NS}/pods`, {
      metadata: { name: 'p2' },
      spec: { containers: [{ name: 'c', image: 'b' }] },
    });
    const otherSa = await request('sa1', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p2' } });
    assert.equal(otherSa.status, 400);
    await t.req('POST', `${NS}/pods`, {
      metadata: { name: 'p3' },
      spec: { serviceAccountName: 'sa1', containers: [{ name: 'c', image: 'b' }] },
    });
    const uid = await request('sa1', {
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p3', uid: 'not-the-uid' },
    });
    assert.equal(uid.status, 409);

    const empty = await review('');
    assert.equal(empty.status, 400);
    assert.equal(empty.body.message, 'token is required for TokenReview in authentication');
    const garbage = await review('not.a.jwt');
    assert.equal(garbage.status, 201);
    assert.equal(garbage.body.status.authenticated, undefined);
    assert.ok(garbage.body.status.error);
    assert.equal((await t.req('GET', '/apis/authentication.k8s.io/v1/tokenreviews')).status, 405);
  });

  it('is listed in discovery', async () => {
    const r = await t.req('GET', '/apis/authentication.k8s.io/v1');
    assert.deepEqual(
      r.body.resources.map((x: any) => [x.name, x.verbs]),
      [['tokenreviews', ['create']]],
    );
  });
});

describe('service account token lifetimes', () => {
  const now = Date.parse('2026-03-01T00:00:00Z');
  const iat = now / 1000;
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

  /** A server with a pod p1 of service account sa1, and a TokenRequest helper bound to that pod. */
  async function serverWith(tokenLifetime?: TokenLifetimePolicy) {
    const t = await startTestApi({ now: () => new Date(now), tokenLifetime });
    assert.equal((await t.req('POST', `${NS}/serviceaccounts`, { metadata: { name: 'sa1' } })).status, 201);
    const pod = await t.req('POST', `${NS}/pods`, {
      metadata: { name: 'p1' },
      spec: { serviceAccountName: 'sa1', containers: [{ name: 'c', image: 'busybox' }] },
    });
    assert.equal(pod.status, 201, JSON.stringify(pod.body));
    const request = (spec: object, bound = true) =>
      t.req('POST', `${NS}/serviceaccounts/sa1/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: bound ? { ...spec, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1' } } : spec,
      });
    return { t, request };
  }

  it("extends the kubelet's pod-bound 3607 s tokens to a year with a warnafter claim", async () => {
    const { t, request } = await serverWith();
    try {
      const r = await request({ expirationSeconds: WARN_ONLY_BOUND_TOKEN_SECONDS });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const c = claims(r.body.status.token);
      assert.equal(c.exp - c.iat, EXTENDED_TOKEN_SECONDS);
      assert.equal(c['kubernetes.io'].warnafter, iat + 3607);
      // The client is told the lifetime it asked for, so it refreshes on time.
      assert.equal(r.body.spec.expirationSeconds, 3607);
      assert.equal(r.body.status.expirationTimestamp, '2026-03-01T01:00:07Z');
      const review = await t.req('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: r.body.status.token },
      });
      assert.equal(review.body.status.authenticated, true);

      // Not extended: another lifetime, a token bound to no pod, or an audience that is not the API server's.
      for (const [spec, bound] of [
        [{ expirationSeconds: 3600 }, true],
        [{ expirationSeconds: 3607 }, false],
        [{ expirationSeconds: 3607, audiences: ['vault'] }, true],
      ] as const) {
        const other = await request(spec, bound);
        assert.equal(other.status, 201);
        const oc = claims(other.body.status.token);
        assert.equal(oc.exp - oc.iat, spec.expirationSeconds, JSON.stringify(spec));
        assert.equal(oc['kubernetes.io'].warnafter, undefined);
      }
    } finally {
      await t.close();
    }
  });

  it('caps lifetimes at the maximum with a warning, and can leave extension off', async () => {
    const { t, request } = await serverWith({ extendExpiration: false, maxExpirationSeconds: 7200 });
    try {
      const long = await request({ expirationSeconds: 86400 });
      assert.equal(long.status, 201);
      assert.equal(long.body.spec.expirationSeconds, 7200);
      assert.equal(long.body.status.expirationTimestamp, '2026-03-01T02:00:00Z');
      const c = claims(long.body.status.token);
      assert.equal(c.exp - c.iat, 7200);
      assert.match(
        long.headers.get('warning') ?? '',
        /requested expiration of 86400 seconds shortened to 7200 seconds/,
      );
      const kubelet = await request({ expirationSeconds: 3607 });
      const kc = claims(kubelet.body.status.token);
      assert.equal(kc.exp - kc.iat, 3607);
      assert.equal(kc['kubernetes.io'].warnafter, undefined);
      assert.equal(kubelet.headers.get('warning'), null);
    } finally {
      await t.close();
    }
  });

  it('refuses a maximum outside 1 h .. 2^32 s', () => {
    assert.throws(() => checkMaxTokenExpiration(600), /between 1 hour and 2\^32 seconds/);
    assert.throws(() => checkMaxTokenExpiration(2 ** 33), /between 1 hour and 2\^32 seconds/);
    assert.doesNotThrow(() => checkMaxTokenExpiration(3600));
  });
});
