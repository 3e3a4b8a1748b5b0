// The legacy token controller (upstream's serviceaccount-token controller): a Secret of type
// `kubernetes.io/service-account-token` made by hand gets `token`, `ca.crt` and `namespace` data and the
// service account's uid annotation; a token Secret whose service account is gone (or was recreated with
// another uid) is deleted, and deleting a service account deletes its token Secrets.
import { isConflict, isNotFound, SECRETS, SERVICE_ACCOUNTS, WorkQueue } from '../../client/index.js';
import type { ControllerContext, StartedController } from '../context.js';
import { runWhenSynced } from '../run.js';

type Obj = Record<string, any>;

export const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
const BY_ACCOUNT = 'serviceAccount';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function start(ctx: ControllerContext): StartedController {
  const signer = ctx.config.tokenSigner;
  if (!signer) return { stop: async () => {} };
  const rootCA = ctx.config.rootCA ?? '';
  const queue = new WorkQueue<string>({ name: 'serviceaccount-token', clock: ctx.clock });
  const secrets = ctx.informers.informerFor<Obj>(SECRETS, {
    indexers: {
      [BY_ACCOUNT]: (s) =>
        s.type === SA_TOKEN_TYPE && s.metadata?.annotations?.[SA_NAME_ANNOTATION]
          ? [`${s.metadata.namespace}/${s.metadata.annotations[SA_NAME_ANNOTATION]}`]
          : [],
    },
  });
  const accounts = ctx.informers.informerFor<Obj>(SERVICE_ACCOUNTS);
  const enqueueSecret = (s: Obj) => {
    if (s.type === SA_TOKEN_TYPE) queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
  };
  secrets.addEventHandler({ onAdd: enqueueSecret, onUpdate: (_o, cur) => enqueueSecret(cur) });
  const enqueueAccount = (sa: Obj) => {
    for (const s of secrets.store.byIndex(BY_ACCOUNT, `${sa.metadata.namespace}/${sa.metadata.name}`))
      enqueueSecret(s);
  };
  accounts.addEventHandler({
    onAdd: enqueueAccount,
    onUpdate: (_o, cur) => enqueueAccount(cur),
    onDelete: enqueueAccount,
  });

  /** The service account from the cache, or a live GET when the cache has not seen it yet. */
  const accountOf = async (ns: string, name: string): Promise<Obj | undefined> => {
    const cached = accounts.store.get(`${ns}/${name}`);
    if (cached) return cached;
    try {
      return await ctx.rest.resource<Obj>(SERVICE_ACCOUNTS).in(ns).get(name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  return runWhenSynced(ctx, {
    name: 'serviceaccount-token',
    queue,
    workers: 1,
    reconcile: async (key) => {
      const secret = secrets.store.get(key);
      if (!secret || secret.type !== SA_TOKEN_TYPE || secret.metadata.deletionTimestamp) return;
      const ns = secret.metadata.namespace;
      const annotations: Record<string, string> = secret.metadata.annotations ?? {};
      const saName = annotations[SA_NAME_ANNOTATION];
      const sa = saName ? await accountOf(ns, saName) : undefined;
      const wantUid = annotations[SA_UID_ANNOTATION];
      if (!sa || (wantUid && wantUid !== sa.metadata.uid)) {
        await ctx.rest
          .resource<Obj>(SECRETS)
          .in(ns)
          .delete(secret.metadata.name, { preconditions: { uid: secret.metadata.uid } })
          .catch((err) => {
            if (!isNotFound(err) && !isConflict(err)) throw err;
          });
        return;
      }
      const data: Record<string, string> = secret.data ?? {};
      const needsToken = !data.token;
      const stale =
        needsToken ||
        data['ca.crt'] !== b64(rootCA) ||
        data.namespace !== b64(ns) ||
        wantUid !== sa.metadata.uid;
      if (!stale) return;
      const next = structuredClone(secret);
      next.metadata.annotations = { ...annotations, [SA_UID_ANNOTATION]: sa.metadata.uid };
      next.data = { ...data, 'ca.crt': b64(rootCA), namespace: b64(ns) };
      if (needsToken)
        next.data.token = b64(
          await signer.issueLegacy(
            ns,
            { name: sa.metadata.name, uid: sa.metadata.uid },
            secret.metadata.name,
          ),
        );
      await ctx.rest.resource<Obj>(SECRETS).in(ns).update(next);
    },
  });
}
