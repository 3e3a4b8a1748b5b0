// The kubelet's volume manager: before a pod's containers start, each of its volumes is set up under
// `<dataDir>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>` (hostPath volumes stay where they are);
// each container's volumeMounts become CRI mounts (subPath, subPathExpr, readOnly, propagation). API data
// volumes (configMap, secret, downwardAPI, projected) are rewritten as soon as what they show changes (the
// caller reports watched ConfigMap and Secret edits through refreshPods; a label or annotation change of the
// pod rewrites its downward API files) and every refresh period (upstream's sync period, 1 min) from the
// cached objects, which renews tokens. When the pod is gone its tmpfs mounts are unmounted and the
// directory removed. One pod's setups never overlap (a chain per pod uid).
import { chmodSync, mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseQuantity, quantityToNumber } from '../../api/quantity.js';
import type { Clock, Logger } from '../../client/index.js';
import type { Mount, MountPropagation } from '../../runtime/cri/types.js';
import { expandVars } from '../env.js';
import type { Obj } from '../refs.js';
import { writeAtomic } from './atomic-writer.js';
import { checkHostPathType } from './hostpath.js';
import { cleanPath, VolumeSetupError } from './paths.js';
import { apiDataPayload, type VolumeSources } from './sources.js';
import { isMountPoint, mountsBelow, mountTmpfs, unmount } from './tmpfs.js';

/** How often API data volumes are rewritten anyway (upstream: the sync period, 1 min); edits come sooner. */
export const DEFAULT_REFRESH_MS = 60_000;

/** One volume that could not be set up, with upstream's wording of why. */
export interface MountFailure {
  volume: string;
  message: string;
}

export class VolumeSetupFailed extends Error {
  constructor(readonly failures: MountFailure[]) {
    super(failures.map((f) => `${f.volume}: ${f.message}`).join('; '));
  }
}

/** PersistentVolume spec fields that are not a volume source. */
const NON_SOURCE_PV_FIELDS = new Set([
  'capacity',
  'accessModes',
  'claimRef',
  'persistentVolumeReclaimPolicy',
  'storageClassName',
  'mountOptions',
  'volumeMode',
  'nodeAffinity',
  'volumeAttributesClassName',
]);

const API_DATA_KINDS = ['configMap', 'secret', 'downwardAPI', 'projected'] as const;

function pluginOf(volume: Obj): string | undefined {
  if (volume.emptyDir) return 'empty-dir';
  if (volume.configMap) return 'configmap';
  if (volume.secret) return 'secret';
  if (volume.downwardAPI) return 'downward-api';
  if (volume.projected) return 'projected';
  return undefined;
}

export function isApiDataVolume(volume: Obj): boolean {
  return API_DATA_KINDS.some((k) => volume[k]);
}

function propagationOf(mode: unknown): MountPropagation {
  if (mode === 'HostToContainer') return 'PROPAGATION_HOST_TO_CONTAINER';
  if (mode === 'Bidirectional') return 'PROPAGATION_BIDIRECTIONAL';
  return 'PROPAGATION_PRIVATE';
}

export interface VolumeManagerDeps {
  dataDir: string;
  sources: VolumeSources;
  clock: Clock;
  log: Logger;
  refreshMs?: number;
  /** Secret and projected volumes on their own tmpfs, as upstream, so secrets never reach the disk. */
  memoryBackedSecrets?: boolean;
  /** Called with pods whose refresh failed or that own tokens (tests and logs). */
  onRefreshError?(pod: Obj, err: unknown): void;
}

export class VolumeManager {
  /** The latest pod object of every pod whose volumes are set up. */
  private readonly pods = new Map<string, Obj>();
  private readonly chains = new Map<string, Promise<unknown>>();
  /** `<pod uid>/<volume>` -> the node path of the PersistentVolume its claim is bound to. */
  private readonly claimPaths = new Map<string, string>();
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private stopped = false;

  constructor(private readonly d: VolumeManagerDeps) {}

  podDir(uid: string): string {
    return join(this.d.dataDir, 'pods', uid);
  }

  /** Where a volume's files are on the node. */
  volumePath(pod: Obj, volume: Obj): string {
    if (volume.hostPath) return volume.hostPath.path;
    if (volume.persistentVolumeClaim) return this.claimPaths.get(`${pod.metadata.uid}/${volume.name}`) ?? '';
    const plugin = pluginOf(volume) ?? 'unsupported';
    return join(this.podDir(pod.metadata.uid), 'volumes', `kubernetes.io~${plugin}`, volume.name);
  }

  private serialized<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(uid) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.chains.set(uid, next);
    void next
      .finally(() => {
        if (this.chains.get(uid) === next) this.chains.delete(uid);
      })
      .catch(() => {});
    return next;
  }

  /** Sets up every volume of the pod; throws VolumeSetupFailed naming the ones that could not be. */
  setUp(pod: Obj): Promise<void> {
    const uid = pod.metadata.uid;
    return this.serialized(uid, async () => {
      if (this.stopped) return;
      this.pods.set(uid, pod);
      const failures: MountFailure[] = [];
      for (const volume of (pod.spec?.volumes ?? []) as Obj[]) {
        try {
          await this.setUpOne(pod, volume);
        } catch (err) {
          failures.push({ volume: volume.name, message: (err as Error).message });
        }
      }
      if (failures.length > 0) throw new VolumeSetupFailed(failures);
    });
  }

  private async setUpOne(pod: Obj, volume: Obj): Promise<void> {
    const dir = this.volumePath(pod, volume);
    if (volume.hostPath) {
      checkHostPathType(volume.hostPath.path, volume.hostPath.type);
      return;
    }
    if (volume.persistentVolumeClaim) {
      this.claimPaths.set(`${pod.metadata.uid}/${volume.name}`, await this.claimPath(pod, volume));
      return;
    }
    if (volume.emptyDir) {
      const medium = volume.emptyDir.medium ?? '';
      if (medium !== '' && medium !== 'Memory')
        throw new VolumeSetupError(
          `emptyDir medium ${JSON.stringify(medium)} is not supported by this kubelet`,
        );
      mkdirSync(dir, { recursive: true });
      if (medium === 'Memory' && !(await isMountPoint(dir))) {
        const q = volume.emptyDir.sizeLimit ? parseQuantity(String(volume.emptyDir.sizeLimit)) : undefined;
        await mountTmpfs(dir, q ? Math.ceil(quantityToNumber(q)) : undefined, '0777');
      }
      chmodSync(dir, 0o777); // upstream's emptyDir permissions: any container user may write
      return;
    }
    if (isApiDataVolume(volume)) {
      const payload = await apiDataPayload(pod, volume, this.d.sources);
      if (this.d.memoryBackedSecrets && (volume.secret || volume.projected)) {
        mkdirSync(dir, { recursive: true });
        if (!(await isMountPoint(dir))) await mountTmpfs(dir, undefined);
      }
      writeAtomic(dir, payload!, new Date(this.d.clock.now()));
      return;
    }
    const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
    throw new VolumeSetupError(`volume type ${kind} is not supported by this kubelet`);
  }

  /** The node path behind a persistentVolumeClaim volume: its bound volume's hostPath or local path. */
  private async claimPath(pod: Obj, volume: Obj): Promise<string> {
    const ns: string = pod.metadata.namespace;
    const claimName = String(volume.persistentVolumeClaim.claimName ?? '');
    const s = this.d.sources;
    if (!s.persistentVolumeClaim || !s.persistentVolume)
      throw new VolumeSetupError('persistentVolumeClaim volumes are not supported by this kubelet');
    const pvc = await s.persistentVolumeClaim(ns, claimName);
    if (!pvc) throw new VolumeSetupError(`persistentvolumeclaim "${claimName}" not found`);
    const pvName: string | undefined = pvc.spec?.volumeName;
    if (!pvName || pvc.status?.phase !== 'Bound')
      throw new VolumeSetupError(`error processing PVC ${ns}/${claimName}: PVC is not bound`);
    const pv = await s.persistentVolume(pvName);
    if (!pv)
      throw new VolumeSetupError(
        `error processing PVC ${ns}/${claimName}: failed to fetch PV ${pvName} from API server: persistentvolumes "${pvName}" not found`,
      );
    if (pv.spec?.hostPath?.path) {
      checkHostPathType(pv.spec.hostPath.path, pv.spec.hostPath.type);
      return pv.spec.hostPath.path;
    }
    if (pv.spec?.local?.path) {
      checkHostPathType(pv.spec.local.path, 'Directory');
      return pv.spec.local.path;
    }
    const kind = Object.keys(pv.spec ?? {}).find((k) => !NON_SOURCE_PV_FIELDS.has(k)) ?? 'unknown';
    throw new VolumeSetupError(
      `volume type ${kind} of PersistentVolume ${pvName} is not supported by this kubelet`,
    );
  }

  knows(uid: string): boolean {
    return this.pods.has(uid);
  }

  /** Records the latest pod object; changed labels or annotations rewrite its downward API files. */
  observe(pod: Obj): void {
    const uid = pod.metadata.uid;
    const prev = this.pods.get(uid);
    if (!prev) return;
    this.pods.set(uid, pod);
    const shown = (p: Obj) => JSON.stringify([p.metadata?.labels ?? {}, p.metadata?.annotations ?? {}]);
    if (shown(prev) !== shown(pod)) void this.refreshPods([uid]);
  }

  /**
   * The CRI mounts of one container. env is the container's resolved environment (for subPathExpr).
   * Throws VolumeSetupError for a subPath that leaves its volume.
   */
  mounts(pod: Obj, container: Obj, env: { key: string; value: string }[] = []): Mount[] {
    const volumes = new Map<string, Obj>(((pod.spec?.volumes ?? []) as Obj[]).map((v) => [v.name, v]));
    const vars = new Map(env.map((e) => [e.key, e.value]));
    const out: Mount[] = [];
    for (const vm of (container.volumeMounts ?? []) as Obj[]) {
      const volume = volumes.get(vm.name);
      if (!volume) throw new VolumeSetupError(`cannot find volume ${JSON.stringify(vm.name)} to mount`);
      const base = this.volumePath(pod, volume);
      let hostPath = base;
      const sub = vm.subPathExpr ? expandVars(vm.subPathExpr, vars) : (vm.subPath ?? '');
      if (sub) {
        const rel = cleanPath(sub);
        if (sub.startsWith('/') || rel.split('/').includes('..'))
          throw new VolumeSetupError(
            `subPath ${JSON.stringify(sub)} must be a relative path inside the volume`,
          );
        hostPath = join(base, rel);
        let exists = true;
        try {
          statSync(hostPath);
        } catch {
          exists = false;
        }
        // A missing subPath is made as a directory with the volume's permissions, as upstream.
        if (!exists) mkdirSync(hostPath, { recursive: true, mode: statSync(base).mode & 0o777 });
        const real = realpathSync(hostPath);
        const realBase = realpathSync(base);
        if (real !== realBase && !real.startsWith(`${realBase}/`))
          throw new VolumeSetupError(
            `subpath ${JSON.stringify(real)} not within volume path ${JSON.stringify(realBase)}`,
          );
      }
      out.push({
        containerPath: vm.mountPath,
        hostPath,
        // API data volumes are always read-only in the container (upstream since 1.10).
        readonly:
          vm.readOnly === true || isApiDataVolume(volume) || volume.persistentVolumeClaim?.readOnly === true,
        selinuxRelabel: false,
        propagation: propagationOf(vm.mountPropagation),
      });
    }
    return out;
  }

  /** Rewrites the API data volumes of every set-up pod; failures keep the previous files. */
  refreshAll(): Promise<void> {
    return this.refreshPods([...this.pods.keys()]);
  }

  /** Rewrites the API data volumes of these pods (an object they use changed); failures keep the files. */
  async refreshPods(uids: Iterable<string>): Promise<void> {
    await Promise.all(
      [...new Set(uids)].map(async (uid) => {
        const pod = this.pods.get(uid);
        if (!pod) return;
        const volumes = ((pod.spec?.volumes ?? []) as Obj[]).filter(isApiDataVolume);
        if (volumes.length === 0) return;
        await this.serialized(uid, async () => {
          const latest = this.pods.get(uid);
          if (!latest || this.stopped) return;
          for (const v of volumes) {
            try {
              await this.setUpOne(latest, v);
            } catch (err) {
              this.d.onRefreshError?.(latest, err);
              this.d.log.warn('volume refresh failed', {
                pod: `${latest.metadata.namespace}/${latest.metadata.name}`,
                volume: v.name,
                error: (err as Error).message,
              });
            }
          }
        });
      }),
    );
  }

  /** Unmounts the pod's tmpfs volumes and removes its directory (the pod's sandboxes are gone). */
  tearDown(uid: string): Promise<void> {
    return this.serialized(uid, async () => {
      this.pods.delete(uid);
      for (const key of this.claimPaths.keys()) if (key.startsWith(`${uid}/`)) this.claimPaths.delete(key);
      this.d.sources.forget?.(uid);
      const dir = this.podDir(uid);
      for (const point of await mountsBelow(dir)) await unmount(point);
      if ((await mountsBelow(dir)).length > 0) {
        this.d.log.warn('pod volumes still mounted, directory kept', { uid });
        return;
      }
      rmSync(dir, { recursive: true, force: true });
    });
  }

  start(): void {
    const period = this.d.refreshMs ?? DEFAULT_REFRESH_MS;
    const tick = () => {
      this.timer = undefined;
      if (this.stopped) return;
      void this.refreshAll()
        .catch(() => {})
        .finally(() => {
          if (!this.stopped) this.timer = this.d.clock.setTimeout(tick, period);
        });
    };
    this.timer = this.d.clock.setTimeout(tick, period);
  }

  stop(): void {
    this.stopped = true;
    this.d.clock.clearTimeout(this.timer);
  }
}
