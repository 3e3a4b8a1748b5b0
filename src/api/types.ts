// The shape of one registry entry. Everything the API server serves about a kind (routing, discovery,
// OpenAPI, tables, defaults, validation, field selectors, scale) is derived from its ResourceDef, so
// adding a kind is one file in src/api/resources/.

import type { Schema } from './schema.js';

// Objects are arbitrary JSON until validated.
export type Obj = Record<string, any>;

export type SubresourceName =
  | 'status'
  | 'scale'
  | 'binding'
  | 'log'
  | 'exec'
  | 'attach'
  | 'portforward'
  | 'proxy'
  | 'eviction'
  | 'token'
  | 'ephemeralcontainers'
  | 'finalize'
  | 'resize';

/** Upstream's field.ErrorType values, used as Status cause reasons. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  /** Path like `spec.template.spec.containers[0].image`. */
  field: string;
  /** Human text exactly as upstream formats the detail, e.g. `Required value` or `Invalid value: "x": must be ...`. */
  message: string;
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0: always shown; 1: only with -o wide. */
  priority: number;
}

export interface TableDef {
  columns: TableColumn[];
  /**
   * One row's cells, same order as columns, always including the priority-1 (wide) cells as upstream's
   * server does. NAME is usually first, but not always (Events start with LAST SEEN): the name column is
   * the one with format 'name'. `now` (ms since epoch, default Date.now()) lets tests pin AGE-like cells.
   */
  cells(obj: Obj, now?: number): unknown[];
}

export interface ScaleDef {
  /** Dotted paths into the object. */
  specReplicasPath: string;
  statusReplicasPath: string;
  /** Path to a selector already in string form (as CRDs declare it). */
  labelSelectorPath?: string;
  /**
   * Path to the selector object of built-in kinds (`spec.selector`: a metav1.LabelSelector, or a plain map for
   * ReplicationController); the Scale's status.selector is its string form, anySelectorString() in labels.ts.
   */
  selectorObjectPath?: string;
}

/**
 * How metadata.name is validated (upstream's per-kind ValidateNameFunc). Default: 'dns1123-subdomain'.
 * 'none' skips the name format check (core/v1 Event, which upstream validates only loosely).
 */
export type NameValidation =
  | 'dns1123-subdomain'
  | 'dns1123-label'
  | 'dns1035-label'
  | 'path-segment'
  | 'none';

/**
 * A kind served from another kind's storage (events.k8s.io/v1 Event is stored as core/v1 Event).
 * The server stores and watches `group/version/plural`, converting on the way in and out.
 */
export interface SharedStorage {
  group: string;
  version: string;
  plural: string;
  /** This kind's object -> the stored kind's object. */
  toStorage(obj: Obj): Obj;
  /** The stored kind's object -> this kind's object. */
  fromStorage(obj: Obj): Obj;
  /** Field selector names of this kind -> the stored kind's names (e.g. regarding.name -> involvedObject.name). */
  fieldLabels?: Record<string, string>;
}

export interface ResourceDef {
  group: string; // '' for the core group
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** OpenAPI definition name of the kind, e.g. `io.k8s.api.core.v1.Pod` (from kubernetes-types). */
  schemaName: string;
  /**
   * The kind's schema when it is not among the generated definitions (custom resources): published in
   * OpenAPI under schemaName (and `${schemaName}List`), and used for field validation and patches.
   */
  schema?: Schema;
  /** metadata.generation is set and bumped on spec changes (beyond the groups metadata.ts lists). */
  generation?: boolean;
  /** Strategic merge patch is refused with 415, as upstream does for custom resources. */
  noStrategicMerge?: boolean;
  /** Set while creates are refused with 405 and this message (custom resources of a terminating CRD). */
  refusesCreate?: string;
  /** Finalizers the server adds when the object is deleted (CRD: customresourcecleanup.apiextensions.k8s.io). */
  deleteFinalizers?: string[];
  /** Verbs served on the main resource; default: all of create delete deletecollection get list patch update watch. */
  verbs?: string[];
  subresources?: SubresourceName[];
  /** Set upstream defaults in place (called on create and update, after decoding). */
  defaults?(obj: Obj): void;
  /** Validate a new object (metadata name/namespace checks are done by the server). */
  validate?(obj: Obj): FieldError[];
  /** Validate an update; defaults to validate(obj) when absent. Immutable fields are checked here. */
  validateUpdate?(obj: Obj, old: Obj): FieldError[];
  /** Strategy hook on create (e.g. Pod: status.phase=Pending, qosClass). Status is reset before it when the kind has a status subresource. */
  prepareForCreate?(obj: Obj): void;
  /**
   * Strategy hook on update of the main resource, before validation (e.g. Service keeps its allocated
   * clusterIP/nodePorts when the new object omits them; Namespace keeps spec.finalizers). The server still
   * resets status from `old` itself when the kind has a status subresource.
   */
  prepareForUpdate?(obj: Obj, old: Obj): void;
  /** Status given on create is kept although the kind has a status subresource (Node: kubelets register with status). */
  keepsStatusOnCreate?: boolean;
  /** metadata.name format; default 'dns1123-subdomain'. Used by validateObjectMeta in validation.ts. */
  nameValidation?: NameValidation;
  /** Set when this kind shares another kind's storage (see SharedStorage). */
  sharedStorage?: SharedStorage;
  /** Field selectors beyond metadata.name and metadata.namespace (which every kind has). */
  fieldSelectors?: Record<string, (obj: Obj) => string | undefined>;
  table?: TableDef;
  scale?: ScaleDef;
  /** Names of objects that always exist (e.g. namespace `default`) are handled by the server, not here. */
}
