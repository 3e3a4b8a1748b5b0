// PATCH: picks the patch engine by content type (JSON patch, merge patch, strategic merge patch,
// server-side apply) and runs it inside the shared update path.
import { apiVersionOf } from '../api/registry.js';
import { definitions } from '../api/schema.js';
import type { Obj, ResourceDef } from '../api/types.js';
import { isK8tsError, K8tsError } from '../errors.js';
import { checkFields, type FieldValidation } from './fieldcheck.js';
import {
  type ApiContext,
  checkBody,
  createObject,
  ignoredFieldsFor,
  type Target,
  updateObject,
  type WriteOptions,
} from './handlers.js';
import { mediaType } from './http.js';
import {
  applyJsonPatch,
  applyMergePatch,
  applyObject,
  applyStrategicMergePatch,
  createSchemaResolver,
  parseApplyPatch,
  type SchemaResolver,
} from './patch/index.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

let resolver: SchemaResolver | undefined;
const ownSchemaResolvers = new WeakMap<ResourceDef, SchemaResolver>();

/**
 * The schema resolver for patches and managedFields; for a kind that brings its own schema (a custom
 * resource) one that answers its schemaName with that schema.
 */
export function schemaResolver(def?: ResourceDef): SchemaResolver {
  resolver ??= createSchemaResolver(definitions() as never);
  const base = resolver;
  if (!def?.schema) return base;
  let own = ownSchemaResolvers.get(def);
  if (!own) {
    const root = def.schema as never;
    own = {
      root: (name) => (name === def.schemaName ? root : base.root(name)),
      field: (node, name) => base.field(node, name),
      items: (node) => base.items(node),
    };
    ownSchemaResolvers.set(def, own);
  }
  return own;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new K8tsError('BadRequest', `the patch is not valid JSON: ${(err as Error).message}`);
  }
}

function unsupported(def?: ResourceDef): K8tsError {
  const types = def?.noStrategicMerge
    ? PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json')
    : PATCH_TYPES;
  return new K8tsError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${types.join(', ')}`,
  );
}

/** Applies a non-apply patch document of the given media type to `doc`. */
export function patchDocument(t: Target, doc: Obj, type: string, raw: Buffer): Obj {
  switch (type) {
    case 'application/json-patch+json':
      return applyJsonPatch(doc, parseJson(raw)) as Obj;
    case 'application/merge-patch+json':
      return applyMergePatch(doc, parseJson(raw));
    case 'application/strategic-merge-patch+json':
      if (t.def.noStrategicMerge) throw unsupported(t.def);
      return applyStrategicMergePatch(doc, parseJson(raw), {
        schemaName: t.def.schemaName,
        resolver: schemaResolver(t.def),
      });
    default:
      throw unsupported();
  }
}

export interface PatchRequest {
  contentType: string | undefined;
  raw: Buffer;
  query: URLSearchParams;
  validation: FieldValidation;
}

export async function applyPatch(
  ctx: ApiContext,
  t: Target,
  p: PatchRequest,
  opts: WriteOptions & { subresource?: string },
): Promise<Obj> {
  const type = mediaType(p.contentType);
  if (p.raw.length === 0) throw new K8tsError('BadRequest', 'the patch body is empty');
  if (!PATCH_TYPES.includes(type)) throw unsupported(t.def);
  if (type === 'application/strategic-merge-patch+json' && t.def.noStrategicMerge) throw unsupported(t.def);
  if (type === 'application/apply-patch+yaml') return serverSideApply(ctx, t, p, opts);
  return updateObject(
    ctx,
    t,
    (current) => {
      const rv = current.metadata.resourceVersion;
      const patched = checkBody(t, patchDocument(t, current, type, p.raw));
      checkFields(t.def, patched, undefined, p.validation, opts.warnings);
      // A patch carries a precondition only if it sets resourceVersion itself.
      if (patched.metadata.resourceVersion === rv) delete patched.metadata.resourceVersion;
      return patched;
    },
    opts,
  );
}

/** Server-side apply: merge the applied configuration with field ownership; create when absent. */
async function serverSideApply(
  ctx: ApiContext,
  t: Target,
  p: PatchRequest,
  opts: WriteOptions & { subresource?: string },
): Promise<Obj> {
  const applied = checkBody(t, parseApplyPatch(p.raw, { strict: p.validation === 'Strict' }));
  checkFields(t.def, applied, undefined, p.validation, opts.warnings);
  const manager = p.query.get('fieldManager') ?? '';
  const force = p.query.get('force') === 'true';
  const apply = (live: Obj | undefined) =>
    applyObject({
      live,
      applied,
      manager,
      force,
      apiVersion: apiVersionOf(t.def),
      kind: t.def.kind,
      subresource: opts.subresource,
      schemaName: t.def.schemaName,
      resolver: schemaResolver(t.def),
      now: ctx.now(),
      ignoredFields: ignoredFieldsFor(t.def, opts.subresource),
    }).object;
  try {
    return await updateObject(
      ctx,
      t,
      (current) => {
        const next = apply(current);
        // Apply names no resourceVersion unless the configuration does.
        if (!applied.metadata?.resourceVersion) delete next.metadata.resourceVersion;
        return next;
      },
      { ...opts, managedFieldsDone: true },
    );
  } catch (err) {
    if (!isK8tsError(err, 'NotFound') || opts.subresource || err.details?.kind !== t.def.plural) throw err;
  }
  return createObject(ctx, t, apply(undefined), { ...opts, managedFieldsDone: true });
}
