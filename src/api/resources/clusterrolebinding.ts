import { defaultBinding, validateBinding, validateRoleRefUnchanged } from '../rbac-common.js';
import type { ResourceDef } from '../types.js';
import { bindingTable } from './rolebinding.js';

export const clusterRoleBindings: ResourceDef = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  schemaName: 'io.k8s.api.rbac.v1.ClusterRoleBinding',
  nameValidation: 'path-segment',
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: (obj, old) => [...validateBinding(obj, false), ...validateRoleRefUnchanged(obj, old)],
  table: bindingTable('clusterRoleBinding'),
};
