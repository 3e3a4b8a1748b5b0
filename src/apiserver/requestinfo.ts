// Turns a request path and method into what it asks for, as upstream's RequestInfoFactory does:
// /api/v1/namespaces/ns/pods/name/status -> {group:'', version:'v1', namespace:'ns', resource:'pods', ...}.

export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'connect';

export interface ResourceRequest {
  type: 'resource';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** Path segments after the subresource (e.g. proxy paths). */
  rest: string[];
  verb: Verb;
}

export interface OtherRequest {
  type: 'other';
  path: string;
}

// Namespaces are special: /api/v1/namespaces/NAME/{status,finalize} are namespace subresources,
// while /api/v1/namespaces/NAME/pods is a namespaced collection.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequest(
  method: string,
  pathname: string,
  query: URLSearchParams,
): ResourceRequest | OtherRequest {
  const parts = pathname.split('/').filter((p) => p !== '');
  let i = 0;
  let group = '';
  if (parts[0] === 'api') {
    i = 1;
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1];
    i = 2;
  } else {
    return { type: 'other', path: pathname };
  }
  const version = parts[i++];
  if (version === undefined || i >= parts.length) return { type: 'other', path: pathname };

  let legacyWatch = false;
  if (parts[i] === 'watch') {
    legacyWatch = true;
    i++;
  }
  let namespace: string | undefined;
  if (parts[i] === 'namespaces' && parts.length > i + 2 && !NAMESPACE_SUBRESOURCES.has(parts[i + 2])) {
    namespace = parts[i + 1];
    i += 2;
  }
  const resource = parts[i++];
  if (resource === undefined) return { type: 'other', path: pathname };
  const name = parts[i++];
  const subresource = parts[i++];
  const rest = parts.slice(i);
  if (resource === 'namespaces' && name !== undefined) namespace = name;

  let verb: Verb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (legacyWatch || query.get('watch') === 'true' || query.get('watch') === '1') verb = 'watch';
      else verb = name === undefined ? 'list' : 'get';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name === undefined ? 'deletecollection' : 'delete';
      break;
    default:
      verb = 'connect';
  }
  return {
    type: 'resource',
    group,
    version,
    namespace,
    resource,
    name: name === undefined ? undefined : decodeURIComponent(name),
    subresource,
    rest,
    verb,
  };
}
