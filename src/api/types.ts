// The shape of one registry entry. Everything the API server serves about a kind (routing, discovery,
// OpenAPI, tables, defaults, validation, field selectors, scale) is derived from its ResourceDef, so
// adding a kind is one file in src/api/resources/.

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
  | 'ephemeralcontainers';

/** Upstream's field.ErrorType values, used as Status cause reasons. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid';

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
  /** One row's cells, same order as columns (NAME first). `now` lets AGE-like cells be computed by the client. */
  cells(obj: Obj): unknown[];
}

export interface ScaleDef {
  /** Dotted paths into the object. */
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
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
  /** Field selectors beyond metadata.name and metadata.namespace (which every kind has). */
  fieldSelectors?: Record<string, (obj: Obj) => string | undefined>;
  table?: TableDef;
  scale?: ScaleDef;
  /** Names of objects that always exist (e.g. namespace `default`) are handled by the server, not here. */
}
