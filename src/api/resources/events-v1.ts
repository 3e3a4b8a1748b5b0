// events.k8s.io/v1 Event: the same objects as core/v1 Event, with renamed fields. Stored as core/v1.
import { invalid, required } from '../field.js';
import { semanticEqual } from '../semantic.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateImmutableField } from '../validation.js';
import { eventCells, eventColumns, validateLegacyEvent } from './event.js';

/** events.k8s.io/v1 field -> core/v1 field, for the fields whose names differ. */
const renamed: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(obj: Obj, pairs: [string, string][], apiVersion: string): Obj {
  const out: Obj = { ...obj, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    delete out[from];
    if (obj[from] !== undefined) out[to] = obj[from];
  }
  return out;
}

export function eventV1ToCore(obj: Obj): Obj {
  return rename(obj, renamed, 'v1');
}

export function coreEventToV1(obj: Obj): Obj {
  return rename(
    obj,
    renamed.map(([a, b]) => [b, a]),
    'events.k8s.io/v1',
  );
}

/** Strict create validation for events written through events.k8s.io (upstream's ValidateEventCreate). */
function validateCreate(obj: Obj): FieldError[] {
  const e = eventV1ToCore(obj);
  const errs = validateLegacyEvent(e);
  errs.push(...validateSeries(e));
  if (!e.eventTime) errs.push(required('eventTime'));
  if (e.type !== 'Normal' && e.type !== 'Warning')
    errs.push(invalid('type', '', `has invalid value: ${e.type ?? ''}`));
  if (e.firstTimestamp) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (e.count) errs.push(invalid('count', '', 'needs to be unset'));
  if (e.source?.component || e.source?.host) errs.push(invalid('source', '', 'needs to be unset'));
  return errs;
}

function validateSeries(e: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (!e.series) return errs;
  if (!((e.series.count ?? 0) >= 2)) errs.push(invalid('series.count', '', 'should be at least 2'));
  if (!e.series.lastObservedTime) errs.push(required('series.lastObservedTime'));
  return errs;
}

function validateUpdate(obj: Obj, old: Obj): FieldError[] {
  const e = eventV1ToCore(obj);
  const o = eventV1ToCore(old);
  const errs = validateLegacyEvent(e);
  if (!semanticEqual(e.series, o.series)) errs.push(...validateSeries(e));
  const immutable: [string, string][] = [
    ['involvedObject', 'involvedObject'],
    ['reason', 'reason'],
    ['message', 'message'],
    ['source', 'source'],
    ['firstTimestamp', 'firstTimestamp'],
    ['lastTimestamp', 'lastTimestamp'],
    ['count', 'count'],
    ['type', 'type'],
    ['eventTime', 'eventTime'],
    ['action', 'action'],
    ['related', 'related'],
    ['reportingComponent', 'reportingController'],
    ['reportingInstance', 'reportingInstance'],
  ];
  for (const [f, path] of immutable) errs.push(...validateImmutableField(e[f], o[f], path));
  return errs;
}

export const eventsV1: ResourceDef = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  schemaName: 'io.k8s.api.events.v1.Event',
  validate: validateCreate,
  validateUpdate,
  sharedStorage: {
    group: '',
    version: 'v1',
    plural: 'events',
    toStorage: eventV1ToCore,
    fromStorage: coreEventToV1,
    fieldLabels: {
      'regarding.kind': 'involvedObject.kind',
      'regarding.namespace': 'involvedObject.namespace',
      'regarding.name': 'involvedObject.name',
      'regarding.uid': 'involvedObject.uid',
      'regarding.apiVersion': 'involvedObject.apiVersion',
      'regarding.resourceVersion': 'involvedObject.resourceVersion',
      'regarding.fieldPath': 'involvedObject.fieldPath',
      reportingController: 'reportingComponent',
      reason: 'reason',
      type: 'type',
    },
  },
  fieldSelectors: {
    'regarding.kind': (o) => o.regarding?.kind ?? '',
    'regarding.namespace': (o) => o.regarding?.namespace ?? '',
    'regarding.name': (o) => o.regarding?.name ?? '',
    'regarding.uid': (o) => o.regarding?.uid ?? '',
    'regarding.apiVersion': (o) => o.regarding?.apiVersion ?? '',
    'regarding.resourceVersion': (o) => o.regarding?.resourceVersion ?? '',
    'regarding.fieldPath': (o) => o.regarding?.fieldPath ?? '',
    reportingController: (o) => o.reportingController ?? '',
    reason: (o) => o.reason ?? '',
    type: (o) => o.type ?? '',
  },
  table: { columns: eventColumns, cells: (o, now) => eventCells(eventV1ToCore(o), now) },
};
