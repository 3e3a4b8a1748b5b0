// The resource registry: every served kind, described once (see types.ts).
import { allResources } from './resources/index.js';
import type { ResourceDef } from './types.js';

export interface GroupVersion {
  group: string;
  version: string;
}

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

export function parseApiVersion(apiVersion: string): GroupVersion {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export class Registry {
  private list: ResourceDef[] = [];
  private byPath = new Map<string, ResourceDef>();
  private byKind = new Map<string, ResourceDef>();
  /** Bumped on every add/remove, so derived documents (OpenAPI) know to rebuild. */
  revision = 0;

  constructor(resources: readonly ResourceDef[]) {
    this.add(resources);
  }

  get resources(): readonly ResourceDef[] {
    return this.list;
  }

  private parent?: { registry: Registry; revision: number };
  private forkedAt = 0;

  /** A registry of the same kinds that can change on its own (each API server serves its own CRDs). */
  fork(): Registry {
    const r = new Registry(this.list);
    r.parent = { registry: this, revision: this.revision };
    r.forkedAt = r.revision;
    return r;
  }

  /**
   * The registry whose derived documents (OpenAPI) this one can share: the one it was forked from while
   * neither has changed since, else itself. Servers without CRDs then build those documents once.
   */
  documentsKey(): Registry {
    const p = this.parent;
    if (p && this.revision === this.forkedAt && p.registry.revision === p.revision)
      return p.registry.documentsKey();
    return this;
  }

  /** Serves more kinds (custom resources once their CRD is established). */
  add(resources: readonly ResourceDef[]): void {
    for (const r of resources) {
      const path = `${r.group}/${r.version}/${r.plural}`;
      if (this.byPath.has(path)) throw new Error(`duplicate resource ${path}`);
    }
    for (const r of resources) {
      this.byPath.set(`${r.group}/${r.version}/${r.plural}`, r);
      this.byKind.set(`${r.group}/${r.version}/${r.kind}`, r);
    }
    this.list = [...this.list, ...resources];
    this.revision++;
  }

  /** Stops serving these kinds (a CRD was deleted or changed). */
  remove(resources: readonly ResourceDef[]): void {
    const gone = new Set(resources);
    for (const r of resources) {
      if (this.byPath.get(`${r.group}/${r.version}/${r.plural}`) === r)
        this.byPath.delete(`${r.group}/${r.version}/${r.plural}`);
      if (this.byKind.get(`${r.group}/${r.version}/${r.kind}`) === r)
        this.byKind.delete(`${r.group}/${r.version}/${r.kind}`);
    }
    this.list = this.list.filter((r) => !gone.has(r));
    this.revision++;
  }

  /** Lookup by URL parts: group ('' for core), version, plural resource name. */
  lookup(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  lookupKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const gv = parseApiVersion(apiVersion);
    return this.byKind.get(`${gv.group}/${gv.version}/${kind}`);
  }

  /** All group/versions, core first, then groups in registration order. */
  groupVersions(): GroupVersion[] {
    const seen = new Set<string>();
    const out: GroupVersion[] = [];
    for (const r of this.resources) {
      const k = apiVersionOf(r);
      if (!seen.has(k)) {
        seen.add(k);
        out.push({ group: r.group, version: r.version });
      }
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.resources.filter((r) => r.group === group && r.version === version);
  }
}

let defaultRegistry: Registry | undefined;
export function registry(): Registry {
  defaultRegistry ??= new Registry(allResources);
  return defaultRegistry;
}
