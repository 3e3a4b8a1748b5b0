import { isIP } from 'node:net';
import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { child, index, invalid, required } from '../field.js';
import { list as asList } from '../guards.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import {
  isDNS1123Subdomain,
  isValidIP,
  isValidPortNum,
  validateDNS1123Label,
  validateEnum,
  validateQualifiedName,
} from '../validation.js';

function validateAddress(a: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ip = String(a?.ip ?? '');
  const ipErrs = isValidIP(ip);
  for (const m of ipErrs) errs.push(invalid(child(path, 'ip'), ip, m));
  if (ipErrs.length === 0) {
    if (ip === '0.0.0.0' || ip === '::')
      errs.push(invalid(child(path, 'ip'), ip, 'may not be unspecified (0.0.0.0, ::)'));
    else if (ip.startsWith('127.') || ip === '::1')
      errs.push(invalid(child(path, 'ip'), ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
    else if (ip.startsWith('169.254.') || (isIP(ip) === 6 && /^fe[89ab]/i.test(ip)))
      errs.push(
        invalid(child(path, 'ip'), ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'),
      );
  }
  if (a?.hostname) errs.push(...validateDNS1123Label(a.hostname, child(path, 'hostname')));
  if (a?.nodeName)
    for (const m of isDNS1123Subdomain(a.nodeName))
      errs.push(invalid(child(path, 'nodeName'), a.nodeName, m));
  return errs;
}

function validate(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  asList(obj.subsets).forEach((ss: any, i: number) => {
    const sp = index('subsets', i);
    if (!asList(ss?.addresses).length && !asList(ss?.notReadyAddresses).length)
      errs.push(required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    asList(ss?.addresses).forEach((a: any, j: number) => {
      errs.push(...validateAddress(a, index(child(sp, 'addresses'), j)));
    });
    asList(ss?.notReadyAddresses).forEach((a: any, j: number) => {
      errs.push(...validateAddress(a, index(child(sp, 'notReadyAddresses'), j)));
    });
    const ports: any[] = asList(ss?.ports);
    ports.forEach((p, j) => {
      const pp = index(child(sp, 'ports'), j);
      if (ports.length > 1 && !p?.name) errs.push(required(child(pp, 'name')));
      else if (p?.name) errs.push(...validateDNS1123Label(p.name, child(pp, 'name')));
      for (const m of isValidPortNum(p?.port)) errs.push(invalid(child(pp, 'port'), p?.port ?? 0, m));
      errs.push(...validateEnum(p?.protocol, ['SCTP', 'TCP', 'UDP'], child(pp, 'protocol')));
      if (p?.appProtocol != null)
        errs.push(...validateQualifiedName(p.appProtocol, child(pp, 'appProtocol')));
    });
  });
  return errs;
}

/** formatEndpoints: up to three ip:port pairs, then "+ N more...". */
export function formatEndpoints(o: Obj): string {
  const subsets: any[] = asList(o.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs: any[] = asList(ss?.addresses);
    const ports: any[] = asList(ss?.ports);
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a?.ip);
      }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(isIP(a?.ip) === 6 ? `[${a.ip}]:${p?.port}` : `${a?.ip}:${p?.port}`);
      }
    }
  }
  const s = list.join(',');
  return more ? `${s} + ${count - max} more...` : s;
}

export const endpoints: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  schemaName: 'io.k8s.api.core.v1.Endpoints',
  defaults(obj) {
    for (const ss of asList(obj.subsets))
      for (const p of asList(ss?.ports)) if (p && !p.protocol) p.protocol = 'TCP';
  },
  validate,
  table: {
    columns: [
      nameColumn,
      col('Endpoints', 'The set of all endpoints is the union of all subsets.'),
      ageColumn,
    ],
    cells: (o, now) => [o.metadata?.name, formatEndpoints(o), ageOf(o, now)],
  },
};
