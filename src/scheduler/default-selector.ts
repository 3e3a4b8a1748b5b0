// Upstream's helper.DefaultSelector: the labels a pod's workload spreads by, for default topology
// spread constraints. Selectors of the Services in the pod's namespace that select it are merged; the
// controller owning the pod (ReplicationController, ReplicaSet, StatefulSet) adds its own selector.
import { matchesLabelSelector } from '../api/labels.js';
import type { Obj, Pod } from './types.js';

export interface WorkloadListers {
  services(namespace: string): Obj[];
  /** The object of `kind` (ReplicationController, ReplicaSet, StatefulSet) named so, if known. */
  get(kind: string, namespace: string, name: string): Obj | undefined;
}

const CONTROLLER_KINDS: Record<string, string> = {
  'v1/ReplicationController': 'ReplicationController',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'apps/v1/StatefulSet': 'StatefulSet',
};

/** A LabelSelector, or undefined when nothing selects the pod (then it gets no default constraints). */
export function defaultSelector(pod: Pod, listers: WorkloadListers): Obj | undefined {
  const ns = pod.metadata?.namespace ?? '';
  const labels: Record<string, string> = pod.metadata?.labels ?? {};
  const matchLabels: Record<string, string> = {};
  const matchExpressions: Obj[] = [];
  for (const svc of listers.services(ns)) {
    const sel = svc.spec?.selector;
    if (!sel || Object.keys(sel).length === 0) continue;
    if (matchesLabelSelector({ matchLabels: sel }, labels)) Object.assign(matchLabels, sel);
  }
  const owner = (pod.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller);
  const kind = owner && CONTROLLER_KINDS[`${owner.apiVersion}/${owner.kind}`];
  if (kind) {
    const ctl = listers.get(kind, ns, owner.name);
    if (kind === 'ReplicationController') Object.assign(matchLabels, ctl?.spec?.selector ?? {});
    else if (ctl?.spec?.selector) {
      Object.assign(matchLabels, ctl.spec.selector.matchLabels ?? {});
      matchExpressions.push(...(ctl.spec.selector.matchExpressions ?? []));
    }
  }
  if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) return undefined;
  return matchExpressions.length ? { matchLabels, matchExpressions } : { matchLabels };
}
