// Mirror pods (a kubelet's copy of a static pod, marked by the `kubernetes.io/config.mirror` annotation):
// upstream's pod validation (the annotation needs spec.nodeName on create and may never be added, changed or
// removed by an update) and the ServiceAccount admission plugin's limits (a mirror pod may not reference a
// service account, secrets, or service account token projections: the kubelet could not run those without
// the API server, and the spec must stay what the manifest says).

import { forbidden, invalid } from '../field.js';
import { list } from '../guards.js';
import type { FieldError, Obj } from '../types.js';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const FIELD = `metadata.annotations[${MIRROR_POD_ANNOTATION}]`;

export function isMirrorPodObject(pod: Obj | undefined): boolean {
  return typeof pod?.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === 'string';
}

export function validateMirrorPodCreate(pod: Obj): FieldError[] {
  const value = pod?.metadata?.annotations?.[MIRROR_POD_ANNOTATION];
  if (value === undefined || pod?.spec?.nodeName) return [];
  return [invalid(FIELD, value, 'must set spec.nodeName if mirror pod annotation is set')];
}

export function validateMirrorPodUpdate(pod: Obj, old: Obj): FieldError[] {
  const now = pod?.metadata?.annotations?.[MIRROR_POD_ANNOTATION];
  const before = old?.metadata?.annotations?.[MIRROR_POD_ANNOTATION];
  if (now === before) return [];
  if (before === undefined) return [forbidden(FIELD, 'may not add mirror pod annotation')];
  return [forbidden(FIELD, 'may not remove or update mirror pod annotation')];
}

/** Whether anything in the pod names a Secret (upstream's VisitPodSecretNames, all containers). */
export function referencesSecrets(spec: Obj): boolean {
  if (list(spec?.imagePullSecrets).length > 0) return true;
  const containers = [
    ...list(spec?.initContainers),
    ...list(spec?.containers),
    ...list(spec?.ephemeralContainers),
  ];
  for (const c of containers) {
    if (list(c?.envFrom).some((e: Obj) => e?.secretRef)) return true;
    if (list(c?.env).some((e: Obj) => e?.valueFrom?.secretKeyRef)) return true;
  }
  for (const v of list(spec?.volumes)) {
    if (!v) continue;
    if (v.secret || v.azureFile?.secretName) return true;
    if (list(v.projected?.sources).some((s: Obj) => s?.secret)) return true;
    for (const kind of ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos'])
      if (v[kind]?.secretRef) return true;
    if (v.csi?.nodePublishSecretRef) return true;
  }
  return false;
}

/** Why the ServiceAccount admission plugin refuses this mirror pod, or undefined when it does not. */
export function mirrorPodAdmissionError(spec: Obj): string | undefined {
  if (spec?.serviceAccountName) return 'a mirror pod may not reference service accounts';
  if (referencesSecrets(spec)) return 'a mirror pod may not reference secrets';
  for (const v of list(spec?.volumes))
    if (list(v?.projected?.sources).some((s: Obj) => s?.serviceAccountToken))
      return 'a mirror pod may not use ServiceAccountToken volume projections';
  return undefined;
}
