// A CustomResourceDefinition -> the registry entries of its served versions. Everything the API
// server does for a custom resource (routing, discovery, OpenAPI, tables, validation, pruning,
// status and scale subresources) then comes from the same ResourceDef shape as a built-in kind.
import { nameColumn } from '../columns.js';
import { apiVersionOf } from '../registry.js';
import type { Schema } from '../schema.js';
import { age } from '../table.js';
import type { Obj, ResourceDef, SubresourceName, TableColumn, TableDef } from '../types.js';
import { evalJsonPath } from './jsonpath.js';
import { applySchemaDefaults, validateCustomResource } from './schema-validate.js';
import { compareVersionPriority } from './versions.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const API_VERSION_DOC =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DOC =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const CREATION_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** `stable.example.com` + v1 + CronTab -> `com.example.stable.v1.CronTab`, upstream's definition name. */
export function definitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/**
 * A copy in which an object node that names no properties, no additionalProperties and does not preserve
 * unknown fields says `properties: {}`: upstream prunes every field of such an object, and field
 * validation (fieldvalidation.ts) prunes only below nodes that name their structure.
 */
export function closeFreeObjects(s: Schema): Schema {
  const out: Schema = { ...s };
  if (
    s.type === 'object' &&
    !s.properties &&
    (s.additionalProperties === undefined || s.additionalProperties === false) &&
    !s['x-kubernetes-preserve-unknown-fields'] &&
    !s['x-kubernetes-embedded-resource']
  )
    out.properties = {};
  if (s.properties)
    out.properties = Object.fromEntries(
      Object.entries(s.properties).map(([k, v]) => [k, closeFreeObjects(v)]),
    );
  if (s.items && typeof s.items === 'object') out.items = closeFreeObjects(s.items);
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    out.additionalProperties = closeFreeObjects(s.additionalProperties);
  return out;
}

/** The published schema: the CRD's own plus apiVersion, kind and metadata (ObjectMeta), with its GVK. */
function publishedSchema(schema: Schema, group: string, version: string, kind: string): Schema {
  const { properties, ...rest } = closeFreeObjects(schema);
  return {
    ...rest,
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: API_VERSION_DOC },
      kind: { type: 'string', description: KIND_DOC },
      metadata: {
        allOf: [{ $ref: `#/components/schemas/${META}.ObjectMeta` }],
        description:
          "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
      },
      ...Object.fromEntries(Object.entries(properties ?? {}).filter(([k]) => k !== 'metadata')),
    },
    'x-kubernetes-group-version-kind': [{ group, version, kind }],
  };
}

/** The list schema published next to it as `${definitionName}List`. */
export function listSchema(itemName: string, group: string, version: string, kind: string): Schema {
  return {
    description: `${kind}List is a list of ${kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: API_VERSION_DOC },
      items: {
        type: 'array',
        description: `List of ${kind.toLowerCase()}s. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: { $ref: `#/components/schemas/${itemName}` },
      },
      kind: { type: 'string', description: KIND_DOC },
      metadata: {
        allOf: [{ $ref: `#/components/schemas/${META}.ListMeta` }],
        description:
          'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      },
    },
    'x-kubernetes-group-version-kind': [{ group, version, kind: `${kind}List` }],
  };
}

function cell(type: string, v: unknown, now: number): unknown {
  if (v === undefined || v === null) return null;
  switch (type) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) ? v : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? age(v, now) : '<invalid>';
    default:
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/** NAME, then the version's additionalPrinterColumns (or AGE when it declares none), as upstream. */
function printerTable(columns: Obj[] | undefined): TableDef {
  const cols = columns?.length
    ? columns
    : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_DOC }];
  return {
    columns: [
      nameColumn,
      ...cols.map(
        (c): TableColumn => ({
          name: c.name,
          type: c.type,
          ...(c.format ? { format: c.format } : {}),
          description: c.description ?? '',
          priority: c.priority ?? 0,
        }),
      ),
    ],
    cells: (o, now = Date.now()) => [
      o.metadata?.name,
      ...cols.map((c) => cell(c.type, evalJsonPath(o, c.jsonPath), now)),
    ],
  };
}

/** The name a served version is reachable under (`cronTabs.stable.example.com/v1`). */
export function customResourceKey(def: Pick<ResourceDef, 'group' | 'version' | 'plural'>): string {
  return `${def.plural}.${def.group}/${def.version}`;
}

/**
 * The registry entries of every served version of a CRD, in version priority order (`allVersions`:
 * the unserved ones too, e.g. to reach the stored objects while the CRD is deleted).
 */
export function customResourceDefs(crd: Obj, opts: { allVersions?: boolean } = {}): ResourceDef[] {
  const spec = crd.spec;
  const names = crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : spec.names;
  const group: string = spec.group;
  const versions: Obj[] = (spec.versions ?? []).filter((v: Obj) => v.served || opts.allVersions);
  const storage: string | undefined = (spec.versions ?? []).find((v: Obj) => v.storage)?.name;
  versions.sort((a, b) => compareVersionPriority(a.name, b.name));
  return versions.map((v) => {
    const version: string = v.name;
    const userSchema: Schema = v.schema?.openAPIV3Schema ?? { type: 'object' };
    const schemaName = definitionName(group, version, names.kind);
    const subresources: SubresourceName[] = [];
    if (v.subresources?.status) subresources.push('status');
    if (v.subresources?.scale) subresources.push('scale');
    const scale = v.subresources?.scale;
    const apiVersion = apiVersionOf({ group, version });
    const storageApiVersion = apiVersionOf({ group, version: storage ?? version });
    const def: ResourceDef = {
      group,
      version,
      kind: names.kind,
      plural: names.plural,
      singular: names.singular || names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      schemaName,
      schema: publishedSchema(userSchema, group, version, names.kind),
      noStrategicMerge: true,
      generation: true,
      defaults: (obj) => applySchemaDefaults(obj, userSchema),
      validate: (obj) => validateCustomResource(obj, userSchema),
      table: printerTable(v.additionalPrinterColumns),
      // Every version reads and writes the one stored form (conversion strategy None: only apiVersion changes).
      sharedStorage: {
        group,
        version: storage ?? version,
        plural: names.plural,
        toStorage: (o) => (o.apiVersion === storageApiVersion ? o : { ...o, apiVersion: storageApiVersion }),
        fromStorage: (o) => (o.apiVersion === apiVersion ? o : { ...o, apiVersion }),
      },
    };
    // selectableFields: field selectors on fields of the custom resource (beyond metadata.name/namespace).
    const selectable: Obj[] = v.selectableFields ?? [];
    if (selectable.length)
      def.fieldSelectors = Object.fromEntries(
        selectable.map((f) => [
          String(f.jsonPath).replace(/^\./, ''),
          (o: Obj) => {
            const value = evalJsonPath(o, f.jsonPath);
            return value === undefined || value === null ? undefined : String(value);
          },
        ]),
      );
    if (names.shortNames?.length) def.shortNames = names.shortNames;
    if (names.categories?.length) def.categories = names.categories;
    if (subresources.length) def.subresources = subresources;
    if (scale) {
      def.scale = {
        specReplicasPath: String(scale.specReplicasPath).replace(/^\./, ''),
        statusReplicasPath: String(scale.statusReplicasPath).replace(/^\./, ''),
      };
      if (scale.labelSelectorPath)
        def.scale.labelSelectorPath = String(scale.labelSelectorPath).replace(/^\./, '');
    }
    return def;
  });
}
