// Objects that always exist in a cluster: the four system namespaces.
import type { ResourceDef } from '../api/types.js';
import { isK8tsError } from '../errors.js';
import { type ApiContext, createObject, updateObject } from './handlers.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function bootstrapNamespaces(ctx: ApiContext): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    await createObject(ctx, { def: ctx.namespaces }, body, { dryRun: false }).catch((err) => {
      if (!isK8tsError(err, 'AlreadyExists')) throw err;
    });
  }
}

/**
 * The `kubernetes` Service in `default` (first IP of the service range) and its Endpoints and EndpointSlice
 * (named `kubernetes`, as upstream's endpoints adapter writes them): this server.
 */
export async function bootstrapKubernetesService(
  ctx: ApiContext,
  endpoints: ResourceDef | undefined,
  clusterIp: string,
  address: string | undefined,
  port: number,
  slices?: ResourceDef,
): Promise<void> {
  const services = ctx.serviceIps?.def;
  if (!services) return;
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: clusterIp,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
      sessionAffinity: 'None',
    },
  };
  if (!(await ctx.store.tryGet(services, 'default', 'kubernetes'))) {
    await createObject(ctx, { def: services, namespace: 'default' }, svc, {
      dryRun: false,
      manager: 'k8ts-apiserver',
    }).catch((err) => {
      if (!isK8tsError(err, 'AlreadyExists')) throw err;
    });
  }
  if (!endpoints || !address) return;
  const ep = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
    },
    subsets: [{ addresses: [{ ip: address }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  };
  const t = { def: endpoints, namespace: 'default', name: 'kubernetes' };
  const existing = await ctx.store.tryGet(endpoints, 'default', 'kubernetes');
  if (!existing) await createObject(ctx, t, ep, { dryRun: false, manager: 'k8ts-apiserver' });
  else
    await updateObject(ctx, t, (cur) => ({ ...cur, subsets: ep.subsets }), {
      dryRun: false,
      manager: 'k8ts-apiserver',
    });
  if (!slices) return;
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'kubernetes' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
  const st = { def: slices, namespace: 'default', name: 'kubernetes' };
  if (!(await ctx.store.tryGet(slices, 'default', 'kubernetes'))) {
    await createObject(ctx, st, slice, { dryRun: false, manager: 'k8ts-apiserver' }).catch((err) => {
      if (!isK8tsError(err, 'AlreadyExists')) throw err;
    });
  } else {
    await updateObject(ctx, st, (cur) => ({ ...cur, endpoints: slice.endpoints, ports: slice.ports }), {
      dryRun: false,
      manager: 'k8ts-apiserver',
    });
  }
}
