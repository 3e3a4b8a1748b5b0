// Objects that always exist in a cluster: the four system namespaces.
import { isK8tsError } from '../errors.js';
import { type ApiContext, createObject } from './handlers.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function bootstrapNamespaces(ctx: ApiContext): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    await createObject(ctx, { def: ctx.namespaces }, body, { dryRun: false }).catch((err) => {
      if (!isK8tsError(err, 'AlreadyExists')) throw err;
    });
  }
}
