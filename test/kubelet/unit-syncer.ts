// A PodSyncer over a fake CRI as the kubelet unit tests use it: no DNS servers, one documentation host IP,
// 2 CPUs and 4Gi allocatable, statuses written through the test API server; the rest as the test says.
import { silentLogger } from '../../src/client/log.js';
import { type PodSyncDeps, PodSyncer } from '../../src/kubelet/pod-sync.js';
import { StatusManager } from '../../src/kubelet/status-manager.js';

type Given = Pick<PodSyncDeps, 'cri' | 'rest' | 'recorder' | 'clock' | 'dataDir' | 'cgroupRoot'>;

export function unitPodSyncer(deps: Given & Partial<PodSyncDeps>): PodSyncer {
  return new PodSyncer({
    status: new StatusManager(deps.rest, silentLogger),
    log: silentLogger,
    dns: { servers: [], searches: [], options: [] },
    hostIPs: () => ['192.0.2.1'],
    nodeAllocatable: () => ({ cpu: '2', memory: '4Gi' }),
    ...deps,
  });
}
