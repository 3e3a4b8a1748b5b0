import {
  ageColumn,
  ageOf,
  col,
  containerCells,
  containersColumn,
  imagesColumn,
  nameColumn,
  wide,
} from '../columns.js';
import { child, invalid, notSupported, required } from '../field.js';
import { list } from '../guards.js';
import { labelSelectorString } from '../labels.js';
import { defaultPodTemplate } from '../podspec/defaults.js';
import { clone } from '../semantic.js';
import { humanDuration } from '../table.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateImmutableField, validateLabelSelector, validateNonnegativeField } from '../validation.js';
import { validateImmutableSelector, validateTemplateForSelector } from '../workloads.js';

export const JobNameLabel = 'batch.kubernetes.io/job-name';
export const ControllerUidLabel = 'batch.kubernetes.io/controller-uid';
const LegacyJobNameLabel = 'job-name';
const LegacyControllerUidLabel = 'controller-uid';
const maxParallelismForIndexedJob = 100000;

export function defaultJobSpec(spec: Obj): void {
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of list(spec.podFailurePolicy?.rules))
    for (const pattern of list(rule?.onPodConditions))
      if (pattern && !pattern.status) pattern.status = 'True';
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
}

function defaults(obj: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  defaultJobSpec(spec);
  const labels = spec.template?.metadata?.labels;
  obj.metadata ??= {};
  if (labels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...labels };
  defaultPodTemplate(spec.template);
}

/**
 * Upstream's generateSelector: unless spec.manualSelector, the pods carry job-name and controller-uid
 * labels and the selector picks the controller-uid one. Needs metadata.uid, so it runs at validation time
 * exactly as upstream's Validate does.
 */
export function generateJobSelector(obj: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  if (spec.manualSelector === true || !obj.metadata?.uid) return;
  spec.template ??= {};
  spec.template.metadata ??= {};
  spec.template.metadata.labels ??= {};
  const labels = spec.template.metadata.labels;
  for (const k of [LegacyJobNameLabel, JobNameLabel]) labels[k] ??= obj.metadata.name;
  for (const k of [LegacyControllerUidLabel, ControllerUidLabel]) labels[k] ??= obj.metadata.uid;
  spec.selector ??= {};
  spec.selector.matchLabels ??= {};
  spec.selector.matchLabels[ControllerUidLabel] ??= obj.metadata.uid;
}

/** validateJobSpec: the checks a Job and a CronJob's jobTemplate share. */
export function validateJobSpecCommon(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
  ])
    errs.push(...validateNonnegativeField(spec[f], child(path, f)));
  const mode = spec.completionMode;
  if (mode != null) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed')
      errs.push(notSupported(child(path, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (spec.completions == null)
        errs.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
      if (spec.parallelism > maxParallelismForIndexedJob)
        errs.push(
          invalid(
            child(path, 'parallelism'),
            spec.parallelism,
            `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`,
          ),
        );
    }
  }
  if (spec.backoffLimitPerIndex != null) {
    errs.push(...validateNonnegativeField(spec.backoffLimitPerIndex, child(path, 'backoffLimitPerIndex')));
    if (mode !== 'Indexed')
      errs.push(
        required(
          child(path, 'completionMode'),
          'when backoffLimitPerIndex is specified, completionMode must be Indexed',
        ),
      );
  }
  if (
    spec.podReplacementPolicy != null &&
    !['TerminatingOrFailed', 'Failed'].includes(spec.podReplacementPolicy)
  )
    errs.push(
      notSupported(child(path, 'podReplacementPolicy'), spec.podReplacementPolicy, [
        'TerminatingOrFailed',
        'Failed',
      ]),
    );
  const rp = spec.template?.spec?.restartPolicy;
  errs.push(
    ...validateTemplateForSelector(spec, path, {
      restartPolicies: ['OnFailure', 'Never'],
      forbidActiveDeadline: false,
    }),
  );
  if (rp === 'OnFailure' && spec.podFailurePolicy)
    errs.push(
      invalid(
        child(path, 'template', 'spec', 'restartPolicy'),
        rp,
        'only "Never" is supported when podFailurePolicy is specified',
      ),
    );
  return errs;
}

function validateJob(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (!spec.selector) errs.push(required('spec.selector'));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  errs.push(...validateJobSpecCommon(spec, 'spec'));
  return errs;
}

function validateUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validateJob(obj);
  const spec = obj.spec ?? {};
  const oldSpec = old.spec ?? {};
  errs.push(...validateImmutableField(spec.completions, oldSpec.completions, 'spec.completions'));
  errs.push(...validateImmutableSelector(spec, oldSpec));
  // A suspended job that never started may change its scheduling directives.
  let oldTemplate = oldSpec.template;
  if (oldSpec.suspend === true && !old.status?.startTime) {
    oldTemplate = clone(oldSpec.template ?? {});
    const t = spec.template ?? {};
    oldTemplate.spec ??= {};
    oldTemplate.metadata ??= {};
    for (const f of ['nodeSelector', 'tolerations', 'schedulingGates']) oldTemplate.spec[f] = t.spec?.[f];
    if (t.spec?.affinity || oldTemplate.spec.affinity)
      oldTemplate.spec.affinity = {
        ...(oldTemplate.spec.affinity ?? {}),
        nodeAffinity: t.spec?.affinity?.nodeAffinity,
      };
    oldTemplate.metadata.labels = t.metadata?.labels;
    oldTemplate.metadata.annotations = t.metadata?.annotations;
  }
  errs.push(...validateImmutableField(spec.template, oldTemplate, 'spec.template'));
  for (const f of [
    'completionMode',
    'podFailurePolicy',
    'backoffLimitPerIndex',
    'managedBy',
    'successPolicy',
  ])
    errs.push(...validateImmutableField(spec[f], oldSpec[f], `spec.${f}`));
  return errs;
}

function conditionTrue(o: Obj, type: string): boolean {
  const c = list(o.status?.conditions).find((x: any) => x?.type === type);
  return c?.status === 'True';
}

/** The STATUS cell of `kubectl get jobs` (1.31+). */
export function jobStatus(o: Obj): string {
  if (conditionTrue(o, 'Complete')) return 'Complete';
  if (conditionTrue(o, 'Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (conditionTrue(o, 'Suspended')) return 'Suspended';
  if (conditionTrue(o, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function completions(o: Obj): string {
  const succeeded = o.status?.succeeded ?? 0;
  if (o.spec?.completions != null) return `${succeeded}/${o.spec.completions}`;
  const parallelism = o.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function duration(o: Obj, now: number): string {
  const start = o.status?.startTime;
  if (!start) return '';
  const end = o.status?.completionTime ? Date.parse(o.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

export const jobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  categories: ['all'],
  schemaName: 'io.k8s.api.batch.v1.Job',
  subresources: ['status'],
  defaults,
  validate(obj) {
    generateJobSelector(obj);
    return validateJob(obj);
  },
  validateUpdate,
  prepareForCreate(obj) {
    generateJobSelector(obj);
  },
  fieldSelectors: { 'status.successful': (o) => String(o.status?.succeeded ?? 0) },
  table: {
    columns: [
      nameColumn,
      col('Status', 'Status of the job.'),
      col('Completions', 'The number of pods which reached phase Succeeded.'),
      col('Duration', 'Time required to complete the job.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      wide('Selector', 'A label query over pods that should match the pod count.'),
    ],
    cells(o, now = Date.now()) {
      const [names, images] = containerCells(o.spec?.template?.spec?.containers);
      return [
        o.metadata?.name,
        jobStatus(o),
        completions(o),
        duration(o, now),
        ageOf(o, now),
        names,
        images,
        labelSelectorString(o.spec?.selector) || '<none>',
      ];
    },
  },
};
