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
import { cronScheduleError, isKnownTimeZone } from '../cron.js';
import { child, invalid, notSupported, required } from '../field.js';
import { list } from '../guards.js';
import { labelSelectorString } from '../labels.js';
import { defaultPodTemplate } from '../podspec/defaults.js';
import { age } from '../table.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateEnum, validateNonnegativeField } from '../validation.js';
import { validateJobSpecCommon } from './job.js';

function defaults(obj: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  defaultPodTemplate(spec.jobTemplate?.spec?.template);
}

function validateTimeZone(tz: unknown, path: string): FieldError[] {
  if (tz === undefined || tz === null) return [];
  const s = String(tz);
  if (s.length === 0) return [invalid(path, s, 'timeZone must be nil or non-empty string')];
  for (const part of s.split('/'))
    if (part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z._+\-0-9]+$/.test(part))
      return [invalid(path, s, `unknown time zone ${s}`)];
  const errs: FieldError[] = [];
  if (s.toLowerCase() === 'local')
    errs.push(
      invalid(
        path,
        s,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    );
  else if (!isKnownTimeZone(s)) errs.push(invalid(path, s, `unknown time zone ${s}`));
  return errs;
}

function validateSpec(obj: Obj, old?: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const oldSpec = old?.spec;
  const errs: FieldError[] = [];
  const name = String(obj.metadata?.name ?? '');
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  if (!spec.schedule) errs.push(required('spec.schedule'));
  else {
    const schedule = String(spec.schedule);
    const e = cronScheduleError(schedule);
    if (e) errs.push(invalid('spec.schedule', schedule, e));
    const allowTZ = oldSpec ? String(oldSpec.schedule ?? '').includes('TZ') : false;
    if (allowTZ && schedule.includes('TZ') && spec.timeZone != null)
      errs.push(
        invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'),
      );
    else if (!allowTZ && schedule.includes('TZ'))
      errs.push(
        invalid(
          'spec.schedule',
          schedule,
          'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
        ),
      );
  }
  errs.push(...validateNonnegativeField(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone)
    errs.push(...validateTimeZone(spec.timeZone, 'spec.timeZone'));
  errs.push(
    ...validateEnum(spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace'], 'spec.concurrencyPolicy'),
  );
  const jt = spec.jobTemplate ?? {};
  const jp = 'spec.jobTemplate.spec';
  errs.push(...validateJobSpecCommon(jt.spec ?? {}, jp));
  if (jt.spec?.selector)
    errs.push(invalid(child(jp, 'selector'), jt.spec.selector, '`selector` will be auto-generated'));
  if (jt.spec?.manualSelector === true)
    errs.push(notSupported(child(jp, 'manualSelector'), true, ['nil', 'false']));
  errs.push(...validateNonnegativeField(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonnegativeField(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}

export const cronJobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  schemaName: 'io.k8s.api.batch.v1.CronJob',
  subresources: ['status'],
  defaults,
  validate: (obj) => validateSpec(obj),
  validateUpdate: (obj, old) => validateSpec(obj, old),
  table: {
    columns: [
      nameColumn,
      col('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      col(
        'Timezone',
        'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
      ),
      col(
        'Suspend',
        'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
        'boolean',
      ),
      col('Active', 'A list of pointers to currently running jobs.', 'integer'),
      col('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      wide('Selector', 'A label query over pods that should match the pod count.'),
    ],
    cells(o, now) {
      const [names, images] = containerCells(o.spec?.jobTemplate?.spec?.template?.spec?.containers);
      const last = o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>';
      return [
        o.metadata?.name,
        o.spec?.schedule ?? '',
        o.spec?.timeZone ?? '<none>',
        o.spec?.suspend === undefined || o.spec?.suspend === null
          ? '<unset>'
          : o.spec.suspend
            ? 'True'
            : 'False',
        list(o.status?.active).length,
        last,
        ageOf(o, now),
        names,
        images,
        labelSelectorString(o.spec?.jobTemplate?.spec?.selector) || '<none>',
      ];
    },
  },
};
