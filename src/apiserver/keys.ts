// Storage key layout: /registry/<group|core>/<resource>/[<namespace>/]<name>, like upstream's etcd layout.
import type { ResourceDef } from '../api/types.js';

type KeyDef = Pick<ResourceDef, 'group' | 'plural' | 'namespaced' | 'sharedStorage'>;

/** A kind that shares another kind's storage (events.k8s.io Event) uses that kind's keys. */
export function resourcePrefix(def: KeyDef): string {
  if (def.sharedStorage) return `/registry/${def.sharedStorage.group || 'core'}/${def.sharedStorage.plural}/`;
  return `/registry/${def.group === '' ? 'core' : def.group}/${def.plural}/`;
}

/** Prefix for a list: the whole resource, or one namespace of it. */
export function listPrefix(def: KeyDef, namespace: string | undefined): string {
  return def.namespaced && namespace ? `${resourcePrefix(def)}${namespace}/` : resourcePrefix(def);
}

export function objectKey(def: KeyDef, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${resourcePrefix(def)}${namespace}/${name}` : `${resourcePrefix(def)}${name}`;
}
