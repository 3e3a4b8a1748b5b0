import { ageColumn, ageOf, col, nameColumn, wide } from '../columns.js';
import { forbidden, notSupported } from '../field.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateImmutableField } from '../validation.js';

export const HighestUserDefinablePriority = 1000000000;
const systemClasses: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

function systemClassError(name: string, value: unknown, globalDefault: unknown): string | undefined {
  if (!(name in systemClasses)) return `${name} is not a known system priority class`;
  if (value !== systemClasses[name]) return `value of ${name} PriorityClass must be ${systemClasses[name]}`;
  if ((globalDefault ?? false) !== false) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

function validate(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const name = String(obj.metadata?.name ?? '');
  if (name.startsWith('system-')) {
    const e = systemClassError(name, obj.value, obj.globalDefault);
    if (e)
      errs.push(
        forbidden(
          'metadata.name',
          `priority class names with 'system-' prefix are reserved for system use only. error: ${e}`,
        ),
      );
  } else if (typeof obj.value === 'number' && obj.value > HighestUserDefinablePriority) {
    errs.push(
      forbidden(
        'value',
        `maximum allowed value of a user defined priority is ${HighestUserDefinablePriority}`,
      ),
    );
  }
  if (obj.preemptionPolicy != null && !['Never', 'PreemptLowerPriority'].includes(obj.preemptionPolicy))
    errs.push(notSupported('preemptionPolicy', obj.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  return errs;
}

export const priorityClasses: ResourceDef = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  singular: 'priorityclass',
  namespaced: false,
  shortNames: ['pc'],
  schemaName: 'io.k8s.api.scheduling.v1.PriorityClass',
  defaults(obj) {
    obj.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  validate,
  validateUpdate(obj, old) {
    const errs = validate(obj);
    if (obj.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
    errs.push(...validateImmutableField(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
    return errs;
  },
  table: {
    columns: [
      nameColumn,
      col('Value', 'value represents the integer value of this priority class.', 'integer'),
      col(
        'Global-Default',
        'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
        'boolean',
      ),
      ageColumn,
      wide('PreemptionPolicy', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
    ],
    cells: (o, now) => [
      o.metadata?.name,
      o.value ?? 0,
      o.globalDefault ?? false,
      ageOf(o, now),
      o.preemptionPolicy ?? '',
    ],
  },
};
