import { isIP } from 'node:net';
import { ageColumn, ageOf, col, nameColumn, wide } from '../columns.js';
import { child, duplicate, forbidden, index, invalid, notSupported, required } from '../field.js';
import { list } from '../guards.js';
import { formatLabels } from '../labels.js';
import { validatePortNumOrName } from '../podspec/validation.js';
import { semanticEqual } from '../semantic.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import {
  isDNS1123Subdomain,
  isValidIP,
  isValidPortNum,
  validateDNS1123Label,
  validateEnum,
  validateLabels,
  validateQualifiedName,
} from '../validation.js';

const protocols = ['SCTP', 'TCP', 'UDP'];
const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

/** A Service gets cluster IPs unless it is an ExternalName service. */
export function serviceNeedsClusterIP(svc: Obj): boolean {
  return svc?.spec?.type !== 'ExternalName';
}

/** NodePort services, and LoadBalancer ones unless allocateLoadBalancerNodePorts is false, get node ports. */
export function serviceNeedsNodePorts(svc: Obj): boolean {
  const t = svc?.spec?.type;
  return t === 'NodePort' || (t === 'LoadBalancer' && svc.spec.allocateLoadBalancerNodePorts !== false);
}

/** NodePort and LoadBalancer services, and ClusterIP ones with externalIPs, can be reached from outside. */
export function serviceExternallyAccessible(svc: Obj): boolean {
  const t = svc?.spec?.type;
  return (
    t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && list(svc.spec.externalIPs).length > 0)
  );
}

export function isHeadlessService(svc: Obj): boolean {
  return svc?.spec?.clusterIP === 'None';
}

function defaults(obj: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds == null)
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  spec.type ||= 'ClusterIP';
  for (const p of list(spec.ports)) {
    if (!p || typeof p !== 'object') continue;
    p.protocol ||= 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '')
      p.targetPort = p.port;
  }
  if (serviceExternallyAccessible(obj) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type)) spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

/** What the service REST storage fills in on create, before the IP allocator runs. */
function prepareForCreate(obj: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  obj.status = { loadBalancer: {} };
  if (!serviceNeedsClusterIP(obj)) return;
  if (spec.clusterIP && !list(spec.clusterIPs).length) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && list(spec.clusterIPs).length) spec.clusterIP = spec.clusterIPs[0];
  spec.ipFamilyPolicy ??= 'SingleStack';
  if (!list(spec.ipFamilies).length) {
    const first = spec.clusterIPs?.[0];
    spec.ipFamilies = first && isIP(first) === 6 ? ['IPv6'] : ['IPv4'];
  }
}

/** Upstream's patchAllocatedValues: an update that omits allocated values keeps the old ones. */
function prepareForUpdate(obj: Obj, old: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  const oldSpec = old.spec ?? {};
  if (serviceNeedsClusterIP(old) && serviceNeedsClusterIP(obj)) {
    if (!spec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (!list(spec.clusterIPs).length && list(oldSpec.clusterIPs).length)
      spec.clusterIPs = spec.clusterIP === oldSpec.clusterIP ? oldSpec.clusterIPs : [spec.clusterIP];
    if (!spec.ipFamilyPolicy && oldSpec.ipFamilyPolicy) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
    if (!list(spec.ipFamilies).length && oldSpec.ipFamilies) spec.ipFamilies = oldSpec.ipFamilies;
  }
  if (serviceNeedsNodePorts(old) && serviceNeedsNodePorts(obj)) {
    const used = new Set<number>();
    for (const p of list(spec.ports)) if (p?.nodePort) used.add(p.nodePort);
    const byName = new Map<string, number>();
    for (const p of list(oldSpec.ports)) if (p?.nodePort) byName.set(p.name ?? '', p.nodePort);
    for (const p of list(spec.ports)) {
      if (!p || p.nodePort) continue;
      const prev = byName.get(p.name ?? '');
      if (prev && !used.has(prev)) {
        p.nodePort = prev;
        used.add(prev);
      }
    }
  }
  if (spec.externalTrafficPolicy === 'Local' && oldSpec.healthCheckNodePort && !spec.healthCheckNodePort)
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  dropTypeDependentFields(obj, old);
}

/**
 * Upstream's dropTypeDependentFields: on a type change, values that no longer apply and that the user
 * did not touch are released (so `kubectl apply` can turn a NodePort service into a ClusterIP one).
 */
function dropTypeDependentFields(obj: Obj, old: Obj): void {
  const spec = obj.spec;
  const oldSpec = old.spec ?? {};
  if (serviceNeedsClusterIP(old) && !serviceNeedsClusterIP(obj)) {
    if (spec.clusterIP === oldSpec.clusterIP && semanticEqual(spec.clusterIPs, oldSpec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (semanticEqual(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === oldSpec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  const nodePorts = (o: Obj) => list(o.spec?.ports).map((p: any) => p?.nodePort ?? 0);
  if (
    serviceNeedsNodePorts(old) &&
    !serviceNeedsNodePorts(obj) &&
    semanticEqual(nodePorts(obj), nodePorts(old))
  )
    for (const p of list(spec.ports)) if (p && typeof p === 'object') delete p.nodePort;
  const needsHC = (o: Obj) => o.spec?.type === 'LoadBalancer' && o.spec?.externalTrafficPolicy === 'Local';
  if (needsHC(old) && !needsHC(obj) && spec.healthCheckNodePort === oldSpec.healthCheckNodePort)
    delete spec.healthCheckNodePort;
  if (oldSpec.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts)
      delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === oldSpec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (
    serviceExternallyAccessible(old) &&
    !serviceExternallyAccessible(obj) &&
    spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy
  )
    delete spec.externalTrafficPolicy;
  if (spec.type !== 'LoadBalancer' && obj.status?.loadBalancer) obj.status.loadBalancer = {};
}

function validatePort(p: Obj, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p?.name) errs.push(required(child(path, 'name')));
  else if (p?.name) {
    errs.push(...validateDNS1123Label(p.name, child(path, 'name')));
    if (names.has(p.name)) errs.push(duplicate(child(path, 'name'), p.name));
    else names.add(p.name);
  }
  for (const m of isValidPortNum(p?.port)) errs.push(invalid(child(path, 'port'), p?.port ?? 0, m));
  errs.push(...validateEnum(p?.protocol, protocols, child(path, 'protocol')));
  errs.push(...validatePortNumOrName(p?.targetPort, child(path, 'targetPort')));
  if (p?.appProtocol != null) errs.push(...validateQualifiedName(p.appProtocol, child(path, 'appProtocol')));
  return errs;
}

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  const ports: any[] = list(spec.ports);
  const type = spec.type;
  if (ports.length === 0 && !isHeadlessService(obj) && type !== 'ExternalName')
    errs.push(required('spec.ports'));
  if (type === 'ExternalName') {
    if (list(spec.clusterIPs).length > 0 || (spec.clusterIP && spec.clusterIP !== ''))
      errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    const cname = String(spec.externalName ?? '').replace(/\.$/, '');
    if (cname) for (const m of isDNS1123Subdomain(cname)) errs.push(invalid('spec.externalName', cname, m));
    else errs.push(required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => {
    errs.push(...validatePort(p, ports.length > 1, names, index('spec.ports', i)));
  });
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  errs.push(...validateEnum(spec.sessionAffinity, ['ClientIP', 'None'], 'spec.sessionAffinity'));
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!(typeof t === 'number' && t > 0 && t <= 86400))
      errs.push(
        invalid(
          'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
          t ?? 0,
          'must be greater than 0 and less than 86400',
        ),
      );
  } else if (spec.sessionAffinityConfig) {
    errs.push(
      forbidden(
        'spec.sessionAffinityConfig',
        `must not be set when session affinity is ${spec.sessionAffinity}`,
      ),
    );
  }
  list(spec.clusterIPs).forEach((ip: string, i: number) => {
    if (ip === 'None' && i === 0) return;
    for (const m of isValidIP(ip)) errs.push(invalid(index('spec.clusterIPs', i), ip, m));
  });
  list(spec.externalIPs).forEach((ip: string, i: number) => {
    for (const m of isValidIP(ip)) errs.push(invalid(index('spec.externalIPs', i), ip, m));
  });
  errs.push(...validateEnum(type, serviceTypes, 'spec.type'));
  if (type === 'ClusterIP')
    ports.forEach((p, i) => {
      if (p?.nodePort)
        errs.push(
          forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"),
        );
    });
  const nodePorts = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const pp = index('spec.ports', i);
    if (p?.nodePort) {
      for (const m of isValidPortNum(p.nodePort)) errs.push(invalid(child(pp, 'nodePort'), p.nodePort, m));
      const k = `${p.protocol}/${p.nodePort}`;
      if (nodePorts.has(k)) errs.push(duplicate(child(pp, 'nodePort'), p.nodePort));
      nodePorts.add(k);
    }
    const k = `${p?.protocol}/${p?.port}`;
    if (seen.has(k)) errs.push(duplicate(pp, { port: p?.port, protocol: p?.protocol }));
    seen.add(k);
  });
  if (!serviceExternallyAccessible(obj)) {
    if (spec.externalTrafficPolicy)
      errs.push(
        invalid(
          'spec.externalTrafficPolicy',
          spec.externalTrafficPolicy,
          'may only be set for externally-accessible services',
        ),
      );
  } else {
    errs.push(
      ...validateEnum(spec.externalTrafficPolicy, ['Cluster', 'Local'], 'spec.externalTrafficPolicy'),
    );
  }
  if (spec.internalTrafficPolicy != null && type !== 'ExternalName')
    errs.push(
      ...validateEnum(spec.internalTrafficPolicy, ['Cluster', 'Local'], 'spec.internalTrafficPolicy'),
    );
  if (
    spec.ipFamilyPolicy != null &&
    !['SingleStack', 'PreferDualStack', 'RequireDualStack'].includes(spec.ipFamilyPolicy)
  )
    errs.push(
      notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, [
        'PreferDualStack',
        'RequireDualStack',
        'SingleStack',
      ]),
    );
  list(spec.ipFamilies).forEach((f: string, i: number) => {
    if (f !== 'IPv4' && f !== 'IPv6')
      errs.push(notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
  });
  return errs;
}

function validateUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validate(obj);
  if (serviceNeedsClusterIP(obj) && serviceNeedsClusterIP(old)) {
    const before = old.spec?.clusterIPs?.[0];
    const after = obj.spec?.clusterIPs?.[0];
    if (before && before !== after)
      errs.push(invalid('spec.clusterIPs[0]', after ?? '', 'may not change once set'));
  }
  return errs;
}

/** getServiceExternalIP as the server prints it (wide: no truncation). */
function externalIP(o: Obj): string {
  const spec = o.spec ?? {};
  const ext: string[] = list(spec.externalIPs);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length > 0 ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [
        ...new Set<string>(
          list(o.status?.loadBalancer?.ingress)
            .map((i: any) => i?.ip || i?.hostname)
            .filter((x: string) => !!x),
        ),
      ].sort();
      if (ext.length > 0) return [...lb, ...ext].join(',');
      return lb.length > 0 ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function portsCell(o: Obj): string {
  const ports: any[] = list(o.spec?.ports);
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) => (p?.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p?.port}/${p?.protocol}`))
    .join(',');
}

export const services: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  schemaName: 'io.k8s.api.core.v1.Service',
  nameValidation: 'dns1035-label',
  subresources: ['status', 'proxy'],
  defaults,
  validate,
  validateUpdate,
  prepareForCreate,
  prepareForUpdate,
  fieldSelectors: {
    'spec.clusterIP': (o) => o.spec?.clusterIP ?? '',
    'spec.type': (o) => o.spec?.type ?? '',
  },
  table: {
    columns: [
      nameColumn,
      col('Type', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col(
        'External-IP',
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ),
      col('Port(s)', 'The list of ports that are exposed by this service.'),
      ageColumn,
      wide('Selector', 'Route service traffic to pods with label keys and values matching this selector.'),
    ],
    cells: (o, now) => [
      o.metadata?.name,
      o.spec?.type ?? '',
      o.spec?.clusterIPs?.[0] ?? '<none>',
      externalIP(o),
      portsCell(o),
      ageOf(o, now),
      formatLabels(o.spec?.selector),
    ],
  },
};
