// PATCH: picks the patch engine by content type and runs it inside the shared update path.
import type { Obj } from '../api/types.js';
import { K8tsError } from '../errors.js';
import { type ApiContext, checkBody, type Target, updateObject, type WriteOptions } from './handlers.js';
import { mediaType } from './http.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new K8tsError('BadRequest', `the patch is not valid JSON: ${(err as Error).message}`);
  }
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Obj =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Applies a patch document of the given media type to `doc` (which it may modify). */
export async function patchDocument(
  _ctx: ApiContext,
  _t: Target,
  doc: Obj,
  type: string,
  raw: Buffer,
  _query: URLSearchParams,
): Promise<Obj> {
  switch (type) {
    case 'application/merge-patch+json':
      return mergePatch(doc, parseJson(raw)) as Obj;
    default:
      throw new K8tsError(
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      );
  }
}

export async function applyPatch(
  ctx: ApiContext,
  t: Target,
  contentType: string | undefined,
  raw: Buffer,
  opts: WriteOptions & { subresource?: string },
  query: URLSearchParams,
): Promise<Obj> {
  const type = mediaType(contentType);
  if (raw.length === 0) throw new K8tsError('BadRequest', 'the patch body is empty');
  return updateObject(
    ctx,
    t,
    async (current) => {
      const rv = current.metadata.resourceVersion;
      const patched = checkBody(t, await patchDocument(ctx, t, current, type, raw, query));
      // A patch carries a precondition only if it sets resourceVersion itself.
      if (patched.metadata.resourceVersion === rv) delete patched.metadata.resourceVersion;
      return patched;
    },
    opts,
  );
}
