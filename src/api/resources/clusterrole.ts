import { defaultTable } from '../columns.js';
import { index, required } from '../field.js';
import { list } from '../guards.js';
import { validatePolicyRules } from '../rbac-common.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateLabelSelector } from '../validation.js';

function validate(obj: Obj): FieldError[] {
  const errs = validatePolicyRules(obj.rules, false);
  const agg = obj.aggregationRule;
  if (agg) {
    const sels: any[] = list(agg.clusterRoleSelectors);
    if (sels.length === 0)
      errs.push(
        required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    sels.forEach((s, i) => {
      errs.push(...validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i)));
    });
  }
  return errs;
}

export const clusterRoles: ResourceDef = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'ClusterRole',
  plural: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  schemaName: 'io.k8s.api.rbac.v1.ClusterRole',
  nameValidation: 'path-segment',
  validate,
  table: defaultTable,
};
