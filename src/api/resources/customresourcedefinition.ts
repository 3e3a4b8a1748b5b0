// apiextensions.k8s.io/v1 CustomResourceDefinition. The kind itself is stored like any other; the
// CRD controller in the API server (src/apiserver/crds.ts) sets its conditions and serves its
// custom resources.

import { defaultTable } from '../columns.js';
import { validateCRD, validateCRDUpdate } from '../crd/validate-crd.js';
import { isObject, list } from '../guards.js';
import type { Obj, ResourceDef } from '../types.js';

/** The finalizer upstream adds on delete; removed once every custom resource is gone. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

function defaults(obj: Obj): void {
  const spec = obj.spec;
  if (!isObject(spec)) return;
  if (isObject(spec.names)) {
    const n = spec.names;
    if (typeof n.kind === 'string' && n.kind) {
      n.singular ||= n.kind.toLowerCase();
      n.listKind ||= `${n.kind}List`;
    }
  }
  spec.conversion ??= { strategy: 'None' };
  if (isObject(spec.conversion)) spec.conversion.strategy ||= 'None';
}

function storageVersion(obj: Obj): string | undefined {
  return list(obj.spec?.versions).find((v) => v?.storage === true)?.name;
}

export const customResourceDefinitions: ResourceDef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  schemaName: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  subresources: ['status'],
  deleteFinalizers: [CRD_CLEANUP_FINALIZER],
  generation: true,
  defaults,
  validate: validateCRD,
  validateUpdate: validateCRDUpdate,
  prepareForCreate(obj) {
    // Upstream starts the status with the storage version as the only stored version.
    const v = storageVersion(obj);
    obj.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: v ? [v] : [] };
  },
  prepareForUpdate(obj) {
    const v = storageVersion(obj);
    if (!v || !isObject(obj.status)) return;
    const stored: string[] = list(obj.status.storedVersions);
    if (!stored.includes(v)) obj.status.storedVersions = [...stored, v];
  },
  table: defaultTable,
};
