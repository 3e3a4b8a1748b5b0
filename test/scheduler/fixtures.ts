// Hand-built pods, nodes and NodeInfos for scheduler unit tests.
import { SchedulerCache } from '../../src/scheduler/cache.js';
import type { Node, NodeInfo, Pod } from '../../src/scheduler/types.js';

export function makeNode(
  name: string,
  opts: {
    cpu?: string;
    memory?: string;
    pods?: string;
    extra?: Record<string, string>;
    labels?: Record<string, string>;
    taints?: { key: string; value?: string; effect: string }[];
    unschedulable?: boolean;
  } = {},
): Node {
  const allocatable = {
    cpu: opts.cpu ?? '4',
    memory: opts.memory ?? '8Gi',
    pods: opts.pods ?? '110',
    ...opts.extra,
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: {
      ...(opts.taints ? { taints: opts.taints } : {}),
      ...(opts.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      allocatable,
      capacity: allocatable,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }],
    },
  };
}

export function makePod(
  name: string,
  opts: {
    cpu?: string;
    memory?: string;
    extra?: Record<string, string>;
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    tolerations?: any[];
    affinity?: any;
    hostPort?: number;
    initContainers?: any[];
    priority?: number;
    created?: string;
    namespace?: string;
  } = {},
): Pod {
  const requests: Record<string, string> = { ...opts.extra };
  if (opts.cpu) requests.cpu = opts.cpu;
  if (opts.memory) requests.memory = opts.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      creationTimestamp: opts.created ?? '2025-01-01T00:00:00Z',
    },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          resources: { requests },
          ...(opts.hostPort ? { ports: [{ containerPort: 80, hostPort: opts.hostPort }] } : {}),
        },
      ],
      ...(opts.initContainers ? { initContainers: opts.initContainers } : {}),
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
      ...(opts.affinity ? { affinity: opts.affinity } : {}),
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    },
  };
}

/** NodeInfos for `nodes` with `pods` (each naming its node) counted on them. */
export function nodeInfos(nodes: Node[], pods: Pod[] = []): NodeInfo[] {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.setNode(n);
  for (const p of pods) cache.setPod(p);
  return cache.nodes();
}
