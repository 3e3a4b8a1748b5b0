// Admission defaults applied to a new Pod (not to templates): upstream's DefaultTolerationSeconds plugin and
// the ServiceAccount plugin (serviceAccountName defaulted, the projected API access volume mounted).
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

/** Where upstream's ServiceAccount admission mounts the API credentials in every container. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The ConfigMap the root-ca-cert-publisher keeps in every namespace. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** Upstream's WarnOnlyBoundTokenExpirationSeconds: 1 h plus 7 s, so the token is recognised as defaulted. */
export const API_ACCESS_TOKEN_SECONDS = 3607;
// The alphabet of upstream's generated name suffixes (no vowels, no look-alike digits).
const SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * Whether the pod gets the API credentials mounted: the pod's automountServiceAccountToken wins, then the
 * ServiceAccount's, and the default is yes.
 */
export function shouldAutomountToken(spec: Obj, serviceAccount: Obj | undefined): boolean {
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  if (typeof serviceAccount?.automountServiceAccountToken === 'boolean')
    return serviceAccount.automountServiceAccountToken;
  return true;
}

/** The projected `kube-api-access-xxxxx` volume: a bound token, the cluster CA and the namespace. */
export function apiAccessVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: API_ACCESS_TOKEN_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  };
}

/**
 * Adds the API access volume and a read-only mount of it in every init and app container that does not
 * already mount something at the service account path (upstream's ServiceAccount admission). Returns the
 * volume's name, or undefined when nothing needed it.
 */
export function mountServiceAccountToken(spec: Obj, random: () => number = Math.random): string | undefined {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[];
  const needing = containers.filter(
    (c) => !(c.volumeMounts ?? []).some((m: Obj) => m?.mountPath === SERVICE_ACCOUNT_MOUNT_PATH),
  );
  if (needing.length === 0) return undefined;
  const taken = new Set((spec.volumes ?? []).map((v: Obj) => v?.name));
  let name: string;
  do {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += SUFFIX_CHARS[Math.floor(random() * SUFFIX_CHARS.length)];
    name = `kube-api-access-${suffix}`;
  } while (taken.has(name));
  spec.volumes = [...(spec.volumes ?? []), apiAccessVolume(name)];
  for (const c of needing)
    c.volumeMounts = [
      ...(c.volumeMounts ?? []),
      { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH },
    ];
  return name;
}
