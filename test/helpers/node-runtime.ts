// Test harness for the node runtime: a real containerd (supervised by src/runtime/containerd.ts) in a temp
// data dir with a CNI bridge of its own and a podCIDR unlikely to collide, and a teardown that leaves the
// machine as it found it: pods removed, containerd and any shim stopped by pid, mounts under the temp dir
// unmounted, the test bridge deleted, the temp dir removed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeMasquerade } from '../../src/network/index.js';
import { enableIpForward, writeCniConfig } from '../../src/runtime/cni.js';
import {
  type ContainerdHandle,
  type ContainerdOptions,
  shimPids,
  startContainerd,
} from '../../src/runtime/containerd.js';
import { CriClient } from '../../src/runtime/cri/client.js';

/** Why the runtime tests cannot run here, or null when they can. */
export function runtimeSkipReason(): string | null {
  if (process.platform !== 'linux') return 'container runtime tests need Linux';
  if (process.getuid?.() !== 0) return 'container runtime tests need root (containerd, runc, CNI)';
  const bin = process.env.K8TS_CONTAINERD_BIN ?? '/usr/bin/containerd';
  for (const path of [bin, '/usr/bin/ctr', '/usr/sbin/runc', '/usr/lib/cni/bridge', '/bin/busybox']) {
    if (!existsSync(path))
      return `${path} is missing (apt-get install containerd runc containernetworking-plugins busybox-static)`;
  }
  return null;
}

export interface TestRuntime {
  dataDir: string;
  podCIDR: string;
  bridge: string;
  containerd: ContainerdHandle;
  cri: CriClient;
  /** Removes every pod, stops containerd and shims, unmounts, deletes the bridge and the temp dir. */
  teardown(): Promise<void>;
}

/** Mount points at or below dir, deepest first (from /proc/self/mountinfo; octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  const decode = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => decode(line.split(' ')[4]))
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * A /24 in 10.244.200-249 (away from the low ranges a real k8ts node hands out) that no interface on the
 * host uses. Test files running at the same time pass different slots (0, 1, 2) and so never pick the same.
 */
export function pickTestPodCidr(slot: number): string {
  const inUse = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (let i = 0; i < 16; i++) {
    const octet = 200 + ((process.pid + i) % 16) * 3 + (slot % 3);
    if (!inUse.includes(` 10.244.${octet}.`)) return `10.244.${octet}.0/24`;
  }
  throw new Error('no free 10.244.200-249.0/24 range for the test pod network');
}

/** Removes every pod, stops containerd and its shims by pid, unmounts, deletes the bridge (and its masquerade table) and the dir. */
export async function teardownTestNode(node: {
  dataDir: string;
  bridge: string;
  cri: CriClient;
  containerd: ContainerdHandle;
}): Promise<void> {
  const { dataDir, bridge, cri, containerd } = node;
  try {
    for (const sandbox of await cri.listPodSandbox()) {
      await cri.stopPodSandbox(sandbox.id).catch(() => {});
      await cri.removePodSandbox(sandbox.id).catch(() => {});
    }
  } catch {
    // containerd may already be gone; the steps below still clean up.
  }
  cri.close();
  await containerd.stop();
  for (const pid of shimPids(containerd.socket)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const mp of mountsUnder(dataDir)) {
    if (spawnSync('umount', [mp], { stdio: 'ignore' }).status !== 0) {
      spawnSync('umount', ['-l', mp], { stdio: 'ignore' });
    }
  }
  spawnSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
  // A k8ts node's pod masquerade rule (src/network) is named after its bridge.
  await removeMasquerade(bridge);
  if (mountsUnder(dataDir).length === 0) rmSync(dataDir, { recursive: true, force: true });
}

/** A bridge name of our own per test process (at most 15 characters). */
export function testBridgeName(): string {
  return `k8tst${process.pid % 100000}`;
}

export async function startTestRuntime(
  opts: Partial<ContainerdOptions> & { slot?: number; ipMasq?: boolean } = {},
): Promise<TestRuntime> {
  const { slot, ipMasq, ...containerdOptions } = opts;
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-runtime-'));
  const podCIDR = pickTestPodCidr(slot ?? 0);
  const bridge = testBridgeName();
  writeCniConfig({ dataDir, podCIDR, bridge, ipMasq, networkName: `k8ts-test-${process.pid}` });
  enableIpForward();
  let containerd: ContainerdHandle;
  try {
    containerd = await startContainerd({ dataDir, ...containerdOptions });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const cri = new CriClient(containerd.socket);
  // A test may replace runtime.containerd (a new supervisor taking over the same data dir).
  const teardown = () => teardownTestNode({ dataDir, bridge, cri, containerd: runtime.containerd });
  const runtime: TestRuntime = { dataDir, podCIDR, bridge, containerd, cri, teardown };
  return runtime;
}
