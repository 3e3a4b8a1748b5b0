import { isIP } from 'node:net';
import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { child, duplicate, index, invalid, notSupported, required, tooMany } from '../field.js';
import { list as asList } from '../guards.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import {
  isDNS1123Subdomain,
  validateDNS1123Label,
  validateEnum,
  validateImmutableField,
  validateQualifiedName,
} from '../validation.js';

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];

function validate(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const at = obj.addressType;
  if (!at) errs.push(required('addressType'));
  else if (!addressTypes.includes(at)) errs.push(notSupported('addressType', at, addressTypes));
  const eps: any[] = asList(obj.endpoints);
  if (eps.length > 1000) errs.push(tooMany('endpoints', eps.length, 1000));
  eps.forEach((ep, i) => {
    const ip = index('endpoints', i);
    const ap = child(ip, 'addresses');
    const addrs: string[] = asList(ep?.addresses);
    if (addrs.length === 0) errs.push(required(ap, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(tooMany(ap, addrs.length, 100));
    addrs.forEach((a, j) => {
      const p = index(ap, j);
      if (at === 'IPv4' && isIP(a) !== 4) errs.push(invalid(p, a, 'must be a valid IPv4 address'));
      if (at === 'IPv6' && isIP(a) !== 6) errs.push(invalid(p, a, 'must be a valid IPv6 address'));
      if (at === 'FQDN') for (const m of isDNS1123Subdomain(a)) errs.push(invalid(p, a, m));
    });
    if (ep?.nodeName)
      for (const m of isDNS1123Subdomain(ep.nodeName))
        errs.push(invalid(child(ip, 'nodeName'), ep.nodeName, m));
    if (ep?.hostname) errs.push(...validateDNS1123Label(ep.hostname, child(ip, 'hostname')));
  });
  const ports: any[] = asList(obj.ports);
  if (ports.length > 20000) errs.push(tooMany('ports', ports.length, 20000));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = index('ports', i);
    const name = p?.name ?? '';
    if (name) errs.push(...validateDNS1123Label(name, child(pp, 'name')));
    if (names.has(name)) errs.push(duplicate(child(pp, 'name'), name));
    names.add(name);
    errs.push(...validateEnum(p?.protocol, ['SCTP', 'TCP', 'UDP'], child(pp, 'protocol')));
    if (p?.appProtocol != null) errs.push(...validateQualifiedName(p.appProtocol, child(pp, 'appProtocol')));
  });
  return errs;
}

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const s = list.join(',');
  if (more) return `${s} + ${count - max} more...`;
  return s || '<unset>';
}

function portsCell(o: Obj): string {
  const ports: any[] = asList(o.ports);
  const list: string[] = [];
  let more = false;
  for (const p of ports) {
    if (list.length < 3) list.push(p?.port != null ? String(p.port) : p?.name != null ? p.name : '*');
    else more = true;
  }
  return listWithMore(list, more, ports.length, 3);
}

function endpointsCell(o: Obj): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ep of asList(o.endpoints))
    for (const a of asList(ep?.addresses)) {
      if (list.length < 3) list.push(a);
      else more = true;
      count++;
    }
  return listWithMore(list, more, count, 3);
}

export const endpointSlices: ResourceDef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  schemaName: 'io.k8s.api.discovery.v1.EndpointSlice',
  defaults(obj) {
    for (const p of asList(obj.ports)) {
      if (!p || typeof p !== 'object') continue;
      p.name ??= '';
      p.protocol ??= 'TCP';
    }
  },
  validate,
  validateUpdate: (obj, old) => [
    ...validate(obj),
    ...validateImmutableField(obj.addressType, old.addressType, 'addressType'),
  ],
  table: {
    columns: [
      nameColumn,
      col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
      col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
      col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
      ageColumn,
    ],
    cells: (o, now) => [o.metadata?.name, o.addressType ?? '', portsCell(o), endpointsCell(o), ageOf(o, now)],
  },
};
