// Discovery documents (/api, /apis, /api/v1, /apis/G/V), derived from the registry.

import { createHash } from 'node:crypto';
import { apiVersionOf, type GroupVersion, type Registry } from '../api/registry.js';
import type { ResourceDef, SubresourceName } from '../api/types.js';

/** What discovery is derived from: the resource registry, plus any groups the server answers itself. */
export type DiscoverySource = Pick<Registry, 'groupVersions' | 'inGroupVersion'>;

/**
 * The registry with groups whose kinds are computed rather than stored (metrics.k8s.io) listed after its
 * own, as upstream lists aggregated groups after the built-in ones. Read through on every call, so kinds
 * added to the registry later show up.
 */
export function withServedGroups(reg: DiscoverySource, served: readonly ResourceDef[]): DiscoverySource {
  const extra: GroupVersion[] = [];
  for (const d of served)
    if (!extra.some((gv) => gv.group === d.group && gv.version === d.version))
      extra.push({ group: d.group, version: d.version });
  return {
    groupVersions: () => [...reg.groupVersions(), ...extra],
    inGroupVersion: (group, version) => {
      const own = served.filter((d) => d.group === group && d.version === version);
      return own.length ? own : reg.inGroupVersion(group, version);
    },
  };
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface SubresourceInfo {
  verbs: string[];
  kind?: string;
  group?: string;
  version?: string;
}

/** Verbs and response kinds of each subresource, as upstream advertises them. */
const SUBRESOURCES: Record<SubresourceName, SubresourceInfo> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { verbs: ['get', 'patch', 'update'], kind: 'Scale', group: 'autoscaling', version: 'v1' },
  binding: { verbs: ['create'], kind: 'Binding' },
  log: { verbs: ['get'], kind: 'Pod' },
  exec: { verbs: ['create', 'get'], kind: 'PodExecOptions' },
  attach: { verbs: ['create', 'get'], kind: 'PodAttachOptions' },
  portforward: { verbs: ['create', 'get'], kind: 'PodPortForwardOptions' },
  proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'ProxyOptions' },
  eviction: { verbs: ['create'], kind: 'Eviction', group: 'policy', version: 'v1' },
  token: { verbs: ['create'], kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' },
  ephemeralcontainers: { verbs: ['get', 'patch', 'update'] },
  resize: { verbs: ['get', 'patch', 'update'] },
  finalize: { verbs: ['update'] },
};

function storageVersionHash(def: ResourceDef): string {
  return createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest('base64').slice(0, 11);
}

export function apiResourceList(reg: DiscoverySource, group: string, version: string): object {
  const resources: object[] = [];
  for (const def of reg.inGroupVersion(group, version)) {
    const main: Record<string, unknown> = {
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs ?? ALL_VERBS,
    };
    if (def.shortNames?.length) main.shortNames = def.shortNames;
    if (def.categories?.length) main.categories = def.categories;
    main.storageVersionHash = storageVersionHash(def);
    resources.push(main);
    for (const sub of def.subresources ?? []) {
      const info = SUBRESOURCES[sub];
      const r: Record<string, unknown> = {
        name: `${def.plural}/${sub}`,
        singularName: '',
        namespaced: def.namespaced,
        kind: info.kind ?? def.kind,
        verbs: info.verbs,
      };
      if (info.group) {
        r.group = info.group;
        r.version = info.version;
      }
      resources.push(r);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources,
  };
}

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(reg: DiscoverySource, group: string): object {
  const versions = reg
    .groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(reg: DiscoverySource): object {
  const groups: string[] = [];
  for (const gv of reg.groupVersions())
    if (gv.group !== '' && !groups.includes(gv.group)) groups.push(gv.group);
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => groupEntry(reg, g)) };
}

export function apiGroup(reg: DiscoverySource, group: string): object | undefined {
  if (!reg.groupVersions().some((gv) => gv.group === group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(reg, group) };
}

/** Which aggregated discovery version the Accept header asks for first (kubectl 1.26+ asks), if any. */
export function aggregatedDiscoveryVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    if (!/as=APIGroupDiscoveryList/.test(part) || !/g=apidiscovery\.k8s\.io/.test(part)) continue;
    const v = part.match(/;\s*v=(v2beta1|v2)\b/)?.[1];
    if (v === 'v2' || v === 'v2beta1') return v;
  }
  return undefined;
}

function discoveryResource(def: ResourceDef): object {
  const r: Record<string, unknown> = {
    resource: def.plural,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs ?? ALL_VERBS,
  };
  if (def.shortNames?.length) r.shortNames = def.shortNames;
  if (def.categories?.length) r.categories = def.categories;
  const subs = (def.subresources ?? []).map((sub) => {
    const info = SUBRESOURCES[sub];
    return {
      subresource: sub,
      responseKind: {
        group: info.group ?? def.group,
        version: info.version ?? def.version,
        kind: info.kind ?? def.kind,
      },
      verbs: info.verbs,
    };
  });
  if (subs.length) r.subresources = subs;
  return r;
}

/** The aggregated form of /api (core only) or /apis (every group), in one document. */
export function aggregatedDiscovery(
  reg: DiscoverySource,
  legacy: boolean,
  version: 'v2' | 'v2beta1',
): object {
  const groups: string[] = [];
  for (const gv of reg.groupVersions()) {
    if ((gv.group === '') === legacy && !groups.includes(gv.group)) groups.push(gv.group);
  }
  const items = groups.map((group) => ({
    metadata: group === '' ? {} : { name: group },
    versions: reg
      .groupVersions()
      .filter((gv) => gv.group === group)
      .map((gv) => ({
        version: gv.version,
        resources: reg.inGroupVersion(group, gv.version).map(discoveryResource),
        freshness: 'Current',
      })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
