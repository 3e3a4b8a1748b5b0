// The files of configMap, secret, downwardAPI and projected volumes (upstream's MakePayload of each
// plugin): every key, or the listed items (key, path, mode); defaultMode otherwise; a missing object or
// key fails the setup unless the source is optional, worded as upstream's kubelet reports it.
import { ContainerConfigError, fieldRefValue, resourceFieldValue } from '../env.js';
import type { Obj } from '../refs.js';
import { fileMode, type Payload, VolumeSetupError } from './paths.js';

export interface VolumeSources {
  /** The object from the API server, or undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<Obj | undefined>;
  secret(namespace: string, name: string): Promise<Obj | undefined>;
  /** A service account token bound to the pod (cached and refreshed by the caller). */
  token(pod: Obj, audience: string, expirationSeconds: number): Promise<string>;
  nodeAllocatable(): Record<string, string>;
  /** Drops what was cached for a pod that is gone (its tokens). */
  forget?(uid: string): void;
  /** A PersistentVolumeClaim and a PersistentVolume, undefined when missing (persistentVolumeClaim volumes). */
  persistentVolumeClaim?(namespace: string, name: string): Promise<Obj | undefined>;
  persistentVolume?(name: string): Promise<Obj | undefined>;
}

type Entries = Map<string, Buffer>;

function keyedPayload(
  out: Payload,
  entries: Entries,
  src: Obj,
  defaultMode: unknown,
  missingKey: (key: string) => string,
): void {
  const items: Obj[] = Array.isArray(src.items) ? src.items : [];
  if (items.length === 0) {
    for (const [key, data] of entries) out.set(key, { data, mode: fileMode(undefined, defaultMode) });
    return;
  }
  for (const item of items) {
    const data = entries.get(item.key);
    if (data === undefined) {
      if (src.optional === true) continue;
      throw new VolumeSetupError(missingKey(item.key));
    }
    out.set(item.path, { data, mode: fileMode(item.mode, defaultMode) });
  }
}

async function configMapPayload(out: Payload, pod: Obj, src: Obj, defaultMode: unknown, s: VolumeSources) {
  const cm = await s.configMap(pod.metadata.namespace, src.name ?? '');
  if (!cm) {
    if (src.optional === true) return;
    throw new VolumeSetupError(`configmap "${src.name ?? ''}" not found`);
  }
  const entries: Entries = new Map();
  for (const [k, v] of Object.entries<string>(cm.data ?? {})) entries.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries<string>(cm.binaryData ?? {})) entries.set(k, Buffer.from(v, 'base64'));
  keyedPayload(out, entries, src, defaultMode, (k) => `configmap references non-existent config key: ${k}`);
}

async function secretPayload(
  out: Payload,
  pod: Obj,
  src: Obj,
  name: string,
  defaultMode: unknown,
  s: VolumeSources,
) {
  const secret = await s.secret(pod.metadata.namespace, name);
  if (!secret) {
    if (src.optional === true) return;
    throw new VolumeSetupError(`secret "${name}" not found`);
  }
  const entries: Entries = new Map();
  for (const [k, v] of Object.entries<string>(secret.data ?? {})) entries.set(k, Buffer.from(v, 'base64'));
  keyedPayload(out, entries, src, defaultMode, (k) => `references non-existent secret key: ${k}`);
}

function downwardAPIPayload(out: Payload, pod: Obj, src: Obj, defaultMode: unknown, s: VolumeSources): void {
  for (const item of Array.isArray(src.items) ? (src.items as Obj[]) : []) {
    let value: string;
    try {
      if (item.fieldRef) {
        value = fieldRefValue(pod, item.fieldRef.fieldPath ?? '', {
          nodeAllocatable: {},
          hostIP: '',
          hostIPs: [],
          podIP: '',
          podIPs: [],
        });
      } else if (item.resourceFieldRef) {
        const ref = item.resourceFieldRef;
        const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as Obj[];
        const container = all.find((c) => c.name === ref.containerName);
        if (!container)
          throw new VolumeSetupError(`container ${JSON.stringify(ref.containerName)} not found`);
        value = resourceFieldValue(container, ref, {
          nodeAllocatable: s.nodeAllocatable(),
          hostIP: '',
          hostIPs: [],
          podIP: '',
          podIPs: [],
        });
      } else continue;
    } catch (err) {
      if (err instanceof ContainerConfigError) throw new VolumeSetupError(err.message);
      throw err;
    }
    out.set(item.path, { data: Buffer.from(value, 'utf8'), mode: fileMode(item.mode, defaultMode) });
  }
}

/** The files one volume holds, or undefined for a volume that is not made of API data. */
export async function apiDataPayload(pod: Obj, volume: Obj, s: VolumeSources): Promise<Payload | undefined> {
  const out: Payload = new Map();
  if (volume.configMap) {
    await configMapPayload(out, pod, volume.configMap, volume.configMap.defaultMode, s);
  } else if (volume.secret) {
    const src = volume.secret;
    await secretPayload(out, pod, src, src.secretName ?? '', src.defaultMode, s);
  } else if (volume.downwardAPI) {
    downwardAPIPayload(out, pod, volume.downwardAPI, volume.downwardAPI.defaultMode, s);
  } else if (volume.projected) {
    const mode = volume.projected.defaultMode;
    for (const source of (volume.projected.sources ?? []) as Obj[]) {
      if (source.configMap) await configMapPayload(out, pod, source.configMap, mode, s);
      else if (source.secret) await secretPayload(out, pod, source.secret, source.secret.name ?? '', mode, s);
      else if (source.downwardAPI) downwardAPIPayload(out, pod, source.downwardAPI, mode, s);
      else if (source.serviceAccountToken) {
        const t = source.serviceAccountToken;
        const token = await s.token(pod, t.audience ?? '', t.expirationSeconds ?? 3600);
        out.set(t.path, { data: Buffer.from(token, 'utf8'), mode: fileMode(undefined, mode) });
      }
    }
  } else return undefined;
  return out;
}
