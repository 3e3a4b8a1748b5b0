import { defaultTable } from '../columns.js';
import { validatePolicyRules } from '../rbac-common.js';
import type { ResourceDef } from '../types.js';

export const roles: ResourceDef = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'Role',
  plural: 'roles',
  singular: 'role',
  namespaced: true,
  schemaName: 'io.k8s.api.rbac.v1.Role',
  nameValidation: 'path-segment',
  validate: (obj) => validatePolicyRules(obj.rules, true),
  table: defaultTable,
};
