import { col, nameColumn, wide } from '../columns.js';
import { invalid, required } from '../field.js';
import { age } from '../table.js';
import type { FieldError, Obj, ResourceDef, TableDef } from '../types.js';
import { isDNS1123Subdomain, isQualifiedName } from '../validation.js';

/** upstream legacyValidateEvent: what every Event must satisfy, whichever API wrote it. */
export function validateLegacyEvent(e: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ns = e.metadata?.namespace ?? '';
  const involvedNs = e.involvedObject?.namespace ?? '';
  if (!e.eventTime) {
    if (!involvedNs) {
      if (ns !== '' && ns !== 'default')
        errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    } else if (ns !== involvedNs) {
      errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system')
      errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    const rc = String(e.reportingComponent ?? '');
    if (!rc) errs.push(required('reportingController'));
    for (const m of isQualifiedName(rc)) errs.push(invalid('reportingController', rc, m));
    const ri = String(e.reportingInstance ?? '');
    if (!ri) errs.push(required('reportingInstance'));
    if (ri.length > 128) errs.push(invalid('reportingInstance', '', 'can have at most 128 characters'));
    const action = String(e.action ?? '');
    if (!action) errs.push(required('action'));
    if (action.length > 128) errs.push(invalid('action', '', 'can have at most 128 characters'));
    const reason = String(e.reason ?? '');
    if (!reason) errs.push(required('reason'));
    if (reason.length > 128) errs.push(invalid('reason', '', 'can have at most 128 characters'));
    if (String(e.message ?? '').length > 1024)
      errs.push(invalid('message', '', 'can have at most 1024 characters'));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(invalid('namespace', ns, m));
  return errs;
}

function sinceOr(ts: unknown, now: number | undefined): string | undefined {
  return typeof ts === 'string' && ts ? age(ts, now) : undefined;
}

/** Cells of upstream's printEvent for a core/v1-shaped Event. */
export function eventCells(o: Obj, now?: number): unknown[] {
  const first = sinceOr(o.firstTimestamp, now) ?? sinceOr(o.eventTime, now) ?? '<unknown>';
  let last = sinceOr(o.lastTimestamp, now) ?? first;
  let count = o.count ?? 0;
  if (o.series) {
    last = sinceOr(o.series.lastObservedTime, now) ?? '<unknown>';
    count = o.series.count ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const kind = String(o.involvedObject?.kind ?? '').toLowerCase();
  const target = o.involvedObject?.name ? `${kind}/${o.involvedObject.name}` : kind;
  const component = o.source?.component || o.reportingComponent || '';
  const instance = o.source?.host || o.reportingInstance || '';
  const source = instance ? `${component}, ${instance}` : component;
  return [
    last,
    o.type ?? '',
    o.reason ?? '',
    target,
    o.involvedObject?.fieldPath ?? '',
    source,
    String(o.message ?? '').trim(),
    first,
    count,
    o.metadata?.name,
  ];
}

/** Event columns: LAST SEEN first and NAME last (wide), as `kubectl get events` shows them. */
export const eventColumns = [
  col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
  col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
  col(
    'Reason',
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  ),
  col('Object', 'The object that this event is about.'),
  wide(
    'Subobject',
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
  ),
  wide('Source', 'The component reporting this event. Should be a short machine understandable string.'),
  col('Message', 'A human-readable description of the status of this operation.'),
  wide(
    'First Seen',
    'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
  ),
  wide('Count', 'The number of times this event has occurred.'),
  { ...nameColumn, priority: 1 },
];

const coreEventTable: TableDef = { columns: eventColumns, cells: eventCells };

export const events: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  schemaName: 'io.k8s.api.core.v1.Event',
  // core/v1 events keep upstream's loose legacy validation: no name format check.
  nameValidation: 'none',
  validate: validateLegacyEvent,
  validateUpdate: validateLegacyEvent,
  fieldSelectors: {
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
    'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '',
    'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath ?? '',
    reason: (o) => o.reason ?? '',
    reportingComponent: (o) => o.reportingComponent ?? '',
    source: (o) => o.source?.component ?? '',
    type: (o) => o.type ?? '',
  },
  table: coreEventTable,
};
