import { invalid } from '../field.js';
import { list } from '../guards.js';
import { age } from '../table.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { isQualifiedName } from '../validation.js';

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** Upstream's Canonicalize: every namespace carries kubernetes.io/metadata.name=<name>. */
function labelWithName(obj: Obj): void {
  const name = obj.metadata?.name;
  if (!name) return;
  obj.metadata.labels ??= {};
  obj.metadata.labels['kubernetes.io/metadata.name'] = name;
}

function validate(obj: Obj): FieldError[] {
  // Upstream sets the name label in Canonicalize, after a generateName got its suffix; validate runs then too.
  labelWithName(obj);
  const errs: FieldError[] = [];
  for (const f of list(obj.spec?.finalizers)) {
    const name = String(f);
    for (const m of isQualifiedName(name)) errs.push(invalid('spec.finalizers', name, m));
    if (!name.includes('/') && !standardFinalizers.has(name))
      errs.push(
        invalid(
          'spec.finalizers',
          name,
          'name is neither a standard finalizer name nor is it fully qualified',
        ),
      );
  }
  return errs;
}

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  schemaName: 'io.k8s.api.core.v1.Namespace',
  nameValidation: 'dns1123-label',
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: ['status', 'finalize'],
  defaults(obj) {
    labelWithName(obj);
    obj.status ??= {};
    obj.status.phase ||= 'Active';
  },
  prepareForCreate(obj) {
    labelWithName(obj);
    obj.status = { phase: 'Active' };
    obj.spec ??= {};
    obj.spec.finalizers ??= [];
    if (!obj.spec.finalizers.includes('kubernetes')) obj.spec.finalizers.push('kubernetes');
  },
  prepareForUpdate(obj, old) {
    // spec.finalizers change only through the finalize subresource; status only through status.
    obj.spec ??= {};
    if (old.spec?.finalizers) obj.spec.finalizers = old.spec.finalizers;
    else delete obj.spec.finalizers;
    labelWithName(obj);
  },
  validate,
  fieldSelectors: { 'status.phase': (o) => o.status?.phase ?? '' },
  table: {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the namespace', priority: 0 },
      { name: 'Status', type: 'string', description: 'The status of the namespace', priority: 0 },
      { name: 'Age', type: 'string', description: 'Time since creation', priority: 0 },
    ],
    cells: (o, now) => [
      o.metadata?.name,
      o.status?.phase ?? 'Active',
      age(o.metadata?.creationTimestamp, now),
    ],
  },
};
