// bench/eviction: what the kubelet's resource housekeeping costs per pass. Times reading the node's signals
// from the host (hostStats().node(): /proc/meminfo, statfs, /proc/loadavg), a full eviction-manager pass
// under memory pressure (observe, rank, message) for 110 and 5,000 pods with injected stats, and an image GC
// pass over 1,000 images through a fake image service.
//
//   npm run build && node dist/bench/eviction.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/client/clock.js';
import { silentLogger } from '../src/client/log.js';
import { EvictionManager } from '../src/kubelet/eviction/manager.js';
import { hostStats, type NodeStats, type PodUsage } from '../src/kubelet/eviction/stats.js';
import { parseEvictionConfig } from '../src/kubelet/eviction/thresholds.js';
import { ImageGCManager, type ImageRuntime } from '../src/kubelet/image-gc.js';
import type { CriClient } from '../src/runtime/cri/client.js';

type Obj = Record<string, any>;
const Gi = 2 ** 30;

async function time(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  console.log(`${label.padEnd(58)} p50 ${p(0.5).toFixed(3)} ms  p99 ${p(0.99).toFixed(3)} ms`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-evict-'));
  try {
    const stats = hostStats({ dataDir: dir, imageFsPath: dir, cri: {} as CriClient });
    await time('hostStats().node() (meminfo, 2x statfs, loadavg)', 500, () => stats.node());

    for (const n of [110, 5000]) {
      const pods: Obj[] = [];
      const usage: PodUsage[] = [];
      for (let i = 0; i < n; i++) {
        const uid = `uid-${i}`;
        pods.push({
          metadata: { name: `p${i}`, namespace: 'default', uid },
          spec: {
            priority: i % 3,
            containers: [{ name: 'c', resources: { requests: { memory: `${(i % 7) * 16}Mi` } } }],
          },
          status: { phase: 'Running', conditions: [] },
        });
        const ws = ((i * 37) % 512) * 2 ** 20;
        usage.push({
          uid,
          memoryWorkingSetBytes: ws,
          containers: [{ name: 'c', memoryWorkingSetBytes: ws }],
        });
      }
      const node: NodeStats = {
        memory: { capacityBytes: 16 * Gi, workingSetBytes: 16 * Gi - 50 * 2 ** 20 },
        nodeFs: { capacityBytes: 100 * Gi, availableBytes: 50 * Gi, inodes: 1e7, inodesFree: 5e6 },
        imageFs: { capacityBytes: 100 * Gi, availableBytes: 50 * Gi, inodes: 1e7, inodesFree: 5e6 },
        pids: { max: 4_194_304, running: 1000 },
      };
      const m = new EvictionManager({
        clock: realClock,
        log: silentLogger,
        stats: { node: async () => node, pods: async () => usage },
        thresholds: parseEvictionConfig({}),
        activePods: () => pods,
        evict: async () => {},
      });
      await time(`eviction pass under memory pressure, ${n} pods`, n > 1000 ? 50 : 500, () =>
        m.synchronize(),
      );
    }

    const images = Array.from({ length: 1000 }, (_, i) => ({
      id: `sha256:${i}`,
      repoTags: [`img${i}:1`],
      repoDigests: [],
      size: String(100 * 2 ** 20),
      uid: null,
      username: '',
      spec: null,
      pinned: false,
    }));
    const containers = images.slice(0, 500).map((img, i) => ({
      id: `c${i}`,
      podSandboxId: 's',
      metadata: null,
      image: null,
      imageRef: img.id,
      state: 'CONTAINER_RUNNING',
      createdAt: '0',
      labels: {},
      annotations: {},
    }));
    const runtime = {
      listImages: async () => images,
      listContainers: async () => containers,
      removeImage: async () => {},
    } as unknown as ImageRuntime;
    const gc = new ImageGCManager({
      cri: runtime,
      clock: realClock,
      log: silentLogger,
      imageFs: async () => ({
        capacityBytes: 100 * Gi,
        availableBytes: 50 * Gi,
        inodes: 1e6,
        inodesFree: 5e5,
      }),
    });
    await time('image GC pass below the threshold, 1,000 images', 200, () => gc.garbageCollect());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
