// What a node needs under its kubelet, in one call: containerd supervised on the data dir, the built-in
// pause and busybox images present, tarballs from `<dataDir>/images/` imported (k3s's air-gap pattern), and
// the pod network configured once the node's podCIDR is known. The kubelet then talks CRI through `cri`.

import { join } from 'node:path';
import { type CniOptions, enableIpForward, parseCidr, writeCniConfig } from './cni.js';
import { type ContainerdHandle, type ContainerdOptions, startContainerd } from './containerd.js';
import { CriClient } from './cri/client.js';
import { ensureBuiltinImages, importImagesDir } from './images.js';

export interface NodeRuntimeOptions {
  dataDir: string;
  /** The node's pod range; may also be given later with setPodCIDR once the control plane assigns it. */
  podCIDR?: string;
  /** Extra containerd supervisor options (binary, log level, restart back-off, events). */
  containerd?: Omit<ContainerdOptions, 'dataDir'>;
  /** The static busybox the built-in images are made from (default /bin/busybox). */
  busybox?: string;
  /** Bridge and network names (defaults k8ts0, k8ts), and whether the CNI plugin masquerades (default yes). */
  cni?: Pick<CniOptions, 'bridge' | 'networkName' | 'ipMasq'>;
}

export interface NodeRuntimeTimings {
  containerdStartMs: number;
  builtinImagesMs: number;
  airgapImportMs: number;
}

export interface NodeRuntime {
  containerd: ContainerdHandle;
  cri: CriClient;
  /** Image names imported at start (built-in ones only when they were missing). */
  imported: string[];
  timings: NodeRuntimeTimings;
  /** Writes the CNI network for podCIDR (containerd picks it up live) and enables forwarding. */
  setPodCIDR(podCIDR: string): void;
  /** Stops containerd. Running containers keep running in their shims, to be found again next start. */
  stop(): Promise<void>;
}

export function imagesDir(dataDir: string): string {
  return join(dataDir, 'images');
}

export async function startNodeRuntime(opts: NodeRuntimeOptions): Promise<NodeRuntime> {
  const setPodCIDR = (podCIDR: string) => {
    writeCniConfig({ ...opts.cni, dataDir: opts.dataDir, podCIDR });
    enableIpForward(parseCidr(podCIDR).ipv6);
  };
  if (opts.podCIDR) setPodCIDR(opts.podCIDR);
  const containerd = await startContainerd({ ...opts.containerd, dataDir: opts.dataDir });
  const cri = new CriClient(containerd.socket);
  try {
    const importOptions = { snapshotter: containerd.snapshotter };
    let t0 = performance.now();
    const builtin = await ensureBuiltinImages(cri, containerd.socket, containerd.paths.dir, {
      ...importOptions,
      busybox: opts.busybox,
    });
    const builtinImagesMs = performance.now() - t0;
    t0 = performance.now();
    const airgap = await importImagesDir(containerd.socket, imagesDir(opts.dataDir), importOptions);
    const airgapImportMs = performance.now() - t0;
    return {
      containerd,
      cri,
      imported: [...builtin.imported, ...airgap],
      timings: { containerdStartMs: containerd.startupMs, builtinImagesMs, airgapImportMs },
      setPodCIDR,
      stop: async () => {
        cri.close();
        await containerd.stop();
      },
    };
  } catch (err) {
    cri.close();
    await containerd.stop();
    throw err;
  }
}
