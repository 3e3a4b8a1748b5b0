import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { invalid, notSupported } from '../field.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateLabelSelector } from '../validation.js';
import { validateNotMoreThan100Percent, validatePositiveIntOrPercent } from '../workloads.js';

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (spec.minAvailable != null && spec.maxUnavailable != null)
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable'])
    if (spec[f] != null)
      errs.push(
        ...validatePositiveIntOrPercent(spec[f], `spec.${f}`),
        ...validateNotMoreThan100Percent(spec[f], `spec.${f}`),
      );
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy != null && !['AlwaysAllow', 'IfHealthyBudget'].includes(policy))
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
  return errs;
}

export const podDisruptionBudgets: ResourceDef = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  schemaName: 'io.k8s.api.policy.v1.PodDisruptionBudget',
  subresources: ['status'],
  validate,
  table: {
    columns: [
      nameColumn,
      col('Min Available', 'The minimum number of pods that must be available.'),
      col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
      col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 'integer'),
      ageColumn,
    ],
    cells: (o, now) => [
      o.metadata?.name,
      o.spec?.minAvailable != null ? String(o.spec.minAvailable) : 'N/A',
      o.spec?.maxUnavailable != null ? String(o.spec.maxUnavailable) : 'N/A',
      o.status?.disruptionsAllowed ?? 0,
      ageOf(o, now),
    ],
  },
};
