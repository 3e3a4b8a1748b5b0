import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { forbidden, invalid } from '../field.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (spec.leaseDurationSeconds != null && spec.leaseDurationSeconds <= 0)
    errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  if (spec.leaseTransitions != null && spec.leaseTransitions < 0)
    errs.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  if (spec.preferredHolder && !spec.strategy)
    errs.push(forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  return errs;
}

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  schemaName: 'io.k8s.api.coordination.v1.Lease',
  validate,
  table: {
    columns: [
      nameColumn,
      col('Holder', 'holderIdentity contains the identity of the holder of a current lease.'),
      ageColumn,
    ],
    cells: (o, now) => [o.metadata?.name, o.spec?.holderIdentity ?? '', ageOf(o, now)],
  },
};
