// Admission defaults applied to a new Pod (not to templates): upstream's DefaultTolerationSeconds plugin and
// the defaulting part of the ServiceAccount plugin (the projected token volume waits for kubelet volumes).
import type { Obj } from '../types.js';

/** Upstream's --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;
const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

/** Adds 300 s NoExecute tolerations for not-ready and unreachable unless the pod already tolerates them. */
export function addDefaultTolerationSeconds(spec: Obj): void {
  const tolerations: Obj[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const covers = (key: string) =>
    tolerations.some((t) => (t?.key === key || !t?.key) && (t?.effect === 'NoExecute' || !t?.effect));
  const added: Obj[] = [];
  for (const key of [NOT_READY, UNREACHABLE])
    if (!covers(key))
      added.push({
        key,
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: DEFAULT_TOLERATION_SECONDS,
      });
  if (added.length > 0) spec.tolerations = [...tolerations, ...added];
}

/** spec.serviceAccountName defaults to the deprecated spec.serviceAccount, then to `default`. */
export function defaultServiceAccountName(spec: Obj): void {
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
}
