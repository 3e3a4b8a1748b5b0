// One static pod manifest file turned into the pod the kubelet runs, as upstream's file source does
// (pkg/kubelet/config/common.go): the first YAML or JSON document must be a v1 Pod; it gets the API server's
// defaults (the registry's), a uid hashed from the node, the file's path and the defaulted object (kept when
// the file sets one), the name `<name>-<node>`, namespace `default` when unset, spec.nodeName, a toleration
// of every NoExecute taint, the `kubernetes.io/config.hash` and `config.source: file` annotations, and is
// validated as the API server would validate it.
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { errorString } from '../../api/field.js';
import { computePodQOS } from '../../api/qos.js';
import { pods as podDef } from '../../api/resources/pod.js';
import { validateObjectMeta } from '../../api/validation.js';
import { canonical } from '../pod-status.js';
import type { Obj } from '../refs.js';

export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** A manifest that is not a valid pod; the message says why, as upstream logs it. */
export class ManifestError extends Error {}

export function isStaticPod(pod: Obj | undefined): boolean {
  return pod?.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION] === 'file';
}

export function isMirrorPod(pod: Obj | undefined): boolean {
  return pod?.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
}

/** `namespace/name`: how a static pod and its mirror pod find each other. */
export function podFullName(pod: Obj): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function staticPodHash(pod: Obj): string {
  return pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? '';
}

/** The first document of a YAML (or JSON) text: upstream decodes only that one. */
function firstDocument(text: string): unknown {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return undefined; // an empty stream
  const doc = docs[0];
  if (!doc) return undefined;
  if (doc.errors.length > 0) throw new ManifestError(doc.errors[0].message);
  return doc.toJS();
}

function addNoExecuteToleration(spec: Obj): void {
  const tolerations: Obj[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const all = tolerations.some((t) => !t?.key && t?.operator === 'Exists' && t?.effect === 'NoExecute');
  if (!all) spec.tolerations = [...tolerations, { operator: 'Exists', effect: 'NoExecute' }];
}

/**
 * The pod a manifest describes, ready to run on nodeName. path is the file's path (part of the uid, so
 * the same manifest in two files is two pods). Throws ManifestError for anything that is not a valid pod.
 */
export function staticPodFromManifest(text: string, path: string, nodeName: string): Obj {
  let obj: unknown;
  try {
    obj = firstDocument(text);
  } catch (err) {
    throw new ManifestError(`couldn't parse as pod(${(err as Error).message}), please check manifest file`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj))
    throw new ManifestError("couldn't parse as pod(Object 'Kind' is missing), please check manifest file");
  const pod = structuredClone(obj) as Obj;
  if (pod.kind !== 'Pod' || (pod.apiVersion !== 'v1' && pod.apiVersion !== undefined))
    throw new ManifestError(
      `couldn't parse as pod(invalid pod: kind ${JSON.stringify(pod.kind)} apiVersion ${JSON.stringify(pod.apiVersion)}), please check manifest file`,
    );
  pod.apiVersion = 'v1';
  pod.metadata = pod.metadata && typeof pod.metadata === 'object' ? pod.metadata : {};
  pod.spec = pod.spec && typeof pod.spec === 'object' ? pod.spec : {};
  delete pod.status;
  podDef.defaults?.(pod);
  const meta = pod.metadata;
  if (!meta.uid) {
    const h = createHash('md5');
    h.update(`host:${nodeName}`);
    h.update(`file:${path}`);
    h.update(canonical(pod));
    meta.uid = h.digest('hex');
  }
  if (meta.name) meta.name = `${meta.name}-${nodeName.toLowerCase()}`;
  meta.namespace ||= 'default';
  pod.spec.nodeName = nodeName;
  meta.annotations = { ...(meta.annotations ?? {}) };
  meta.annotations[CONFIG_HASH_ANNOTATION] = String(meta.uid);
  meta.annotations[CONFIG_SOURCE_ANNOTATION] = 'file';
  addNoExecuteToleration(pod.spec);
  const errs = [...validateObjectMeta(pod, podDef), ...(podDef.validate?.(pod) ?? [])];
  if (errs.length > 0) throw new ManifestError(`invalid pod: [${errs.map(errorString).join(', ')}]`);
  pod.status = { phase: 'Pending', qosClass: computePodQOS(pod) };
  return pod;
}
