// Validation shared by the controllers' kinds (apps/v1 and batch/v1): selector vs. template labels,
// IntOrString percentages and the immutable selector.
import { child, forbidden, goLabelSelector, invalid, notSupported, Rendered, required } from './field.js';
import { isEmptyLabelSelector, matchesLabelSelector } from './labels.js';
import { validatePodTemplateSpec } from './podspec/validation.js';
import { semanticEqual } from './semantic.js';
import type { FieldError, Obj } from './types.js';
import {
  FieldImmutableErrorMsg,
  isValidPercent,
  validateLabelSelector,
  validateNonnegativeField,
} from './validation.js';

/** Renders an IntOrString the way it reads in YAML (25% or 1). */
export function intOrPercentValue(v: unknown): { value: number; percent: boolean } | undefined {
  if (typeof v === 'number') return { value: v, percent: false };
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    if (m) return { value: Number(m[1]), percent: true };
    const n = Number(v);
    return Number.isInteger(n) && v.trim() !== '' ? { value: n, percent: false } : undefined;
  }
  return undefined;
}

/** ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, v, m));
  if (typeof v === 'number') return validateNonnegativeField(v, path);
  return [invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}

/** IsNotMoreThan100Percent. */
export function validateNotMoreThan100Percent(v: unknown, path: string): FieldError[] {
  const p = intOrPercentValue(v);
  return p?.percent && p.value > 100 ? [invalid(path, v, 'must not be greater than 100%')] : [];
}

/** Value of an IntOrString for the "both zero" checks (percent strings count by their number). */
export function intOrPercentNumber(v: unknown): number {
  return intOrPercentValue(v)?.value ?? 0;
}

/**
 * Selector presence and shape (`empty selector is invalid for <what>`), then the template checks of
 * ValidatePodTemplateSpecForReplicaSet: labels match the selector, restartPolicy Always (unless
 * `restartPolicies` says otherwise), no activeDeadlineSeconds.
 */
export function validateSelectorAndTemplate(
  spec: Obj,
  path: string,
  what: string,
  opts: { restartPolicies?: string[]; forbidActiveDeadline?: boolean; activeDeadlineKind?: string } = {},
): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec?.selector;
  const selPath = child(path, 'selector');
  if (!sel) {
    errs.push(required(selPath));
    return errs;
  }
  errs.push(...validateLabelSelector(sel, selPath));
  if (isEmptyLabelSelector(sel))
    errs.push(invalid(selPath, new Rendered(goLabelSelector(sel)), `empty selector is invalid for ${what}`));
  errs.push(...validateTemplateForSelector(spec, path, opts));
  return errs;
}

export function validateTemplateForSelector(
  spec: Obj,
  path: string,
  opts: { restartPolicies?: string[]; forbidActiveDeadline?: boolean; activeDeadlineKind?: string } = {},
): FieldError[] {
  const errs: FieldError[] = [];
  const tPath = child(path, 'template');
  const template = spec?.template;
  if (!template) return [required(tPath)];
  const labels = template.metadata?.labels ?? {};
  if (spec.selector && !isEmptyLabelSelector(spec.selector) && !matchesLabelSelector(spec.selector, labels))
    errs.push(
      invalid(child(tPath, 'metadata', 'labels'), labels, '`selector` does not match template `labels`'),
    );
  errs.push(...validatePodTemplateSpec(template, tPath));
  const policies = opts.restartPolicies ?? ['Always'];
  const rp = template.spec?.restartPolicy;
  if (!policies.includes(rp))
    errs.push(notSupported(child(tPath, 'spec', 'restartPolicy'), rp ?? '', policies));
  if ((opts.forbidActiveDeadline ?? true) && template.spec?.activeDeadlineSeconds != null)
    errs.push(
      forbidden(
        child(tPath, 'spec', 'activeDeadlineSeconds'),
        `activeDeadlineSeconds in ${opts.activeDeadlineKind ?? 'ReplicaSet'} is not Supported`,
      ),
    );
  return errs;
}

/** spec.selector may not change after creation (apps/v1 and batch/v1). */
export function validateImmutableSelector(spec: Obj, oldSpec: Obj, path = 'spec.selector'): FieldError[] {
  if (semanticEqual(spec?.selector, oldSpec?.selector)) return [];
  const shown = spec?.selector ? new Rendered(goLabelSelector(spec.selector)) : null;
  return [invalid(path, shown, FieldImmutableErrorMsg)];
}
