// Leaves no trace of a k8ts node whose server is already stopped: starts its containerd once more to
// remove every pod through CRI, then stops it and its shims by pid, unmounts, deletes the CNI bridge,
// removes the pods' cgroups under cgroupRoot and the data dir (teardownTestNode does the middle part).
import { cgroupPids, removeCgroup } from '../../src/kubelet/cgroups.js';
import { shimPids, startContainerd } from '../../src/runtime/containerd.js';
import { containerdPaths } from '../../src/runtime/containerd-config.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { teardownTestNode } from './node-runtime.js';

export async function cleanupNodeDataDir(
  dataDir: string,
  bridge: string,
  cgroupRoot?: string,
): Promise<void> {
  // Shims of a server that was killed still run; containerd finds them again and removes their pods.
  const containerd = await startContainerd({ dataDir, restart: false, stopGraceMs: 3_000 });
  const cri = new CriClient(containerd.socket);
  await teardownTestNode({ dataDir, bridge, cri, containerd });
  for (const pid of shimPids(containerdPaths(dataDir).socket)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (cgroupRoot) {
    // A container created but never started leaves `runc init` waiting once its shim is gone: end every
    // process still in the node's cgroups (all started by this node), then remove them.
    for (const pid of cgroupPids(cgroupRoot)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (cgroupPids(cgroupRoot).length > 0) await new Promise((r) => setTimeout(r, 200));
    removeCgroup(cgroupRoot);
  }
}
