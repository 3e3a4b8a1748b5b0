import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { index, invalid, notSupported } from '../field.js';
import { list } from '../guards.js';
import { canonicalQuantityString } from '../quantity.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { isQualifiedName, validateQuantityValue } from '../validation.js';

const standardQuotaResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
]);
const quotaScopes = [
  'BestEffort',
  'CrossNamespacePodAffinity',
  'NotBestEffort',
  'NotTerminating',
  'PriorityClass',
  'Terminating',
  'VolumeAttributesClass',
];

function validateQuotaResourceName(name: string, path: string): FieldError[] {
  if (!name.includes('/')) {
    const ok =
      standardQuotaResources.has(name) ||
      name.startsWith('hugepages-') ||
      name.startsWith('requests.hugepages-');
    return ok ? [] : [invalid(path, name, 'must be a standard resource for quota')];
  }
  return isQualifiedName(name).map((m) => invalid(path, name, m));
}

function validateQuota(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(obj.spec?.hard ?? {})) {
    const p = index('spec.hard', k);
    errs.push(...validateQuotaResourceName(k, p), ...validateQuantityValue(v, p));
  }
  list(obj.spec?.scopes).forEach((s: string, i: number) => {
    if (!quotaScopes.includes(s)) errs.push(notSupported(index('spec.scopes', i), s, quotaScopes));
  });
  const scopes = new Set<string>(list(obj.spec?.scopes));
  if (
    (scopes.has('Terminating') && scopes.has('NotTerminating')) ||
    (scopes.has('BestEffort') && scopes.has('NotBestEffort'))
  )
    errs.push(invalid('spec.scopes', obj.spec.scopes, 'conflicting scopes'));
  for (const [k, v] of Object.entries(obj.status?.hard ?? {}))
    errs.push(...validateQuantityValue(v, index('status.hard', k)));
  for (const [k, v] of Object.entries(obj.status?.used ?? {}))
    errs.push(...validateQuantityValue(v, index('status.used', k)));
  return errs;
}

/** The REQUEST and LIMIT cells: "name: used/hard" pairs sorted by resource name. */
function quotaCells(o: Obj): [string, string] {
  const hard: Record<string, string> = o.status?.hard ?? {};
  const used: Record<string, string> = o.status?.used ?? {};
  const req: string[] = [];
  const lim: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const text = `${name}: ${canonicalQuantityString(String(used[name] ?? '0'))}/${canonicalQuantityString(String(hard[name]))}`;
    const parts = name.split('.');
    (parts.length > 1 && parts[0] === 'limits' ? lim : req).push(text);
  }
  return [req.join(', '), lim.join(', ')];
}

export const resourceQuotas: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  namespaced: true,
  shortNames: ['quota'],
  schemaName: 'io.k8s.api.core.v1.ResourceQuota',
  subresources: ['status'],
  validate: validateQuota,
  table: {
    columns: [
      nameColumn,
      col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
      col(
        'Limit',
        'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
      ),
      ageColumn,
    ],
    cells(o, now) {
      const [req, lim] = quotaCells(o);
      return [o.metadata?.name, req, lim, ageOf(o, now)];
    },
  },
};
