// bench/runtime: pod start latency at the CRI level on the real runtime (our containerd, runc, CNI bridge),
// image already present: RunPodSandbox + CreateContainer + StartContainer per pod, first one at a time,
// then N pods at once. What the kubelet adds on top is measured later by bench/node.
//
//   npm run build && node dist/bench/runtime.js [--pods 30]
import { readdirSync, readFileSync } from 'node:fs';
import type { PodSandboxConfig } from '../src/runtime/cri/types.js';
import { BUSYBOX_IMAGE, ensureBuiltinImages } from '../src/runtime/images.js';
import { runtimeSkipReason, startTestRuntime, type TestRuntime } from '../test/helpers/node-runtime.js';

const argPods = process.argv.indexOf('--pods');
const PODS = argPods > 0 ? Number(process.argv[argPods + 1]) : 30;
const SEQUENTIAL = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Busy CPU time of the whole machine so far, in seconds (from /proc/stat). */
function busyCpuSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return (total - idle) / 100; // USER_HZ is 100 on Linux
}

function shimRss(socket: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.includes('containerd-shim') && argv.includes(socket)) {
        count++;
        bytes += rssOf(Number(entry));
      }
    } catch {
      // gone
    }
  }
  return { count, bytes };
}

async function startPod(rt: TestRuntime, name: string): Promise<{ sandboxId: string; ms: number }> {
  const t0 = performance.now();
  const config: PodSandboxConfig = {
    metadata: { name, uid: `${name}-uid`, namespace: 'bench' },
    hostname: name,
    logDirectory: `${rt.dataDir}/pods/${name}`,
    linux: {},
  };
  const sandboxId = await rt.cri.runPodSandbox(config);
  const id = await rt.cri.createContainer(
    sandboxId,
    {
      metadata: { name: 'app' },
      image: { image: BUSYBOX_IMAGE },
      command: ['sleep', '3600'],
      logPath: 'app/0.log',
    },
    config,
  );
  await rt.cri.startContainer(id);
  return { sandboxId, ms: performance.now() - t0 };
}

async function main() {
  const skip = runtimeSkipReason();
  if (skip) {
    console.log(`bench/runtime skipped: ${skip}`);
    return;
  }
  const rt = await startTestRuntime({ ipMasq: !process.argv.includes('--no-masq') });
  try {
    const t0 = performance.now();
    await ensureBuiltinImages(rt.cri, rt.containerd.socket, rt.dataDir);
    const imagesMs = performance.now() - t0;

    const sequential: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) sequential.push((await startPod(rt, `seq-${i}`)).ms);
    sequential.sort((a, b) => a - b);

    const cpu0 = busyCpuSeconds();
    const wall0 = performance.now();
    const burst = await Promise.all(Array.from({ length: PODS }, (_, i) => startPod(rt, `burst-${i}`)));
    const wallMs = performance.now() - wall0;
    const burstCpu = busyCpuSeconds() - cpu0;
    const lat = burst.map((b) => b.ms).sort((a, b) => a - b);
    const shims = shimRss(rt.containerd.socket);
    const containerdRss = rt.containerd.rssBytes();

    const td0 = performance.now();
    const sandboxes = await rt.cri.listPodSandbox();
    await Promise.all(
      sandboxes.map(async (s) => {
        await rt.cri.stopPodSandbox(s.id);
        await rt.cri.removePodSandbox(s.id);
      }),
    );
    const teardownMs = performance.now() - td0;

    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    const ms = (x: number) => `${Math.round(x)} ms`;
    console.log(
      `\nbench/runtime (containerd ${rt.containerd.snapshotter}, runc, CNI bridge; image present)\n`,
    );
    const rows: [string, string][] = [
      ['containerd start (spawn to CRI Version)', ms(rt.containerd.startupMs)],
      ['build + import pause and busybox images', ms(imagesMs)],
      [`pod start, one at a time (p50 of ${SEQUENTIAL})`, ms(percentile(sequential, 50))],
      [`pod start, ${PODS} at once: p50`, ms(percentile(lat, 50))],
      [`pod start, ${PODS} at once: p99`, ms(percentile(lat, 99))],
      [`all ${PODS} started (wall)`, ms(wallMs)],
      [`machine CPU busy during that, per pod`, ms((burstCpu * 1000) / PODS)],
      [`stop + remove ${sandboxes.length} pods at once (wall)`, ms(teardownMs)],
      [`containerd RSS with ${sandboxes.length} pods`, mib(containerdRss)],
      [`shims: ${shims.count}, RSS total`, mib(shims.bytes)],
    ];
    for (const [k, v] of rows) console.log(`${k.padEnd(48)}${v.padStart(12)}`);
  } finally {
    await rt.teardown();
  }
}

await main();
