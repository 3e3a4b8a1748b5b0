// bench/kubelogs: the CRI log reader on a large file (tail of the last lines, whole-file read throughput) and
// the latency of a followed log through the kubelet log server and the API server proxy (append -> client).
//
//   npm run build && node dist/bench/kubelogs.js [--mb 256]
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamCriLog } from '../src/kubelet/crilog.js';
import { startKubeletServer } from '../src/kubelet/server.js';
import { startTestApi } from '../test/helpers/apiserver.js';

const argMb = process.argv.indexOf('--mb');
const MB = argMb > 0 ? Number(process.argv[argMb + 1]) : 256;
const FOLLOW_SAMPLES = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timeRead(path: string, opts: object): Promise<{ ms: number; bytes: number }> {
  let bytes = 0;
  const t0 = performance.now();
  await streamCriLog(path, opts, (c) => {
    bytes += c.length;
  });
  return { ms: performance.now() - t0, bytes };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-logs-'));
  try {
    const path = join(dir, '0.log');
    const fd = openSync(path, 'w');
    const line = (i: number) =>
      `2026-01-01T00:00:00.${String(i % 1e9).padStart(9, '0')}Z stdout F line ${i} ${'x'.repeat(80)}\n`;
    let size = 0;
    let lines = 0;
    while (size < MB * 1024 * 1024) {
      let block = '';
      for (let k = 0; k < 1000; k++) block += line(lines++);
      writeSync(fd, block);
      size += Buffer.byteLength(block);
    }
    closeSync(fd);
    console.log(
      `file: ${(size / 1048576).toFixed(0)} MiB, ${lines} lines; load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    for (const tail of [10, 1000, 100000]) {
      // Best of three: the first call also pays for compiling the reader.
      const runs = [];
      for (let k = 0; k < 3; k++) runs.push(await timeRead(path, { tailLines: tail }));
      const best = Math.min(...runs.map((r) => r.ms));
      console.log(`tail ${tail}: ${best.toFixed(1)} ms best of 3 (${runs[0].bytes} bytes)`);
    }
    const full = await timeRead(path, {});
    console.log(
      `whole file: ${full.ms.toFixed(0)} ms, ${((full.bytes / 1048576 / full.ms) * 1000).toFixed(0)} MiB/s of output`,
    );
    const ts = await timeRead(path, { timestamps: true });
    console.log(`whole file with timestamps: ${ts.ms.toFixed(0)} ms`);

    // Follow latency: kubelet server (fs.watch wake-ups) behind the API server proxy.
    const live = join(dir, 'live.log');
    appendFileSync(live, line(0));
    const kubelet = await startKubeletServer({
      host: '127.0.0.1',
      port: 0,
      logs: { resolve: async () => live },
    });
    const t = await startTestApi();
    await t.req('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
      },
    });
    const pod = await t.req('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
    });
    await t.req('PUT', '/api/v1/namespaces/default/pods/p/status', {
      ...pod.body,
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'c',
            ready: true,
            restartCount: 0,
            image: 'b',
            imageID: '',
            containerID: 'x://1',
            state: { running: {} },
          },
        ],
      },
    });
    const ac = new AbortController();
    const res = await fetch(`${t.url}/api/v1/namespaces/default/pods/p/log?follow=true`, {
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const samples: number[] = [];
    for (let i = 1; i <= FOLLOW_SAMPLES; i++) {
      const t0 = performance.now();
      appendFileSync(live, line(i));
      let got = '';
      while (!got.includes(`line ${i} `)) got += new TextDecoder().decode((await reader.read()).value);
      samples.push(performance.now() - t0);
    }
    ac.abort();
    samples.sort((a, b) => a - b);
    console.log(
      `follow latency (append -> API client), ${FOLLOW_SAMPLES} lines: p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms`,
    );
    await t.close();
    await kubelet.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
