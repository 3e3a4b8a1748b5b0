// Pods and runtime states for the kubelet's unit tests.
import type { ContainerRecord, PodRuntime, SandboxRecord } from '../../src/kubelet/runtime-state.js';

type Obj = Record<string, any>;
export const T0 = Date.parse('2025-01-01T00:00:00Z');

export function pod(spec: Obj = {}, meta: Obj = {}): Obj {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1', ...meta },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'k8ts.local/busybox:latest' }], ...spec },
    status: {
      phase: 'Pending',
      qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }],
    },
  };
}

export function sandbox(over: Partial<SandboxRecord> = {}): SandboxRecord {
  return { id: 'sb1', attempt: 0, ready: true, createdAt: T0, ips: ['10.42.0.5'], ...over };
}

let seq = 0;
export function container(name: string, over: Partial<ContainerRecord> = {}): ContainerRecord {
  seq++;
  return {
    id: `c${seq}`,
    sandboxId: 'sb1',
    name,
    restartCount: 0,
    state: 'CONTAINER_RUNNING',
    createdAt: T0 + seq,
    startedAt: T0 + 1000,
    finishedAt: 0,
    exitCode: 0,
    reason: '',
    message: '',
    image: 'k8ts.local/busybox:latest',
    imageRef: 'sha256:abc',
    logPath: `/logs/${name}/0.log`,
    ...over,
  };
}

export function exited(name: string, exitCode: number, over: Partial<ContainerRecord> = {}): ContainerRecord {
  return container(name, {
    state: 'CONTAINER_EXITED',
    exitCode,
    reason: exitCode === 0 ? 'Completed' : 'Error',
    finishedAt: T0 + 2000,
    ...over,
  });
}

export function runtime(sandboxes: SandboxRecord[], containers: ContainerRecord[]): PodRuntime {
  return {
    uid: 'uid-1',
    sandboxes,
    containers: [...containers].sort((a, b) => b.createdAt - a.createdAt),
  };
}
