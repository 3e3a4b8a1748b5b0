import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { required } from '../field.js';
import { list } from '../guards.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateImmutableField, validateNonnegativeField } from '../validation.js';

function validate(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...validateNonnegativeField(obj.revision, 'revision'));
  return errs;
}

/** "kind.group/name" in lower case, like upstream's formatResourceName for the controller column. */
function controllerName(o: Obj): string {
  const ref = list(o.metadata?.ownerReferences).find((r: any) => r?.controller === true);
  if (!ref) return '<none>';
  const apiVersion = String(ref.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const gk = group ? `${ref.kind}.${group}` : String(ref.kind ?? '');
  return gk ? `${gk.toLowerCase()}/${ref.name}` : ref.name;
}

export const controllerRevisions: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  schemaName: 'io.k8s.api.apps.v1.ControllerRevision',
  validate,
  validateUpdate: (obj, old) => [...validate(obj), ...validateImmutableField(obj.data, old.data, 'data')],
  table: {
    columns: [
      nameColumn,
      col('Controller', 'Controller of the object'),
      col('Revision', 'Revision indicates the revision of the state represented by Data.'),
      ageColumn,
    ],
    cells: (o, now) => [o.metadata?.name, controllerName(o), o.revision ?? 0, ageOf(o, now)],
  },
};
