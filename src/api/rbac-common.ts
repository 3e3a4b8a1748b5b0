// Validation and printing shared by the four rbac.authorization.k8s.io/v1 kinds.
import { child, index, invalid, notSupported, required } from './field.js';
import { list } from './guards.js';
import type { FieldError, Obj } from './types.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from './validation.js';

export const rbacGroup = 'rbac.authorization.k8s.io';

export function validatePolicyRules(
  rules: any[] | undefined,
  namespaced: boolean,
  path = 'rules',
): FieldError[] {
  const errs: FieldError[] = [];
  list(rules).forEach((r, i) => {
    const rp = index(path, i);
    if (!list(r?.verbs).length)
      errs.push(required(child(rp, 'verbs'), 'verbs must contain at least one value'));
    if (list(r?.nonResourceURLs).length > 0) {
      if (namespaced)
        errs.push(
          invalid(
            child(rp, 'nonResourceURLs'),
            r.nonResourceURLs,
            'namespaced rules cannot apply to non-resource URLs',
          ),
        );
      if (list(r.apiGroups).length || list(r.resources).length || list(r.resourceNames).length)
        errs.push(
          invalid(
            child(rp, 'nonResourceURLs'),
            r.nonResourceURLs,
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      return;
    }
    if (!list(r?.apiGroups).length)
      errs.push(required(child(rp, 'apiGroups'), 'resource rules must supply at least one api group'));
    if (!list(r?.resources).length)
      errs.push(required(child(rp, 'resources'), 'resource rules must supply at least one resource'));
  });
  return errs;
}

/** SetDefaults_Subject and the roleRef apiGroup default. */
export function defaultBinding(obj: Obj): void {
  obj.roleRef ??= {};
  obj.roleRef.apiGroup ||= rbacGroup;
  for (const s of list(obj.subjects)) {
    if (!s || typeof s !== 'object' || s.apiGroup) continue;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = rbacGroup;
  }
}

function validateSubject(s: Obj, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s?.name) errs.push(required(child(path, 'name')));
  switch (s?.kind) {
    case 'ServiceAccount':
      if (s.name)
        for (const m of isDNS1123Subdomain(s.name)) errs.push(invalid(child(path, 'name'), s.name, m));
      if (s.apiGroup) errs.push(notSupported(child(path, 'apiGroup'), s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(child(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== rbacGroup)
        errs.push(notSupported(child(path, 'apiGroup'), s.apiGroup ?? '', [rbacGroup]));
      break;
    default:
      errs.push(notSupported(child(path, 'kind'), s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

export function validateBinding(obj: Obj, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj.roleRef ?? {};
  if (ref.apiGroup !== rbacGroup)
    errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [rbacGroup]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required('roleRef.name'));
  else for (const m of isValidPathSegmentName(ref.name)) errs.push(invalid('roleRef.name', ref.name, m));
  list(obj.subjects).forEach((s: any, i: number) => {
    errs.push(...validateSubject(s, namespaced, index('subjects', i)));
  });
  return errs;
}

export function validateRoleRefUnchanged(obj: Obj, old: Obj): FieldError[] {
  const a = obj.roleRef ?? {};
  const b = old.roleRef ?? {};
  if (a.apiGroup === b.apiGroup && a.kind === b.kind && a.name === b.name) return [];
  return [invalid('roleRef', a, 'cannot change roleRef')];
}

/** rbac.SubjectsStrings: users, groups and service accounts ("namespace/name"), each ", "-joined. */
export function subjectsStrings(subjects: any[] | undefined): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of list(subjects)) {
    if (s?.kind === 'User') users.push(s.name);
    else if (s?.kind === 'Group') groups.push(s.name);
    else if (s?.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}
