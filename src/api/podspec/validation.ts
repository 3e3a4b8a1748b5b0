// PodSpec validation with upstream's paths and messages (pkg/apis/core/validation: ValidatePodSpec and
// friends). Covers the checks clients commonly trip on; exotic volume plugins get only the shape check.
import { child, duplicate, forbidden, index, invalid, notFound, notSupported, required } from '../field.js';
import { list as asList } from '../guards.js';
import { compareQuantities, isNegative, parseQuantity } from '../quantity.js';
import type { FieldError, Obj } from '../types.js';
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Subdomain,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  validateAnnotations,
  validateDNS1123Label,
  validateEnum,
  validateLabelSelector,
  validateLabels,
  validateNonnegativeField,
  validateQualifiedName,
} from '../validation.js';
import { volumeSources } from './defaults.js';

export interface PodValidationOptions {
  /** True for a Pod object (extra checks such as image whitespace), false for templates. */
  isPod?: boolean;
}

const protocols = ['SCTP', 'TCP', 'UDP'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const fileModeErrorMsg = 'must be a number between 0 and 0777 (octal), both inclusive';
const maxInt32 = 2147483647;

const envFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const volumeFieldPaths = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
];

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** ValidatePortNumOrName for an IntOrString port. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return [invalid(path, port ?? null, 'must be an integer or a port name')];
}

function validateContainerPorts(ports: any[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  asList(ports).forEach((p, i) => {
    const ip = index(path, i);
    if (p?.name) {
      const msgs = isValidPortName(p.name);
      if (msgs.length > 0) for (const m of msgs) errs.push(invalid(child(ip, 'name'), p.name, m));
      else if (names.has(p.name)) errs.push(duplicate(child(ip, 'name'), p.name));
      else names.add(p.name);
    }
    if (!p?.containerPort) errs.push(required(child(ip, 'containerPort')));
    else
      for (const m of isValidPortNum(p.containerPort))
        errs.push(invalid(child(ip, 'containerPort'), p.containerPort, m));
    if (p?.hostPort)
      for (const m of isValidPortNum(p.hostPort)) errs.push(invalid(child(ip, 'hostPort'), p.hostPort, m));
    if (!p?.protocol) errs.push(required(child(ip, 'protocol')));
    else if (!protocols.includes(p.protocol))
      errs.push(notSupported(child(ip, 'protocol'), p.protocol, protocols));
  });
  return errs;
}

/** validateObjectFieldSelector: a plain supported path, or metadata.labels['k'] / metadata.annotations['k']. */
function validateFieldRef(ref: Obj, allowed: string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.apiVersion) errs.push(required(child(path, 'apiVersion')));
  if (!ref.fieldPath) {
    errs.push(required(child(path, 'fieldPath')));
    return errs;
  }
  const fp = child(path, 'fieldPath');
  const m = /^([^[]+)\['(.*)'\]$/.exec(ref.fieldPath);
  if (m) {
    if (m[1] === 'metadata.annotations') errs.push(...validateQualifiedName(m[2].toLowerCase(), fp));
    else if (m[1] === 'metadata.labels') errs.push(...validateQualifiedName(m[2], fp));
    else errs.push(invalid(fp, ref.fieldPath, 'does not support subscript'));
  } else if (!allowed.includes(ref.fieldPath)) {
    errs.push(notSupported(fp, ref.fieldPath, [...allowed].sort()));
  }
  return errs;
}

function validateKeySelector(ref: Obj, path: string, keyIsConfigKey: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.name) errs.push(required(child(path, 'name')));
  if (!ref.key) errs.push(required(child(path, 'key')));
  else if (keyIsConfigKey)
    for (const m of isConfigMapKey(ref.key)) errs.push(invalid(child(path, 'key'), ref.key, m));
  return errs;
}

function validateEnv(env: any[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asList(env).forEach((ev, i) => {
    const ip = index(path, i);
    if (!ev?.name) errs.push(required(child(ip, 'name')));
    else for (const m of isRelaxedEnvVarName(ev.name)) errs.push(invalid(child(ip, 'name'), ev.name, m));
    const from = ev?.valueFrom;
    if (!from) return;
    const fp = child(ip, 'valueFrom');
    let sources = 0;
    if (from.fieldRef) {
      sources++;
      errs.push(...validateFieldRef(from.fieldRef, envFieldPaths, child(fp, 'fieldRef')));
    }
    if (from.resourceFieldRef) {
      sources++;
      if (!from.resourceFieldRef.resource) errs.push(required(child(fp, 'resourceFieldRef', 'resource')));
    }
    if (from.configMapKeyRef) {
      sources++;
      errs.push(...validateKeySelector(from.configMapKeyRef, child(fp, 'configMapKeyRef'), true));
    }
    if (from.secretKeyRef) {
      sources++;
      errs.push(...validateKeySelector(from.secretKeyRef, child(fp, 'secretKeyRef'), true));
    }
    if (from.fileKeyRef) sources++;
    if (sources === 0)
      errs.push(
        invalid(
          fp,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    else if (ev.value) errs.push(invalid(fp, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(invalid(fp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: any[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asList(envFrom).forEach((ef, i) => {
    const ip = index(path, i);
    if (ef?.prefix)
      for (const m of isRelaxedEnvVarName(ef.prefix)) errs.push(invalid(child(ip, 'prefix'), ef.prefix, m));
    let n = 0;
    if (ef?.configMapRef) {
      n++;
      if (!ef.configMapRef.name) errs.push(required(child(ip, 'configMapRef', 'name')));
    }
    if (ef?.secretRef) {
      n++;
      if (!ef.secretRef.name) errs.push(required(child(ip, 'secretRef', 'name')));
    }
    if (n === 0) errs.push(invalid(ip, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(ip, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
  return errs;
}

function validateVolumeMounts(mounts: any[] | undefined, volumes: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const points = new Set<string>();
  asList(mounts).forEach((m, i) => {
    const ip = index(path, i);
    if (!m?.name) errs.push(required(child(ip, 'name')));
    if (!volumes.has(m?.name)) errs.push(notFound(child(ip, 'name'), m?.name ?? ''));
    if (!m?.mountPath) errs.push(required(child(ip, 'mountPath')));
    if (points.has(m?.mountPath)) errs.push(invalid(child(ip, 'mountPath'), m.mountPath, 'must be unique'));
    points.add(m?.mountPath);
    if (m?.subPath) errs.push(...validateLocalDescendingPath(m.subPath, child(path, 'subPath')));
    if (
      m?.mountPropagation !== undefined &&
      !['None', 'HostToContainer', 'Bidirectional'].includes(m.mountPropagation)
    )
      errs.push(
        notSupported(child(ip, 'mountPropagation'), m.mountPropagation, [
          'Bidirectional',
          'HostToContainer',
          'None',
        ]),
      );
  });
  return errs;
}

const containerResourceNames = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** Resources a container may not overcommit: hugepages and extended resources. */
function overcommitAllowed(name: string): boolean {
  if (isHugePages(name)) return false;
  return !(name.includes('/') && !name.startsWith('kubernetes.io/') && !name.startsWith('requests.'));
}

function validateResourceName(name: string, path: string): FieldError[] {
  if (!name.includes('/')) {
    return containerResourceNames.has(name) || isHugePages(name)
      ? []
      : [invalid(path, name, 'must be a standard resource for containers')];
  }
  return isQualifiedName(name).map((m) => invalid(path, name, m));
}

function validateQuantityValue(name: string, raw: unknown, path: string): FieldError[] {
  const q = parseQuantity(raw);
  if (!q)
    return [
      invalid(
        path,
        raw,
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ),
    ];
  if (isNegative(q)) return [invalid(path, String(raw), 'must be greater than or equal to 0')];
  if (!overcommitAllowed(name) || name.includes('/')) {
    const milli = q.exp10 >= 0 ? 0n : q.num % 10n ** BigInt(-q.exp10);
    if (milli !== 0n) return [invalid(path, String(raw), 'must be an integer')];
  }
  return [];
}

export function validateResourceRequirements(res: Obj | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!res) return errs;
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits: Record<string, unknown> = res.limits ?? {};
  const requests: Record<string, unknown> = res.requests ?? {};
  for (const [name, q] of Object.entries(limits)) {
    const p = index(limPath, name);
    errs.push(...validateResourceName(name, p), ...validateQuantityValue(name, q, p));
  }
  for (const [name, q] of Object.entries(requests)) {
    const p = index(reqPath, name);
    errs.push(...validateResourceName(name, p), ...validateQuantityValue(name, q, p));
    const req = parseQuantity(q);
    if (name in limits) {
      const lim = parseQuantity(limits[name]);
      if (!req || !lim) continue;
      const cmp = compareQuantities(req, lim);
      if (cmp !== 0 && !overcommitAllowed(name))
        errs.push(invalid(reqPath, String(q), `must be equal to ${name} limit of ${String(limits[name])}`));
      else if (cmp > 0)
        errs.push(
          invalid(
            reqPath,
            String(q),
            `must be less than or equal to ${name} limit of ${String(limits[name])}`,
          ),
        );
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

function validateHandler(h: Obj, path: string, what: 'probe' | 'lifecycle'): FieldError[] {
  const errs: FieldError[] = [];
  const kinds = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'].filter((k) => h?.[k] != null);
  if (kinds.length === 0) {
    errs.push(required(path, 'must specify a handler type'));
    return errs;
  }
  for (const k of kinds.slice(1))
    errs.push(forbidden(child(path, k), 'may not specify more than 1 handler type'));
  const k = kinds[0];
  const hp = child(path, k);
  if (k === 'exec' && !asList(h.exec.command).length) errs.push(required(child(hp, 'command')));
  if (k === 'httpGet') {
    if (!h.httpGet.path) errs.push(required(child(hp, 'path')));
    errs.push(...validatePortNumOrName(h.httpGet.port, child(hp, 'port')));
    if (h.httpGet.scheme && !['HTTP', 'HTTPS'].includes(h.httpGet.scheme))
      errs.push(notSupported(child(hp, 'scheme'), h.httpGet.scheme, ['HTTP', 'HTTPS']));
  }
  if (k === 'tcpSocket') errs.push(...validatePortNumOrName(h.tcpSocket.port, child(hp, 'port')));
  if (k === 'grpc')
    for (const m of isValidPortNum(h.grpc.port)) errs.push(invalid(child(hp, 'port'), h.grpc.port ?? 0, m));
  if (k === 'grpc' && what === 'lifecycle')
    errs.push(forbidden(hp, 'may not specify a gRPC handler for lifecycle hooks'));
  if (k === 'sleep' && !(isInt(h.sleep.seconds) && h.sleep.seconds >= 0))
    errs.push(invalid(child(hp, 'seconds'), h.sleep.seconds ?? 0, 'must be non-negative'));
  return errs;
}

function validateProbe(p: Obj | undefined, path: string, mustBeOne: boolean): FieldError[] {
  if (!p) return [];
  const errs = validateHandler(p, path, 'probe');
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ])
    errs.push(...validateNonnegativeField(p[f], child(path, f)));
  if (
    p.terminationGracePeriodSeconds !== undefined &&
    p.terminationGracePeriodSeconds !== null &&
    p.terminationGracePeriodSeconds <= 0
  )
    errs.push(
      invalid(
        child(path, 'terminationGracePeriodSeconds'),
        p.terminationGracePeriodSeconds,
        'must be greater than 0',
      ),
    );
  if (mustBeOne && p.successThreshold !== undefined && p.successThreshold !== 1)
    errs.push(invalid(child(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  return errs;
}

function validateLifecycle(l: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (l.postStart) errs.push(...validateHandler(l.postStart, child(path, 'postStart'), 'lifecycle'));
  if (l.preStop) errs.push(...validateHandler(l.preStop, child(path, 'preStop'), 'lifecycle'));
  return errs;
}

function validateIDs(sc: Obj | undefined, path: string, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of fields) {
    const v = sc?.[f];
    if (v !== undefined && v !== null && !(isInt(v) && v >= 0 && v <= maxInt32))
      errs.push(invalid(child(path, f), v, inclusiveRangeError(0, maxInt32)));
  }
  return errs;
}

function validateContainerSecurityContext(sc: Obj | undefined, path: string): FieldError[] {
  if (!sc) return [];
  const errs = validateIDs(sc, path, ['runAsUser', 'runAsGroup']);
  if (sc.privileged === true && sc.allowPrivilegeEscalation === false)
    errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  if (sc.procMount !== undefined && !['Default', 'Unmasked'].includes(sc.procMount))
    errs.push(notSupported(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
  return errs;
}

function validateContainerCommon(
  c: Obj,
  volumes: Set<string>,
  path: string,
  opts: PodValidationOptions,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!c?.name) errs.push(required(child(path, 'name')));
  else errs.push(...validateDNS1123Label(String(c.name), child(path, 'name')));
  if (!c?.image) errs.push(required(child(path, 'image')));
  else if (opts.isPod && String(c.image).trim() !== c.image)
    errs.push(invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));
  const tmp = c?.terminationMessagePolicy;
  if (!tmp)
    errs.push(required(child(path, 'terminationMessagePolicy'), "must be 'File' or 'FallbackToLogsOnError'"));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError')
    errs.push(
      invalid(child(path, 'terminationMessagePolicy'), tmp, "must be 'File' or 'FallbackToLogsOnError'"),
    );
  errs.push(...validateContainerPorts(c?.ports, child(path, 'ports')));
  errs.push(...validateEnv(c?.env, child(path, 'env')));
  errs.push(...validateEnvFrom(c?.envFrom, child(path, 'envFrom')));
  errs.push(...validateVolumeMounts(c?.volumeMounts, volumes, child(path, 'volumeMounts')));
  errs.push(...validateEnum(c?.imagePullPolicy, pullPolicies, child(path, 'imagePullPolicy')));
  errs.push(...validateResourceRequirements(c?.resources, child(path, 'resources')));
  errs.push(...validateContainerSecurityContext(c?.securityContext, child(path, 'securityContext')));
  return errs;
}

function checkHostPortConflicts(containers: any[], path: string, seen: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    asList(c?.ports).forEach((p: any, pi: number) => {
      if (!p?.hostPort) return;
      const key = `${p.hostIP ?? ''}/${p.protocol ?? ''}/${p.hostPort}`;
      if (seen.has(key))
        errs.push(duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateContainers(
  containers: any[] | undefined,
  volumes: Set<string>,
  path: string,
  opts: PodValidationOptions,
) {
  const errs: FieldError[] = [];
  const list = asList(containers);
  if (list.length === 0) errs.push(required(path));
  const names = new Set<string>();
  list.forEach((c, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, ip, opts));
    if (names.has(c?.name)) errs.push(duplicate(child(ip, 'name'), c.name));
    else names.add(c?.name);
    if (c?.lifecycle) errs.push(...validateLifecycle(c.lifecycle, child(ip, 'lifecycle')));
    errs.push(...validateProbe(c?.livenessProbe, child(ip, 'livenessProbe'), true));
    errs.push(...validateProbe(c?.readinessProbe, child(ip, 'readinessProbe'), false));
    errs.push(...validateProbe(c?.startupProbe, child(ip, 'startupProbe'), true));
    if (c?.restartPolicy != null)
      errs.push(forbidden(child(ip, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(list, path, new Set()));
  return { errs, names };
}

function validateInitContainers(
  inits: any[] | undefined,
  regularNames: Set<string>,
  volumes: Set<string>,
  path: string,
  opts: PodValidationOptions,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(regularNames);
  asList(inits).forEach((c, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, ip, opts));
    let sidecar = false;
    if (c?.restartPolicy != null) {
      if (c.restartPolicy !== 'Always')
        errs.push(notSupported(child(ip, 'restartPolicy'), c.restartPolicy, ['Always']));
      sidecar = c.restartPolicy === 'Always';
    }
    if (names.has(c?.name)) errs.push(duplicate(child(ip, 'name'), c.name));
    else if (c?.name) names.add(c.name);
    errs.push(...checkHostPortConflicts([c], path, new Set()));
    if (sidecar) {
      if (c.lifecycle) errs.push(...validateLifecycle(c.lifecycle, child(ip, 'lifecycle')));
      errs.push(...validateProbe(c.livenessProbe, child(ip, 'livenessProbe'), true));
      errs.push(...validateProbe(c.readinessProbe, child(ip, 'readinessProbe'), false));
      errs.push(...validateProbe(c.startupProbe, child(ip, 'startupProbe'), true));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'])
        if (c?.[f] != null)
          errs.push(
            forbidden(child(ip, f), 'may not be set for init containers without restartPolicy=Always'),
          );
    }
    if (asList(c?.resizePolicy).length > 0)
      errs.push(invalid(child(ip, 'resizePolicy'), c.resizePolicy, 'must not be set for init containers'));
  });
  return errs;
}

function validateMode(mode: unknown, path: string): FieldError[] {
  if (mode === undefined || mode === null) return [];
  return isInt(mode) && mode >= 0 && mode <= 0o777 ? [] : [invalid(path, mode, fileModeErrorMsg)];
}

function validateKeyToPaths(items: any[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asList(items).forEach((it, i) => {
    const ip = index(path, i);
    if (!it?.key) errs.push(required(child(ip, 'key')));
    if (!it?.path) errs.push(required(child(ip, 'path')));
    else errs.push(...validateLocalDescendingPath(it.path, child(ip, 'path')));
    errs.push(...validateMode(it?.mode, child(ip, 'mode')));
  });
  return errs;
}

function validateDownwardAPIItems(items: any[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asList(items).forEach((it, i) => {
    const ip = index(path, i);
    if (!it?.path) errs.push(required(child(ip, 'path')));
    else errs.push(...validateLocalDescendingPath(it.path, child(ip, 'path')));
    errs.push(...validateMode(it?.mode, child(ip, 'mode')));
    if (it?.fieldRef && it?.resourceFieldRef)
      errs.push(invalid(ip, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    else if (it?.fieldRef)
      errs.push(...validateFieldRef(it.fieldRef, volumeFieldPaths, child(ip, 'fieldRef')));
    else if (!it?.resourceFieldRef)
      errs.push(required(ip, 'one of fieldRef and resourceFieldRef is required'));
  });
  return errs;
}

const hostPathTypes = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

function validateVolumeSource(v: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const sources = volumeSources(v);
  if (sources.length === 0) {
    errs.push(required(path, 'must specify a volume type'));
    return errs;
  }
  for (const s of sources.slice(1))
    errs.push(forbidden(child(path, s), 'may not specify more than 1 volume type'));
  const kind = sources[0];
  const src = v[kind] ?? {};
  const sp = child(path, kind);
  switch (kind) {
    case 'hostPath':
      if (!src.path) errs.push(required(child(sp, 'path')));
      if (src.type !== undefined && src.type !== null && !hostPathTypes.includes(src.type))
        errs.push(notSupported(child(sp, 'type'), src.type, hostPathTypes));
      break;
    case 'emptyDir':
      if (src.sizeLimit !== undefined) {
        const q = parseQuantity(src.sizeLimit);
        if (q && isNegative(q))
          errs.push(
            invalid(child(sp, 'sizeLimit'), String(src.sizeLimit), 'must be greater than or equal to 0'),
          );
      }
      if (
        src.medium !== undefined &&
        !['', 'Memory', 'HugePages'].includes(src.medium) &&
        !String(src.medium).startsWith('HugePages-')
      )
        errs.push(notSupported(child(sp, 'medium'), src.medium, ['', 'Memory', 'HugePages']));
      break;
    case 'secret':
      if (!src.secretName) errs.push(required(child(sp, 'secretName')));
      errs.push(...validateMode(src.defaultMode, child(sp, 'defaultMode')));
      errs.push(...validateKeyToPaths(src.items, child(sp, 'items')));
      break;
    case 'configMap':
      if (!src.name) errs.push(required(child(sp, 'name')));
      errs.push(...validateMode(src.defaultMode, child(sp, 'defaultMode')));
      errs.push(...validateKeyToPaths(src.items, child(sp, 'items')));
      break;
    case 'persistentVolumeClaim':
      if (!src.claimName) errs.push(required(child(sp, 'claimName')));
      break;
    case 'nfs':
      if (!src.server) errs.push(required(child(sp, 'server')));
      if (!src.path) errs.push(required(child(sp, 'path')));
      else if (!String(src.path).startsWith('/'))
        errs.push(invalid(child(sp, 'path'), src.path, 'must be an absolute path'));
      break;
    case 'downwardAPI':
      errs.push(...validateMode(src.defaultMode, child(sp, 'defaultMode')));
      errs.push(...validateDownwardAPIItems(src.items, child(sp, 'items')));
      break;
    case 'projected':
      errs.push(...validateMode(src.defaultMode, child(sp, 'defaultMode')));
      asList(src.sources).forEach((s: any, i: number) => {
        const ip = index(child(sp, 'sources'), i);
        const kinds = [
          'secret',
          'configMap',
          'downwardAPI',
          'serviceAccountToken',
          'clusterTrustBundle',
          'podCertificate',
        ].filter((k) => s?.[k] != null);
        if (kinds.length > 1)
          for (const k of kinds.slice(1))
            errs.push(forbidden(child(ip, k), 'may not specify more than 1 volume type per source'));
        if (s?.secret) errs.push(...validateKeyToPaths(s.secret.items, child(ip, 'secret', 'items')));
        if (s?.configMap)
          errs.push(...validateKeyToPaths(s.configMap.items, child(ip, 'configMap', 'items')));
        if (s?.downwardAPI)
          errs.push(...validateDownwardAPIItems(s.downwardAPI.items, child(ip, 'downwardAPI', 'items')));
        const t = s?.serviceAccountToken;
        if (t) {
          const tp = child(ip, 'serviceAccountToken');
          if (isInt(t.expirationSeconds) && t.expirationSeconds < 600)
            errs.push(
              invalid(
                child(tp, 'expirationSeconds'),
                t.expirationSeconds,
                'may not specify a duration less than 10 minutes',
              ),
            );
          if (isInt(t.expirationSeconds) && t.expirationSeconds > 2 ** 32)
            errs.push(
              invalid(
                child(tp, 'expirationSeconds'),
                t.expirationSeconds,
                'may not specify a duration larger than 2^32 seconds',
              ),
            );
          if (!t.path) errs.push(required(child(tp, 'path')));
        }
      });
      break;
    case 'csi':
      if (!src.driver) errs.push(required(child(sp, 'driver')));
      break;
    case 'ephemeral':
      if (!src.volumeClaimTemplate) errs.push(required(child(sp, 'volumeClaimTemplate')));
      break;
    case 'image':
      if (!src.reference) errs.push(required(child(sp, 'reference')));
      break;
  }
  return errs;
}

function validateVolumes(
  volumes: any[] | undefined,
  path: string,
): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  asList(volumes).forEach((v, i) => {
    const ip = index(path, i);
    const el = validateVolumeSource(v ?? {}, ip);
    if (!v?.name) el.push(required(child(ip, 'name')));
    else el.push(...validateDNS1123Label(String(v.name), child(ip, 'name')));
    if (names.has(v?.name)) el.push(duplicate(child(ip, 'name'), v.name));
    if (el.length === 0) names.add(v.name);
    else errs.push(...el);
  });
  return { errs, names };
}

export function validateTolerations(tolerations: any[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asList(tolerations).forEach((t, i) => {
    const ip = index(path, i);
    if (t?.key) errs.push(...validateQualifiedName(t.key, child(ip, 'key')));
    if (!t?.key && t?.operator !== 'Exists')
      errs.push(
        invalid(
          child(ip, 'operator'),
          t?.operator ?? '',
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    if (t?.tolerationSeconds != null && t?.effect !== 'NoExecute')
      errs.push(
        invalid(
          child(ip, 'effect'),
          t?.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    switch (t?.operator ?? '') {
      case '':
      case 'Equal':
        for (const m of isValidLabelValue(String(t?.value ?? '')))
          errs.push(invalid(child(ip, 'operator'), t?.value, m));
        break;
      case 'Exists':
        if (t?.value)
          errs.push(invalid(child(ip, 'operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(child(ip, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t?.effect && !taintEffects.includes(t.effect))
      errs.push(notSupported(child(ip, 'effect'), t.effect, taintEffects));
  });
  return errs;
}

function validateNodeSelectorTerm(term: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asList(term?.matchExpressions).forEach((r: any, i: number) => {
    const ip = index(child(path, 'matchExpressions'), i);
    const values: unknown[] = asList(r?.values);
    switch (r?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          errs.push(required(child(ip, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          errs.push(
            forbidden(
              child(ip, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      case 'Gt':
      case 'Lt':
        if (values.length !== 1)
          errs.push(
            required(child(ip, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"),
          );
        break;
      default:
        errs.push(invalid(child(ip, 'operator'), r?.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateQualifiedName(String(r?.key ?? ''), child(ip, 'key')));
  });
  return errs;
}

function validatePodAffinityTerms(terms: any[] | undefined, path: string, weighted: boolean): FieldError[] {
  const errs: FieldError[] = [];
  asList(terms).forEach((t, i) => {
    const ip = index(path, i);
    const term = weighted ? t?.podAffinityTerm : t;
    const tp = weighted ? child(ip, 'podAffinityTerm') : ip;
    if (weighted && !(isInt(t?.weight) && t.weight >= 1 && t.weight <= 100))
      errs.push(invalid(child(ip, 'weight'), t?.weight ?? 0, inclusiveRangeError(1, 100)));
    errs.push(...validateLabelSelector(term?.labelSelector, child(tp, 'labelSelector')));
    errs.push(...validateLabelSelector(term?.namespaceSelector, child(tp, 'namespaceSelector')));
    if (!term?.topologyKey) errs.push(required(child(tp, 'topologyKey'), 'can not be empty'));
    else errs.push(...validateQualifiedName(term.topologyKey, child(tp, 'topologyKey')));
  });
  return errs;
}

function validateAffinity(a: Obj | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!a) return errs;
  const req = a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const rp = child(path, 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution');
    const terms: any[] = asList(req.nodeSelectorTerms);
    if (terms.length === 0)
      errs.push(required(child(rp, 'nodeSelectorTerms'), 'must have at least one node selector term'));
    terms.forEach((t, i) => {
      errs.push(...validateNodeSelectorTerm(t, index(child(rp, 'nodeSelectorTerms'), i)));
    });
  }
  asList(a.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).forEach((p: any, i: number) => {
    const ip = index(child(path, 'nodeAffinity', 'preferredDuringSchedulingIgnoredDuringExecution'), i);
    if (!(isInt(p?.weight) && p.weight >= 1 && p.weight <= 100))
      errs.push(invalid(child(ip, 'weight'), p?.weight ?? 0, inclusiveRangeError(1, 100)));
    errs.push(...validateNodeSelectorTerm(p?.preference ?? {}, child(ip, 'preference')));
  });
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const pa = a[kind];
    if (!pa) continue;
    errs.push(
      ...validatePodAffinityTerms(
        pa.requiredDuringSchedulingIgnoredDuringExecution,
        child(path, kind, 'requiredDuringSchedulingIgnoredDuringExecution'),
        false,
      ),
    );
    errs.push(
      ...validatePodAffinityTerms(
        pa.preferredDuringSchedulingIgnoredDuringExecution,
        child(path, kind, 'preferredDuringSchedulingIgnoredDuringExecution'),
        true,
      ),
    );
  }
  return errs;
}

function validateTopologySpread(constraints: any[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  asList(constraints).forEach((c, i) => {
    const ip = index(path, i);
    if (!(isInt(c?.maxSkew) && c.maxSkew > 0))
      errs.push(invalid(child(ip, 'maxSkew'), c?.maxSkew ?? 0, 'must be greater than zero'));
    if (!c?.topologyKey) errs.push(required(child(ip, 'topologyKey'), 'can not be empty'));
    else errs.push(...validateQualifiedName(c.topologyKey, child(ip, 'topologyKey')));
    errs.push(
      ...validateEnum(
        c?.whenUnsatisfiable,
        ['DoNotSchedule', 'ScheduleAnyway'],
        child(ip, 'whenUnsatisfiable'),
      ),
    );
    const key = `${c?.topologyKey}/${c?.whenUnsatisfiable}`;
    if (seen.has(key)) errs.push(duplicate(ip, `{${c?.topologyKey}, ${c?.whenUnsatisfiable}}`));
    seen.add(key);
    errs.push(...validateLabelSelector(c?.labelSelector, child(ip, 'labelSelector')));
    if (c?.minDomains != null && !(isInt(c.minDomains) && c.minDomains > 0))
      errs.push(invalid(child(ip, 'minDomains'), c.minDomains, 'must be greater than 0'));
  });
  return errs;
}

function validateDNSConfig(cfg: Obj | undefined, dnsPolicy: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (dnsPolicy === 'None') {
    if (!cfg) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!asList(cfg.nameservers).length)
      return [
        required(
          child(path, 'nameservers'),
          'must provide at least one DNS nameserver when `dnsPolicy` is None',
        ),
      ];
  }
  if (!cfg) return errs;
  const ns: string[] = asList(cfg.nameservers);
  if (ns.length > 3)
    errs.push(invalid(child(path, 'nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => {
    for (const m of isValidIP(n)) errs.push(invalid(index(child(path, 'nameservers'), i), n, m));
  });
  const searches: string[] = asList(cfg.searches);
  if (searches.length > 32)
    errs.push(invalid(child(path, 'searches'), searches, 'must not have more than 32 search paths'));
  searches.forEach((s, i) => {
    const name = s === '.' ? s : s.replace(/\.$/, '');
    if (name !== '.')
      for (const m of isDNS1123Subdomain(name)) errs.push(invalid(index(child(path, 'searches'), i), s, m));
  });
  asList(cfg.options).forEach((o: any, i: number) => {
    if (!o?.name) errs.push(required(child(index(child(path, 'options'), i), 'name'), 'must not be empty'));
  });
  return errs;
}

/** Upstream's ValidatePodSpec. `path` is where the spec lives (`spec`, `spec.template.spec`, ...). */
export function validatePodSpec(
  spec: Obj | undefined,
  path: string,
  opts: PodValidationOptions = {},
): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  const vols = validateVolumes(s.volumes, child(path, 'volumes'));
  errs.push(...vols.errs);
  const cs = validateContainers(s.containers, vols.names, child(path, 'containers'), opts);
  errs.push(...cs.errs);
  errs.push(
    ...validateInitContainers(s.initContainers, cs.names, vols.names, child(path, 'initContainers'), opts),
  );
  errs.push(...validateEnum(s.restartPolicy, restartPolicies, child(path, 'restartPolicy')));
  errs.push(...validateEnum(s.dnsPolicy, dnsPolicies, child(path, 'dnsPolicy')));
  errs.push(...validateLabels(s.nodeSelector, child(path, 'nodeSelector')));
  errs.push(
    ...validateIDs(s.securityContext, child(path, 'securityContext'), ['runAsUser', 'runAsGroup', 'fsGroup']),
  );
  asList(s.securityContext?.supplementalGroups).forEach((g: unknown, i: number) => {
    if (!(isInt(g) && g >= 0 && g <= maxInt32))
      errs.push(
        invalid(
          index(child(path, 'securityContext', 'supplementalGroups'), i),
          g,
          inclusiveRangeError(0, maxInt32),
        ),
      );
  });
  asList(s.imagePullSecrets).forEach((r: any, i: number) => {
    if (!r?.name) errs.push(required(child(index(child(path, 'imagePullSecrets'), i), 'name')));
  });
  errs.push(...validateAffinity(s.affinity, child(path, 'affinity')));
  errs.push(...validateDNSConfig(s.dnsConfig, s.dnsPolicy, child(path, 'dnsConfig')));
  asList(s.readinessGates).forEach((g: any, i: number) => {
    const gp = child(index(child(path, 'readinessGates'), i), 'conditionType');
    errs.push(...validateQualifiedName(String(g?.conditionType ?? ''), gp));
  });
  const gates = new Set<string>();
  asList(s.schedulingGates).forEach((g: any, i: number) => {
    const gp = index(child(path, 'schedulingGates'), i);
    errs.push(...validateQualifiedName(String(g?.name ?? ''), child(gp, 'name')));
    if (gates.has(g?.name)) errs.push(duplicate(gp, g.name));
    gates.add(g?.name);
  });
  errs.push(...validateTopologySpread(s.topologySpreadConstraints, child(path, 'topologySpreadConstraints')));
  if (s.serviceAccountName)
    for (const m of isDNS1123Subdomain(s.serviceAccountName))
      errs.push(invalid(child(path, 'serviceAccountName'), s.serviceAccountName, m));
  if (s.nodeName)
    for (const m of isDNS1123Subdomain(s.nodeName))
      errs.push(invalid(child(path, 'nodeName'), s.nodeName, m));
  if (
    s.activeDeadlineSeconds != null &&
    !(isInt(s.activeDeadlineSeconds) && s.activeDeadlineSeconds >= 1 && s.activeDeadlineSeconds <= maxInt32)
  )
    errs.push(
      invalid(
        child(path, 'activeDeadlineSeconds'),
        s.activeDeadlineSeconds,
        inclusiveRangeError(1, maxInt32),
      ),
    );
  if (s.hostname) errs.push(...validateDNS1123Label(s.hostname, child(path, 'hostname')));
  if (s.subdomain) errs.push(...validateDNS1123Label(s.subdomain, child(path, 'subdomain')));
  errs.push(...validateTolerations(s.tolerations, child(path, 'tolerations')));
  asList(s.hostAliases).forEach((h: any, i: number) => {
    const hp = index(child(path, 'hostAliases'), i);
    for (const m of isValidIP(String(h?.ip ?? ''))) errs.push(invalid(child(hp, 'ip'), h?.ip ?? '', m));
    asList(h?.hostnames).forEach((n: string, j: number) => {
      for (const m of isDNS1123Subdomain(n)) errs.push(invalid(index(child(hp, 'hostnames'), j), n, m));
    });
  });
  if (s.priorityClassName)
    for (const m of isDNS1123Subdomain(s.priorityClassName))
      errs.push(invalid(child(path, 'priorityClassName'), s.priorityClassName, m));
  if (s.preemptionPolicy != null && !['Never', 'PreemptLowerPriority'].includes(s.preemptionPolicy))
    errs.push(
      notSupported(child(path, 'preemptionPolicy'), s.preemptionPolicy, ['Never', 'PreemptLowerPriority']),
    );
  if (s.os?.name != null && !['linux', 'windows'].includes(s.os.name))
    errs.push(notSupported(child(path, 'os', 'name'), s.os.name, ['linux', 'windows']));
  if (s.terminationGracePeriodSeconds != null && !isInt(s.terminationGracePeriodSeconds))
    errs.push(
      invalid(
        child(path, 'terminationGracePeriodSeconds'),
        s.terminationGracePeriodSeconds,
        'must be an integer',
      ),
    );
  return errs;
}

/** Upstream's ValidatePodTemplateSpec (labels are checked at `<path>.labels`, as upstream does). */
export function validatePodTemplateSpec(template: Obj | undefined, path: string): FieldError[] {
  const t = template ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateLabels(t.metadata?.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(t.metadata?.annotations, child(path, 'annotations')));
  errs.push(...validatePodSpec(t.spec, child(path, 'spec'), { isPod: false }));
  if (asList(t.spec?.ephemeralContainers).length > 0)
    errs.push(
      forbidden(
        child(path, 'spec', 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  return errs;
}
