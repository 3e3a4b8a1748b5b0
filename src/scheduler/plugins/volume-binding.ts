// VolumeBinding (upstream's plugin, the parts a local cluster needs): a pod's persistentVolumeClaim volumes
// must name claims that exist and are not being deleted; a claim still unbound must have a
// WaitForFirstConsumer class (an unbound Immediate claim waits for its binder); a bound claim's volume must
// allow the node (its nodeAffinity). The binder step (volumeBinder) records the chosen node on the pod's
// unbound delayed claims (volume.kubernetes.io/selected-node), so their provisioner makes the volume on that
// node, and binds the pod once they are bound.
import type { Binder, Obj, Plugin, Pod } from '../types.js';
import { Status } from '../types.js';
import { termMatches } from './node-affinity.js';

export const VOLUME_BINDING = 'VolumeBinding';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';

/** The claims, volumes and classes the scheduler's informers hold. */
export interface VolumeLookup {
  claim(namespace: string, name: string): Obj | undefined;
  volume(name: string): Obj | undefined;
  storageClass(name: string): Obj | undefined;
}

function claimNames(pod: Pod): string[] {
  return ((pod.spec?.volumes ?? []) as Obj[])
    .map((v) => v?.persistentVolumeClaim?.claimName)
    .filter((n): n is string => typeof n === 'string' && n !== '');
}

function claimClassName(pvc: Obj): string {
  return (
    pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pvc.spec?.storageClassName ?? ''
  );
}

/** The pod's unbound claims whose class waits for the first consumer (the scheduler picks their node). */
export function delayedClaims(pod: Pod, lookup: VolumeLookup): Obj[] {
  const out: Obj[] = [];
  for (const name of claimNames(pod)) {
    const pvc = lookup.claim(pod.metadata.namespace, name);
    if (!pvc || pvc.spec?.volumeName) continue;
    if (lookup.storageClass(claimClassName(pvc))?.volumeBindingMode === 'WaitForFirstConsumer') out.push(pvc);
  }
  return out;
}

const STATE_KEY = 'VolumeBinding/boundVolumes';

export function volumeBinding(lookup: VolumeLookup | undefined): Plugin {
  return {
    name: VOLUME_BINDING,
    preFilter(state, pod) {
      const names = claimNames(pod);
      if (names.length === 0 || !lookup) return undefined;
      const bound: Obj[] = [];
      for (const name of names) {
        const pvc = lookup.claim(pod.metadata.namespace, name);
        if (!pvc) return Status.unresolvable(`persistentvolumeclaim "${name}" not found`);
        if (pvc.metadata?.deletionTimestamp)
          return Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
        if (pvc.spec?.volumeName) {
          const pv = lookup.volume(pvc.spec.volumeName);
          if (!pv) return Status.unresolvable(`persistentvolume "${pvc.spec.volumeName}" not found`);
          bound.push(pv);
          continue;
        }
        if (lookup.storageClass(claimClassName(pvc))?.volumeBindingMode !== 'WaitForFirstConsumer')
          return Status.unresolvable('pod has unbound immediate PersistentVolumeClaims');
      }
      state.set(STATE_KEY, bound);
      return undefined;
    },
    filter(state, _pod, _pi, node) {
      const bound = state.get(STATE_KEY) as Obj[] | undefined;
      for (const pv of bound ?? []) {
        const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
        if (Array.isArray(terms) && !terms.some((t) => termMatches(t, node.node)))
          return Status.unresolvable('node(s) had volume node affinity conflict');
      }
      return undefined;
    },
  };
}

/** Patches a claim's annotations (a merge patch through the API server). */
export type ClaimPatcher = (
  namespace: string,
  name: string,
  annotations: Record<string, string>,
) => Promise<void>;

/** How long the binder waits for the pod's delayed claims to be bound (upstream's bind timeout: 10 min). */
export const VOLUME_BIND_TIMEOUT_MS = 600_000;
const VOLUME_BIND_POLL_MS = 100;

export interface VolumeBinderOptions {
  patchClaim: ClaimPatcher;
  /** Resolves after ms (the scheduler's clock). */
  sleep(ms: number): Promise<void>;
  timeoutMs?: number;
}

/**
 * Records the chosen node on the pod's delayed claims, waits until their provisioner and binder have bound
 * them (upstream's PreBind), then binds the pod with the inner binder.
 */
export function volumeBinder(inner: Binder, lookup: VolumeLookup, o: VolumeBinderOptions): Binder {
  return {
    name: inner.name,
    async bind(pod, nodeName) {
      const delayed = delayedClaims(pod, lookup);
      for (const pvc of delayed) {
        if (pvc.metadata.annotations?.[ANN_SELECTED_NODE] === nodeName) continue;
        try {
          await o.patchClaim(pvc.metadata.namespace, pvc.metadata.name, { [ANN_SELECTED_NODE]: nodeName });
        } catch (err) {
          return Status.error(`binding volumes: ${(err as Error).message}`);
        }
      }
      const timeout = o.timeoutMs ?? VOLUME_BIND_TIMEOUT_MS;
      for (let waited = 0; delayed.length > 0; waited += VOLUME_BIND_POLL_MS) {
        const unbound = delayed.filter(
          (c) => !lookup.claim(c.metadata.namespace, c.metadata.name)?.spec?.volumeName,
        );
        if (unbound.length === 0) break;
        if (waited >= timeout)
          return Status.error(
            `binding volumes: timed out waiting for the condition (claims ${unbound.map((c) => c.metadata.name).join(', ')} not bound)`,
          );
        await o.sleep(VOLUME_BIND_POLL_MS);
      }
      return inner.bind(pod, nodeName);
    },
  };
}
