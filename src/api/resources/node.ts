import { ageColumn, ageOf, col, nameColumn, wide } from '../columns.js';
import { duplicate, forbidden, index, invalid, Rendered } from '../field.js';
import { list } from '../guards.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { isValidLabelValue, validateEnum, validateQualifiedName } from '../validation.js';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTaints(taints: any[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list(taints).forEach((t, i) => {
    const ip = index(path, i);
    errs.push(...validateQualifiedName(String(t?.key ?? ''), `${ip}.key`));
    const valueErrs = isValidLabelValue(String(t?.value ?? ''));
    if (valueErrs.length > 0) errs.push(invalid(`${ip}.value`, t?.value ?? '', valueErrs.join(';')));
    errs.push(...validateEnum(t?.effect, taintEffects, `${ip}.effect`));
    const key = `${t?.effect}\u0000${t?.key}`;
    if (seen.has(key)) {
      const shown = `core.Taint{Key:${JSON.stringify(t?.key ?? '')}, Value:${JSON.stringify(t?.value ?? '')}, Effect:${JSON.stringify(t?.effect ?? '')}, TimeAdded:<nil>}`;
      errs.push(duplicate(ip, new Rendered(shown), 'taints must be unique by key and effect pair'));
    }
    seen.add(key);
  });
  return errs;
}

function isCIDR(s: string): boolean {
  const m = /^(.+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(m[1]);
  if (v4) return v4.slice(1).every((x) => Number(x) <= 255) && Number(m[2]) <= 32;
  return m[1].includes(':') && Number(m[2]) <= 128;
}

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs = validateTaints(spec.taints, 'spec.taints');
  const cidrs: string[] = spec.podCIDRs ?? (spec.podCIDR ? [spec.podCIDR] : []);
  cidrs.forEach((c, i) => {
    if (!isCIDR(c))
      errs.push(
        invalid(
          index('spec.podCIDRs', i),
          c,
          'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        ),
      );
  });
  if (cidrs.length > 2)
    errs.push(invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
  return errs;
}

function validateUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validate(obj);
  const spec = obj.spec ?? {};
  const oldSpec = old.spec ?? {};
  const oldCIDRs: string[] = list(oldSpec.podCIDRs);
  const newCIDRs: string[] = list(spec.podCIDRs);
  if (
    oldCIDRs.length > 0 &&
    (oldCIDRs.length !== newCIDRs.length || oldCIDRs.some((c, i) => c !== newCIDRs[i]))
  )
    errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  if (oldSpec.providerID && oldSpec.providerID !== spec.providerID)
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return errs;
}

/** findNodeRoles: node-role.kubernetes.io/<role> labels and the kubernetes.io/role label. */
export function nodeRoles(o: Obj): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries<string>(o.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

/** The STATUS cell: Ready / NotReady / Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatus(o: Obj): string {
  const status: string[] = [];
  const ready = list(o.status?.conditions).find((c: any) => c?.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (o.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(o: Obj, type: string): string {
  return list(o.status?.addresses).find((a: any) => a?.type === type)?.address ?? '<none>';
}

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  schemaName: 'io.k8s.api.core.v1.Node',
  subresources: ['status', 'proxy'],
  keepsStatusOnCreate: true,
  defaults(obj) {
    const st = obj.status;
    if (st?.capacity && !st.allocatable) st.allocatable = { ...st.capacity };
  },
  validate,
  validateUpdate,
  fieldSelectors: { 'spec.unschedulable': (o) => String(o.spec?.unschedulable === true) },
  table: {
    columns: [
      nameColumn,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      ageColumn,
      col('Version', 'Kubelet Version reported by the node.'),
      wide('Internal-IP', 'List of addresses reachable to the node.'),
      wide('External-IP', 'List of addresses reachable to the node.'),
      wide(
        'OS-Image',
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      ),
      wide(
        'Kernel-Version',
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      ),
      wide(
        'Container-Runtime',
        'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      ),
    ],
    cells(o, now) {
      const info = o.status?.nodeInfo ?? {};
      return [
        o.metadata?.name,
        nodeStatus(o),
        nodeRoles(o).join(',') || '<none>',
        ageOf(o, now),
        info.kubeletVersion ?? '',
        address(o, 'InternalIP'),
        address(o, 'ExternalIP'),
        info.osImage || '<unknown>',
        info.kernelVersion || '<unknown>',
        info.containerRuntimeVersion || '<unknown>',
      ];
    },
  },
};
