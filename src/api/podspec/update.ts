// Pod update rules (upstream's ValidatePodUpdate): a pod's spec is immutable except container images,
// activeDeadlineSeconds (may only shrink), tolerations (only additions), removal of scheduling gates and
// terminationGracePeriodSeconds going from negative to 1.
import { child, forbidden, index, invalid, required } from '../field.js';
import { list } from '../guards.js';
import { clone, diffPaths, semanticEqual } from '../semantic.js';
import type { FieldError, Obj } from '../types.js';
import { inclusiveRangeError } from '../validation.js';
import { validateTolerations } from './validation.js';

const updatableFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function validateContainerUpdates(
  newCs: any[],
  oldCs: any[],
  path: string,
): { errs: FieldError[]; stop: boolean } {
  if (newCs.length !== oldCs.length)
    return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  newCs.forEach((c, i) => {
    const image = String(c?.image ?? '');
    if (!image) errs.push(required(child(index(path, i), 'image')));
    if (image.trim() !== image)
      errs.push(
        invalid(child(index(path, i), 'image'), image, 'must not have leading or trailing whitespace'),
      );
  });
  return { errs, stop: false };
}

function validateOnlyAddedTolerations(newTs: any[], oldTs: any[], path: string): FieldError[] {
  for (const old of oldTs) {
    const found = newTs.some((t) => semanticEqual({ ...old, tolerationSeconds: t?.tolerationSeconds }, t));
    if (!found)
      return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(newTs, path);
}

function validateOnlyDeletedSchedulingGates(newGates: any[], oldGates: any[], path: string): FieldError[] {
  const oldNames = new Set(oldGates.map((g) => g?.name));
  const errs: FieldError[] = [];
  newGates.forEach((g, i) => {
    if (!oldNames.has(g?.name))
      errs.push(
        forbidden(
          child(index(path, i), 'name'),
          `only deletion is allowed, but found new scheduling gate '${g?.name}'`,
        ),
      );
  });
  return errs;
}

/** A readable stand-in for upstream's cmp.Diff of the two specs. */
function specDiff(oldSpec: Obj, newSpec: Obj): string {
  const lines = ['  core.PodSpec{'];
  for (const p of diffPaths(oldSpec, newSpec)) {
    const get = (o: any) =>
      p === '.'
        ? o
        : p
            .replace(/\[(\d+)\]/g, '.$1')
            .split('.')
            .reduce((acc: any, k) => acc?.[k], o);
    lines.push(`- \t${p}: ${JSON.stringify(get(oldSpec)) ?? 'null'},`);
    lines.push(`+ \t${p}: ${JSON.stringify(get(newSpec)) ?? 'null'},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

export function validatePodSpecUpdate(pod: Obj, oldPod: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const spec = pod.spec ?? {};
  const oldSpec = oldPod.spec ?? {};
  for (const key of ['containers', 'initContainers'] as const) {
    const r = validateContainerUpdates(list(spec[key]), list(oldSpec[key]), `spec.${key}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = spec.activeDeadlineSeconds;
  if (ads != null) {
    if (ads < 0 || ads > 2147483647) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, 2147483647)));
      return errs;
    }
    if (oldSpec.activeDeadlineSeconds != null && oldSpec.activeDeadlineSeconds < ads) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (oldSpec.activeDeadlineSeconds != null) {
    errs.push(
      invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'),
    );
  }

  const munged = clone(spec);
  list(munged.containers).forEach((c: any, i: number) => {
    c.image = oldSpec.containers?.[i]?.image;
  });
  list(munged.initContainers).forEach((c: any, i: number) => {
    c.image = oldSpec.initContainers?.[i]?.image;
  });
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  munged.ephemeralContainers = oldSpec.ephemeralContainers;
  if (oldSpec.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1)
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  if (list(oldSpec.schedulingGates).length > 0) {
    // Gated pods may still gain node selector entries and node affinity before they are scheduled.
    munged.nodeSelector = oldSpec.nodeSelector;
    munged.affinity = oldSpec.affinity;
  }
  errs.push(
    ...validateOnlyAddedTolerations(list(spec.tolerations), list(oldSpec.tolerations), 'spec.tolerations'),
  );
  errs.push(
    ...validateOnlyDeletedSchedulingGates(
      list(spec.schedulingGates),
      list(oldSpec.schedulingGates),
      'spec.schedulingGates',
    ),
  );
  if (!semanticEqual(munged, oldSpec))
    errs.push(
      forbidden(
        'spec',
        `pod updates may not change fields other than ${updatableFields.join(',')}\n${specDiff(oldSpec, munged)}`,
      ),
    );
  return errs;
}
