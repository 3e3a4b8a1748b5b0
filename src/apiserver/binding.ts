// pods/binding: the scheduler's way to assign a pod to a node (sets spec.nodeName once).
import type { Obj } from '../api/types.js';
import { K8tsError } from '../errors.js';
import { type ApiContext, type Target, updateObject, type WriteOptions } from './handlers.js';
import { timestamp } from './metadata.js';
import { conflict } from './objectstore.js';

export async function bindPod(ctx: ApiContext, t: Target, body: unknown, opts: WriteOptions): Promise<Obj> {
  const b = body as Obj;
  const node = b?.target?.name;
  if (b?.target?.kind && b.target.kind !== 'Node') {
    throw new K8tsError(
      'Invalid',
      `Binding "${t.name}" is invalid: target.kind: Unsupported value: "${b.target.kind}": supported values: "Node"`,
    );
  }
  if (typeof node !== 'string' || node === '') {
    throw new K8tsError('Invalid', `Binding "${t.name}" is invalid: target.name: Required value`, {
      name: t.name,
      kind: 'Binding',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
    });
  }
  return updateObject(
    ctx,
    t,
    (pod) => {
      if (pod.metadata.deletionTimestamp)
        throw conflict(t.def, t.name!, 'pod is being deleted, cannot be assigned to a host');
      if (pod.spec.nodeName)
        throw conflict(t.def, t.name!, `pod ${t.name} is already assigned to node "${pod.spec.nodeName}"`);
      pod.spec.nodeName = node;
      const expected = b.metadata?.uid;
      if (expected && expected !== pod.metadata.uid)
        throw conflict(t.def, t.name!, 'the UID in the binding does not match the pod');
      const extra = b.metadata?.annotations ?? {};
      if (Object.keys(extra).length > 0) pod.metadata.annotations = { ...pod.metadata.annotations, ...extra };
      pod.status ??= {};
      pod.status.conditions ??= [];
      const conds: Obj[] = pod.status.conditions;
      const now = timestamp(ctx.now());
      const c = conds.find((x) => x.type === 'PodScheduled');
      if (c)
        Object.assign(c, { status: 'True', lastTransitionTime: now, reason: undefined, message: undefined });
      else conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
      return pod;
    },
    { ...opts, subresource: 'binding' },
  );
}
