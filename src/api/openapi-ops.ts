// The REST operations of every registry entry, in a neutral form that openapi.ts renders as an
// OpenAPI v3 document per group-version and as one Swagger 2.0 document. Paths, operation ids,
// actions and parameters follow upstream's published documents so clients (kubectl's
// QueryParamVerifier looks for `fieldValidation` on PATCH operations tagged with the kind's
// x-kubernetes-group-version-kind) treat us like a real API server.
import type { ResourceDef, SubresourceName } from './types.js';

export interface GVK {
  group: string;
  version: string;
  kind: string;
}

export interface Param {
  name: string;
  in: 'query' | 'path';
  description: string;
  type: 'string' | 'boolean' | 'integer';
  required?: boolean;
}

export type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

export interface Response {
  code: string;
  description: string;
  /** Definition name, or 'string' for plain-text bodies (pod logs). */
  schema?: string;
}

export interface Operation {
  method: Method;
  operationId: string;
  description: string;
  tag: string;
  action:
    | 'get'
    | 'list'
    | 'post'
    | 'put'
    | 'patch'
    | 'delete'
    | 'deletecollection'
    | 'watch'
    | 'watchlist'
    | 'connect';
  gvk: GVK;
  params: Param[];
  /** Request body definition name; patch bodies take the patch content types. */
  body?: string;
  bodyRequired?: boolean;
  responses: Response[];
  consumes: string[];
  produces: string[];
}

export interface PathItem {
  path: string;
  /** Parameters shared by every operation of the path (path parameters, `pretty`). */
  params: Param[];
  ops: Operation[];
}

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const STATUS = `${META}.Status`;
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const WATCH_EVENT = `${META}.WatchEvent`;
export const PATCH = `${META}.Patch`;

export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
/** Patch types a kind accepts (custom resources take no strategic merge patch). */
export function patchTypesOf(r: ResourceDef): string[] {
  return r.noStrategicMerge
    ? PATCH_CONTENT_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json')
    : PATCH_CONTENT_TYPES;
}

const PRODUCES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const WATCH_PRODUCES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/json;stream=watch',
  'application/vnd.kubernetes.protobuf;stream=watch',
];

const q = (name: string, type: Param['type'], description: string): Param => ({
  name,
  in: 'query',
  type,
  description,
});

const P = {
  pretty: q('pretty', 'string', "If 'true', then the output is pretty printed."),
  dryRun: q(
    'dryRun',
    'string',
    'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: q(
    'fieldManager',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  ),
  fieldManagerApply: q(
    'fieldManager',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).',
  ),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  ),
  force: q(
    'force',
    'boolean',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  ),
  allowWatchBookmarks: q(
    'allowWatchBookmarks',
    'boolean',
    'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.',
  ),
  continue: q(
    'continue',
    'string',
    'The continue option should be set when retrieving more results from the server. Its value is the token returned with the previous page; if it has expired the server answers 410 ResourceExpired.',
  ),
  fieldSelector: q(
    'fieldSelector',
    'string',
    'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  ),
  labelSelector: q(
    'labelSelector',
    'string',
    'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  ),
  limit: q(
    'limit',
    'integer',
    'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.',
  ),
  resourceVersion: q(
    'resourceVersion',
    'string',
    'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details. Defaults to unset',
  ),
  resourceVersionMatch: q(
    'resourceVersionMatch',
    'string',
    'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set. Defaults to unset',
  ),
  sendInitialEvents: q(
    'sendInitialEvents',
    'boolean',
    '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection, followed by a bookmark event.',
  ),
  timeoutSeconds: q(
    'timeoutSeconds',
    'integer',
    'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.',
  ),
  watch: q(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.',
  ),
  gracePeriodSeconds: q(
    'gracePeriodSeconds',
    'integer',
    'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used.',
  ),
  ignoreStoreReadError: q(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'boolean',
    'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error.',
  ),
  orphanDependents: q(
    'orphanDependents',
    'boolean',
    'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned.',
  ),
  propagationPolicy: q(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
  ),
};

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManagerApply, P.fieldValidation, P.force];
const DELETE_PARAMS = [
  P.dryRun,
  P.gracePeriodSeconds,
  P.ignoreStoreReadError,
  P.orphanDependents,
  P.propagationPolicy,
];

const LOG_PARAMS: Param[] = [
  q(
    'container',
    'string',
    'The container for which to stream logs. Defaults to only container if there is one container in the pod.',
  ),
  q('follow', 'boolean', 'Follow the log stream of the pod. Defaults to false.'),
  q(
    'insecureSkipTLSVerifyBackend',
    'boolean',
    'insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the validity of the serving certificate of the backend it is connecting to.',
  ),
  q(
    'limitBytes',
    'integer',
    'If set, the number of bytes to read from the server before terminating the log output.',
  ),
  q('previous', 'boolean', 'Return previous terminated container logs. Defaults to false.'),
  q('sinceSeconds', 'integer', 'A relative time in seconds before the current time from which to show logs.'),
  q(
    'stream',
    'string',
    'Specify which container log stream to return to the client. Acceptable values are "All", "Stdout" and "Stderr".',
  ),
  q('tailLines', 'integer', 'If set, the number of lines from the end of the logs to show.'),
  q(
    'timestamps',
    'boolean',
    'If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false.',
  ),
];
const STREAM_PARAMS: Param[] = [
  q(
    'container',
    'string',
    'The container in which to execute the command. Defaults to only container if there is only one container in the pod.',
  ),
  q('stderr', 'boolean', 'Redirect the standard error stream of the pod for this call.'),
  q('stdin', 'boolean', 'Redirect the standard input stream of the pod for this call. Defaults to false.'),
  q('stdout', 'boolean', 'Redirect the standard output stream of the pod for this call.'),
  q(
    'tty',
    'boolean',
    'TTY if true indicates that a tty will be allocated for the exec call. Defaults to false.',
  ),
];
const EXEC_PARAMS: Param[] = [
  q(
    'command',
    'string',
    'Command is the remote command to execute. argv array. Not executed within a shell.',
  ),
  ...STREAM_PARAMS,
];
const PORTFORWARD_PARAMS: Param[] = [
  q('ports', 'integer', 'List of ports to forward. Required when using WebSockets'),
];

const DEFAULT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** `rbac.authorization.k8s.io` -> `RbacAuthorization`, '' -> `Core`. */
export function groupCamel(group: string): string {
  if (group === '') return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** Upstream's operation tag: `core_v1`, `apps_v1`, `rbacAuthorization_v1`. */
export function tagOf(group: string, version: string): string {
  const camel = groupCamel(group);
  return `${camel.charAt(0).toLowerCase()}${camel.slice(1)}_${version}`;
}

/** URL prefix of a group-version: `/api/v1` or `/apis/apps/v1`. */
export function gvPrefix(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

interface SubresourceSpec {
  methods: Method[];
  /** Definition name of the body/response, and the kind reported as gvk. */
  schema?: string;
  gvk?: GVK;
  params?: Param[];
  /** Text response (logs) or streaming connection (exec). */
  kind: 'object' | 'create' | 'text' | 'connect';
}

function subresourceSpec(r: ResourceDef, name: SubresourceName): SubresourceSpec | undefined {
  const self: GVK = { group: r.group, version: r.version, kind: r.kind };
  switch (name) {
    case 'status':
    case 'ephemeralcontainers':
      return { methods: ['get', 'put', 'patch'], schema: r.schemaName, gvk: self, kind: 'object' };
    case 'scale':
      return {
        methods: ['get', 'put', 'patch'],
        schema: 'io.k8s.api.autoscaling.v1.Scale',
        gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        kind: 'object',
      };
    case 'binding':
      return {
        methods: ['post'],
        schema: 'io.k8s.api.core.v1.Binding',
        gvk: { group: '', version: 'v1', kind: 'Binding' },
        kind: 'create',
      };
    case 'eviction':
      return {
        methods: ['post'],
        schema: 'io.k8s.api.policy.v1.Eviction',
        gvk: { group: 'policy', version: 'v1', kind: 'Eviction' },
        kind: 'create',
      };
    case 'token':
      return {
        methods: ['post'],
        schema: 'io.k8s.api.authentication.v1.TokenRequest',
        gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
        kind: 'create',
      };
    case 'log':
      return { methods: ['get'], gvk: self, params: LOG_PARAMS, kind: 'text' };
    case 'exec':
      return {
        methods: ['get', 'post'],
        gvk: { group: '', version: 'v1', kind: 'PodExecOptions' },
        params: EXEC_PARAMS,
        kind: 'connect',
      };
    case 'attach':
      return {
        methods: ['get', 'post'],
        gvk: { group: '', version: 'v1', kind: 'PodAttachOptions' },
        params: STREAM_PARAMS,
        kind: 'connect',
      };
    case 'portforward':
      return {
        methods: ['get', 'post'],
        gvk: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
        params: PORTFORWARD_PARAMS,
        kind: 'connect',
      };
    case 'proxy':
      return {
        methods: ['get', 'put', 'post', 'patch', 'delete'],
        gvk: { group: '', version: 'v1', kind: `${r.kind}ProxyOptions` },
        kind: 'connect',
      };
    default:
      return undefined;
  }
}

const ok = (schema?: string): Response => ({ code: '200', description: 'OK', schema });
const UNAUTHORIZED: Response = { code: '401', description: 'Unauthorized' };

/** Every path item served for one resource, upstream-style. */
export function resourcePaths(r: ResourceDef): PathItem[] {
  const verbs = new Set(r.verbs ?? DEFAULT_VERBS);
  const gvk: GVK = { group: r.group, version: r.version, kind: r.kind };
  const tag = tagOf(r.group, r.version);
  const gv = `${groupCamel(r.group)}${r.version.charAt(0).toUpperCase()}${r.version.slice(1)}`;
  const scoped = r.namespaced ? `Namespaced${r.kind}` : r.kind;
  const prefix = gvPrefix(r.group, r.version);
  const nsPrefix = r.namespaced ? `${prefix}/namespaces/{namespace}` : prefix;
  const listSchema = `${r.schemaName}List`;
  const nsParam: Param = {
    name: 'namespace',
    in: 'path',
    required: true,
    type: 'string',
    description: 'object name and auth scope, such as for teams and projects',
  };
  const nameParam = (what: string): Param => ({
    name: 'name',
    in: 'path',
    required: true,
    type: 'string',
    description: `name of the ${what}`,
  });
  const scopeParams = r.namespaced ? [nsParam] : [];
  const op = (
    o: Omit<Operation, 'tag' | 'gvk' | 'produces' | 'consumes'> & Partial<Operation>,
  ): Operation => ({
    tag,
    gvk,
    produces: PRODUCES,
    consumes: ['*/*'],
    ...o,
    responses: [...o.responses, UNAUTHORIZED],
  });
  const out: PathItem[] = [];

  const collection: Operation[] = [];
  if (verbs.has('list'))
    collection.push(
      op({
        method: 'get',
        operationId: `list${gv}${scoped}`,
        description: `list or watch objects of kind ${r.kind}`,
        action: 'list',
        params: LIST_PARAMS,
        responses: [ok(listSchema)],
        produces: WATCH_PRODUCES,
      }),
    );
  if (verbs.has('create'))
    collection.push(
      op({
        method: 'post',
        operationId: `create${gv}${scoped}`,
        description: `create ${article(r.kind)} ${r.kind}`,
        action: 'post',
        params: WRITE_PARAMS,
        body: r.schemaName,
        bodyRequired: true,
        responses: [
          ok(r.schemaName),
          { code: '201', description: 'Created', schema: r.schemaName },
          { code: '202', description: 'Accepted', schema: r.schemaName },
        ],
      }),
    );
  if (verbs.has('deletecollection'))
    collection.push(
      op({
        method: 'delete',
        operationId: `delete${gv}Collection${scoped}`,
        description: `delete collection of ${r.kind}`,
        action: 'deletecollection',
        params: [
          ...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'),
          ...DELETE_PARAMS,
        ],
        body: DELETE_OPTIONS,
        responses: [ok(STATUS)],
      }),
    );
  if (collection.length)
    out.push({ path: `${nsPrefix}/${r.plural}`, params: [...scopeParams, P.pretty], ops: collection });

  const itemPath = `${nsPrefix}/${r.plural}/{name}`;
  const itemParams = [nameParam(r.kind), ...scopeParams, P.pretty];
  const item: Operation[] = [];
  if (verbs.has('get'))
    item.push(
      op({
        method: 'get',
        operationId: `read${gv}${scoped}`,
        description: `read the specified ${r.kind}`,
        action: 'get',
        params: [],
        responses: [ok(r.schemaName)],
      }),
    );
  if (verbs.has('update'))
    item.push(
      op({
        method: 'put',
        operationId: `replace${gv}${scoped}`,
        description: `replace the specified ${r.kind}`,
        action: 'put',
        params: WRITE_PARAMS,
        body: r.schemaName,
        bodyRequired: true,
        responses: [ok(r.schemaName), { code: '201', description: 'Created', schema: r.schemaName }],
      }),
    );
  if (verbs.has('patch'))
    item.push(
      op({
        method: 'patch',
        operationId: `patch${gv}${scoped}`,
        description: `partially update the specified ${r.kind}`,
        action: 'patch',
        params: PATCH_PARAMS,
        body: PATCH,
        bodyRequired: true,
        consumes: patchTypesOf(r),
        responses: [ok(r.schemaName), { code: '201', description: 'Created', schema: r.schemaName }],
      }),
    );
  if (verbs.has('delete'))
    item.push(
      op({
        method: 'delete',
        operationId: `delete${gv}${scoped}`,
        description: `delete ${article(r.kind)} ${r.kind}`,
        action: 'delete',
        params: DELETE_PARAMS,
        body: DELETE_OPTIONS,
        responses: [ok(STATUS), { code: '202', description: 'Accepted', schema: STATUS }],
      }),
    );
  if (item.length) out.push({ path: itemPath, params: itemParams, ops: item });

  if (r.namespaced && verbs.has('list'))
    out.push({
      path: `${prefix}/${r.plural}`,
      params: [P.pretty, ...LIST_PARAMS],
      ops: [
        op({
          method: 'get',
          operationId: `list${gv}${r.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${r.kind}`,
          action: 'list',
          params: [],
          responses: [ok(listSchema)],
          produces: WATCH_PRODUCES,
        }),
      ],
    });

  if (verbs.has('watch')) {
    const watchOp = (operationId: string, action: 'watch' | 'watchlist', description: string): Operation =>
      op({
        method: 'get',
        operationId,
        description,
        action,
        params: [],
        responses: [ok(WATCH_EVENT)],
        produces: WATCH_PRODUCES,
      });
    out.push({
      path: `${prefix}/watch/${r.namespaced ? 'namespaces/{namespace}/' : ''}${r.plural}`,
      params: [...scopeParams, P.pretty, ...LIST_PARAMS],
      ops: [
        watchOp(
          `watch${gv}${scoped}List`,
          'watchlist',
          `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`,
        ),
      ],
    });
    out.push({
      path: `${prefix}/watch/${r.namespaced ? 'namespaces/{namespace}/' : ''}${r.plural}/{name}`,
      params: [nameParam(r.kind), ...scopeParams, P.pretty, ...LIST_PARAMS],
      ops: [
        watchOp(
          `watch${gv}${scoped}`,
          'watch',
          `watch changes to an object of kind ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`,
        ),
      ],
    });
    if (r.namespaced)
      out.push({
        path: `${prefix}/watch/${r.plural}`,
        params: [P.pretty, ...LIST_PARAMS],
        ops: [
          watchOp(
            `watch${gv}${r.kind}ListForAllNamespaces`,
            'watchlist',
            `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`,
          ),
        ],
      });
  }

  for (const sub of r.subresources ?? []) {
    const spec = subresourceSpec(r, sub);
    if (!spec) continue;
    const Sub = sub.charAt(0).toUpperCase() + sub.slice(1);
    const ops: Operation[] = [];
    for (const method of spec.methods) {
      const base = { gvk: spec.gvk ?? gvk };
      if (spec.kind === 'connect') {
        const M = method.charAt(0).toUpperCase() + method.slice(1);
        ops.push(
          op({
            ...base,
            method,
            operationId: `connect${gv}${M}${scoped}${Sub}`,
            description: `connect ${method.toUpperCase()} requests to ${sub} of ${r.kind}`,
            action: 'connect',
            params: method === 'get' || method === 'post' ? (spec.params ?? []) : [],
            responses: [ok('string')],
            produces: ['*/*'],
          }),
        );
      } else if (spec.kind === 'text') {
        ops.push(
          op({
            ...base,
            method,
            operationId: `read${gv}${scoped}${Sub}`,
            description: `read ${sub} of the specified ${r.kind}`,
            action: 'get',
            params: spec.params ?? [],
            responses: [ok('string')],
            produces: [
              'text/plain',
              'application/json',
              'application/yaml',
              'application/vnd.kubernetes.protobuf',
            ],
          }),
        );
      } else if (spec.kind === 'create') {
        ops.push(
          op({
            ...base,
            method,
            operationId: `create${gv}${scoped}${Sub}`,
            description: `create ${sub} of ${article(r.kind)} ${r.kind}`,
            action: 'post',
            params: WRITE_PARAMS,
            body: spec.schema,
            bodyRequired: true,
            responses: [
              ok(spec.schema),
              { code: '201', description: 'Created', schema: spec.schema },
              { code: '202', description: 'Accepted', schema: spec.schema },
            ],
          }),
        );
      } else if (method === 'get') {
        ops.push(
          op({
            ...base,
            method,
            operationId: `read${gv}${scoped}${Sub}`,
            description: `read ${sub} of the specified ${r.kind}`,
            action: 'get',
            params: [],
            responses: [ok(spec.schema)],
          }),
        );
      } else if (method === 'put') {
        ops.push(
          op({
            ...base,
            method,
            operationId: `replace${gv}${scoped}${Sub}`,
            description: `replace ${sub} of the specified ${r.kind}`,
            action: 'put',
            params: WRITE_PARAMS,
            body: spec.schema,
            bodyRequired: true,
            responses: [ok(spec.schema), { code: '201', description: 'Created', schema: spec.schema }],
          }),
        );
      } else if (method === 'patch') {
        ops.push(
          op({
            ...base,
            method,
            operationId: `patch${gv}${scoped}${Sub}`,
            description: `partially update ${sub} of the specified ${r.kind}`,
            action: 'patch',
            params: PATCH_PARAMS,
            body: PATCH,
            bodyRequired: true,
            consumes: patchTypesOf(r),
            responses: [ok(spec.schema), { code: '201', description: 'Created', schema: spec.schema }],
          }),
        );
      }
    }
    const subParams = [
      nameParam(spec.kind === 'connect' ? `${spec.gvk?.kind ?? r.kind}` : r.kind),
      ...scopeParams,
    ];
    if (spec.kind !== 'connect') subParams.push(P.pretty);
    out.push({ path: `${itemPath}/${sub}`, params: subParams, ops });
  }
  return out;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}

/** The definitions an operation set names directly (bodies and responses). */
export function referencedSchemas(items: PathItem[]): Set<string> {
  const out = new Set<string>();
  for (const item of items)
    for (const o of item.ops) {
      if (o.body) out.add(o.body);
      for (const r of o.responses) if (r.schema && r.schema !== 'string') out.add(r.schema);
    }
  return out;
}
