// Validation of a CustomResourceDefinition (apiextensions.k8s.io/v1), following upstream's
// ValidateCustomResourceDefinition: names, group, scope, versions with exactly one storage version,
// per-version schema (structural basics), subresources and printer columns.
import { child, duplicate, index, invalid, notSupported, Rendered, required } from '../field.js';
import { isObject, list } from '../guards.js';
import type { FieldError, Obj } from '../types.js';
import { isDNS1035Label, isDNS1123Subdomain } from '../validation.js';
import { validateStructuralSchema } from './structural.js';

const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];
const COLUMN_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'password'];

function validateNames(names: unknown, path: string): FieldError[] {
  if (!isObject(names)) return [required(path)];
  const errs: FieldError[] = [];
  const label = (v: unknown, p: string, lower = false) => {
    if (v === undefined || v === '') return;
    if (typeof v !== 'string') {
      errs.push(invalid(p, v, 'must be a string'));
      return;
    }
    for (const m of isDNS1035Label(lower ? v.toLowerCase() : v)) errs.push(invalid(p, v, m));
  };
  if (!names.plural) errs.push(required(child(path, 'plural')));
  label(names.plural, child(path, 'plural'));
  label(names.singular, child(path, 'singular'));
  if (!names.kind) errs.push(required(child(path, 'kind')));
  label(names.kind, child(path, 'kind'), true);
  label(names.listKind, child(path, 'listKind'), true);
  if (names.listKind && names.listKind === names.kind)
    errs.push(invalid(child(path, 'listKind'), names.listKind, 'kind and listKind may not be the same'));
  for (const field of ['shortNames', 'categories'])
    list(names[field]).forEach((s, i) => {
      label(s, index(child(path, field), i));
    });
  return errs;
}

function underPath(v: unknown, p: string, prefixes: string[], what: string): FieldError[] {
  if (v === undefined || v === '') return [];
  if (typeof v !== 'string' || !prefixes.some((x) => v.startsWith(`${x}.`)))
    return [invalid(p, v, `should be a json path under ${what}`)];
  return [];
}

function validateSubresources(sub: unknown, path: string): FieldError[] {
  if (sub === undefined || sub === null) return [];
  if (!isObject(sub)) return [invalid(path, sub, 'must be an object')];
  const scale = sub.scale;
  if (scale === undefined || scale === null) return [];
  const sp = child(path, 'scale');
  if (!isObject(scale)) return [invalid(sp, scale, 'must be an object')];
  const errs: FieldError[] = [];
  if (!scale.specReplicasPath) errs.push(required(child(sp, 'specReplicasPath')));
  errs.push(...underPath(scale.specReplicasPath, child(sp, 'specReplicasPath'), ['.spec'], '.spec'));
  if (!scale.statusReplicasPath) errs.push(required(child(sp, 'statusReplicasPath')));
  errs.push(...underPath(scale.statusReplicasPath, child(sp, 'statusReplicasPath'), ['.status'], '.status'));
  errs.push(
    ...underPath(
      scale.labelSelectorPath,
      child(sp, 'labelSelectorPath'),
      ['.spec', '.status'],
      'either .spec or .status',
    ),
  );
  return errs;
}

function validateColumns(cols: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  list(cols).forEach((c, i) => {
    const p = index(path, i);
    if (!isObject(c)) {
      errs.push(invalid(p, c, 'must be an object'));
      return;
    }
    if (!c.name) errs.push(required(child(p, 'name')));
    if (!c.type) errs.push(required(child(p, 'type')));
    else if (!COLUMN_TYPES.includes(c.type)) errs.push(notSupported(child(p, 'type'), c.type, COLUMN_TYPES));
    if (c.format && !COLUMN_FORMATS.includes(c.format))
      errs.push(notSupported(child(p, 'format'), c.format, COLUMN_FORMATS));
    if (!c.jsonPath) errs.push(required(child(p, 'jsonPath')));
    else if (typeof c.jsonPath !== 'string' || !/^\.[^{}]*$/.test(c.jsonPath))
      errs.push(invalid(child(p, 'jsonPath'), c.jsonPath, 'must be a simple json path starting with .'));
  });
  return errs;
}

function validateVersions(versions: unknown, path: string): FieldError[] {
  const vs = list(versions);
  const errs: FieldError[] = [];
  if (vs.length === 0) return [required(path, 'must have exactly one version marked as storage version')];
  const storage = vs.filter((v) => isObject(v) && v.storage === true).length;
  if (storage !== 1)
    errs.push(
      invalid(
        path,
        new Rendered(`[]apiextensions.CustomResourceDefinitionVersion{...}`),
        'must have exactly one version marked as storage version',
      ),
    );
  const seen = new Set<string>();
  vs.forEach((v, i) => {
    const p = index(path, i);
    if (!isObject(v)) {
      errs.push(invalid(p, v, 'must be an object'));
      return;
    }
    if (!v.name) errs.push(required(child(p, 'name')));
    else if (typeof v.name !== 'string') errs.push(invalid(child(p, 'name'), v.name, 'must be a string'));
    else {
      for (const m of isDNS1035Label(v.name)) errs.push(invalid(child(p, 'name'), v.name, m));
      if (seen.has(v.name)) errs.push(duplicate(child(p, 'name'), v.name));
      seen.add(v.name);
    }
    if (typeof v.served !== 'boolean') errs.push(required(child(p, 'served')));
    if (typeof v.storage !== 'boolean') errs.push(required(child(p, 'storage')));
    errs.push(...validateStructuralSchema(v.schema?.openAPIV3Schema, child(p, 'schema', 'openAPIV3Schema')));
    errs.push(...validateSubresources(v.subresources, child(p, 'subresources')));
    errs.push(...validateColumns(v.additionalPrinterColumns, child(p, 'additionalPrinterColumns')));
  });
  return errs;
}

export function validateCRD(obj: Obj): FieldError[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const errs: FieldError[] = [];
  const group = spec.group;
  if (!group) errs.push(required('spec.group'));
  else if (typeof group !== 'string') errs.push(invalid('spec.group', group, 'must be a string'));
  else {
    for (const m of isDNS1123Subdomain(group)) errs.push(invalid('spec.group', group, m));
    if (group.split('.').length < 2)
      errs.push(invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  const name = obj.metadata?.name;
  const plural = spec.names?.plural;
  if (name && `${plural}.${group}` !== name)
    errs.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (!spec.scope) errs.push(required('spec.scope'));
  else if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  errs.push(...validateNames(spec.names, 'spec.names'));
  errs.push(...validateVersions(spec.versions, 'spec.versions'));
  const strategy = spec.conversion?.strategy;
  if (strategy !== undefined && strategy !== 'None' && strategy !== 'Webhook')
    errs.push(notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  if (spec.preserveUnknownFields === true)
    errs.push(
      invalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'),
    );
  return errs;
}

export function validateCRDUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validateCRD(obj);
  if (old.spec?.scope !== obj.spec?.scope && old.spec?.scope !== undefined)
    errs.push(invalid('spec.scope', obj.spec?.scope, 'field is immutable'));
  const versions = new Set(list(obj.spec?.versions).map((v) => v?.name));
  list(obj.status?.storedVersions).forEach((v, i) => {
    if (!versions.has(v))
      errs.push(invalid(index('status.storedVersions', i), v, 'must appear in spec.versions'));
  });
  return errs;
}
