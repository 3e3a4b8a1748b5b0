import { ageColumn, ageOf, col, nameColumn, wide } from '../columns.js';
import {
  defaultBinding,
  subjectsStrings,
  validateBinding,
  validateRoleRefUnchanged,
} from '../rbac-common.js';
import type { ResourceDef, TableDef } from '../types.js';

export function bindingTable(what: string): TableDef {
  return {
    columns: [
      nameColumn,
      col(
        'Role',
        'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
      ),
      ageColumn,
      wide('Users', `Users in the ${what}`),
      wide('Groups', `Groups in the ${what}`),
      wide('ServiceAccounts', `ServiceAccounts in the ${what}`),
    ],
    cells(o, now) {
      return [
        o.metadata?.name,
        `${o.roleRef?.kind ?? ''}/${o.roleRef?.name ?? ''}`,
        ageOf(o, now),
        ...subjectsStrings(o.subjects),
      ];
    },
  };
}

export const roleBindings: ResourceDef = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'RoleBinding',
  plural: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  schemaName: 'io.k8s.api.rbac.v1.RoleBinding',
  nameValidation: 'path-segment',
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: (obj, old) => [...validateBinding(obj, true), ...validateRoleRefUnchanged(obj, old)],
  table: bindingTable('roleBinding'),
};
