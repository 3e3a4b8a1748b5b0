// Storage key layout: /registry/<group|core>/<resource>/[<namespace>/]<name>, like upstream's etcd layout.
import type { ResourceDef } from '../api/types.js';

export function resourcePrefix(def: ResourceDef): string {
  return `/registry/${def.group === '' ? 'core' : def.group}/${def.plural}/`;
}

/** Prefix for a list: the whole resource, or one namespace of it. */
export function listPrefix(def: ResourceDef, namespace: string | undefined): string {
  return def.namespaced && namespace ? `${resourcePrefix(def)}${namespace}/` : resourcePrefix(def);
}

export function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${resourcePrefix(def)}${namespace}/${name}` : `${resourcePrefix(def)}${name}`;
}
