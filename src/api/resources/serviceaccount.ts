import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { child, index, required } from '../field.js';
import { list } from '../guards.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';

function validate(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  list(obj.imagePullSecrets).forEach((r: any, i: number) => {
    if (!r?.name) errs.push(required(child(index('imagePullSecrets', i), 'name')));
  });
  return errs;
}

export const serviceAccounts: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  schemaName: 'io.k8s.api.core.v1.ServiceAccount',
  subresources: ['token'],
  validate,
  table: {
    columns: [
      nameColumn,
      col(
        'Secrets',
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ),
      ageColumn,
    ],
    cells: (o, now) => [o.metadata?.name, list(o.secrets).length, ageOf(o, now)],
  },
};
