import { list } from '../guards.js';
// Upstream defaulting for PodSpec and everything inside it (pkg/apis/core/v1/defaults.go plus the generated
// zz_generated.defaults.go walk), shared by Pod and every pod template (Deployment, Job, ...).
import type { Obj } from '../types.js';

/** Upstream's parsers.ParseImageName tag part: "latest" when neither a tag nor a digest is given. */
export function imageTag(image: string): string {
  if (image.includes('@')) return '';
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  return lastColon > lastSlash ? image.slice(lastColon + 1) : 'latest';
}

function defaultHTTPGet(h: Obj | undefined): void {
  if (!h) return;
  h.path ||= '/';
  h.scheme ||= 'HTTP';
}

function defaultHandler(h: Obj | undefined): void {
  if (!h) return;
  defaultHTTPGet(h.httpGet);
  if (h.grpc) h.grpc.service ??= '';
}

function defaultProbe(p: Obj | undefined): void {
  if (!p) return;
  p.timeoutSeconds ||= 1;
  p.periodSeconds ||= 10;
  p.successThreshold ||= 1;
  p.failureThreshold ||= 3;
  defaultHandler(p);
}

function defaultFieldRef(ref: Obj | undefined): void {
  if (ref) ref.apiVersion ||= 'v1';
}

function defaultResourceFieldRef(ref: Obj | undefined): void {
  void ref; // divisor defaults to 0 implicitly; upstream sets nothing visible here.
}

export function defaultContainer(c: Obj): void {
  if (!c || typeof c !== 'object') return;
  if (!c.imagePullPolicy)
    c.imagePullPolicy = imageTag(String(c.image ?? '')) === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  for (const p of list(c.ports)) if (p && !p.protocol) p.protocol = 'TCP';
  for (const e of list(c.env)) {
    defaultFieldRef(e?.valueFrom?.fieldRef);
    defaultResourceFieldRef(e?.valueFrom?.resourceFieldRef);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (c.lifecycle) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
}

function defaultDownwardAPIItems(items: any[] | undefined): void {
  for (const it of list(items)) defaultFieldRef(it?.fieldRef);
}

const volumeSourceKeys = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

export function volumeSources(v: Obj): string[] {
  return volumeSourceKeys.filter((k) => v?.[k] !== undefined && v[k] !== null);
}

export function defaultVolume(v: Obj): void {
  if (!v || typeof v !== 'object') return;
  if (volumeSources(v).length === 0) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= 420;
  if (v.configMap) v.configMap.defaultMode ??= 420;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= 420;
    defaultDownwardAPIItems(v.downwardAPI.items);
  }
  if (v.projected) {
    v.projected.defaultMode ??= 420;
    for (const s of list(v.projected.sources)) {
      if (s?.serviceAccountToken) s.serviceAccountToken.expirationSeconds ??= 3600;
      if (s?.downwardAPI) defaultDownwardAPIItems(s.downwardAPI.items);
    }
  }
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.iscsi) v.iscsi.iscsiInterface ||= 'default';
  if (v.rbd) {
    v.rbd.pool ||= 'rbd';
    v.rbd.user ||= 'admin';
    v.rbd.keyring ||= '/etc/ceph/keyring';
  }
  if (v.azureDisk) {
    v.azureDisk.cachingMode ??= 'ReadWrite';
    v.azureDisk.kind ??= 'Shared';
    v.azureDisk.fsType ??= 'ext4';
    v.azureDisk.readOnly ??= false;
  }
  if (v.scaleIO) {
    v.scaleIO.storageMode ||= 'ThinProvisioned';
    v.scaleIO.fsType ||= 'xfs';
  }
  const claimSpec = v.ephemeral?.volumeClaimTemplate?.spec;
  if (claimSpec) defaultPersistentVolumeClaimSpec(claimSpec);
}

export function defaultPersistentVolumeClaimSpec(spec: Obj): void {
  spec.volumeMode ??= 'Filesystem';
}

/** With host networking, container ports default their hostPort to the containerPort. */
function defaultHostNetworkPorts(containers: any[] | undefined): void {
  for (const c of list(containers))
    for (const p of list(c?.ports)) if (p && !p.hostPort && p.containerPort) p.hostPort = p.containerPort;
}

/**
 * Defaults a PodSpec in place. `isPod` selects the extras upstream applies only to Pod objects (not to
 * templates): enableServiceLinks, requests copied from limits, hostNetwork hostPorts.
 */
export function defaultPodSpec(spec: Obj, isPod: boolean): void {
  if (!spec || typeof spec !== 'object') return;
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.restartPolicy ||= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ||= 'default-scheduler';
  for (const v of list(spec.volumes)) defaultVolume(v);
  for (const c of list(spec.initContainers)) defaultContainer(c);
  for (const c of list(spec.containers)) defaultContainer(c);
  for (const c of list(spec.ephemeralContainers)) defaultContainer(c);
  if (isPod) {
    spec.enableServiceLinks ??= true;
    for (const c of [...list(spec.containers), ...list(spec.initContainers)]) defaultRequestsFromLimits(c);
    for (const c of list(spec.containers)) defaultResizePolicy(c);
    if (spec.hostNetwork) {
      defaultHostNetworkPorts(spec.containers);
      defaultHostNetworkPorts(spec.initContainers);
    }
  }
}

/** Pods only: a resource with a limit but no request gets the limit as its request. */
function defaultRequestsFromLimits(c: Obj): void {
  const limits = c?.resources?.limits;
  if (!limits || typeof limits !== 'object') return;
  c.resources.requests ??= {};
  for (const [k, v] of Object.entries(limits)) if (!(k in c.resources.requests)) c.resources.requests[k] = v;
}

/**
 * Pods only, regular containers (InPlacePodVerticalScaling, on in 1.33): cpu and memory requests get a
 * NotRequired resize policy unless one is given.
 */
function defaultResizePolicy(c: Obj): void {
  const requests = c?.resources?.requests;
  if (!requests || typeof requests !== 'object') return;
  const given = new Set(list(c.resizePolicy).map((p: any) => p?.resourceName));
  for (const r of ['cpu', 'memory'])
    if (r in requests && !given.has(r)) {
      c.resizePolicy = [...list(c.resizePolicy), { resourceName: r, restartPolicy: 'NotRequired' }];
    }
}

/** Defaults a PodTemplateSpec (the `template` of a workload). */
export function defaultPodTemplate(template: Obj | undefined): void {
  if (!template || typeof template !== 'object') return;
  template.spec ??= {};
  defaultPodSpec(template.spec, false);
}
