// k8ts killed with -9 leaves its containerd running; the next k8ts on the same data dir must take over:
// stop the leftover containerd by its recorded pid, start its own, and find the running pods untouched.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startContainerd } from '../../src/runtime/containerd.js';
import type { PodSandboxConfig } from '../../src/runtime/cri/types.js';
import { BUSYBOX_IMAGE, ensureBuiltinImages } from '../../src/runtime/images.js';
import { runtimeSkipReason, startTestRuntime, type TestRuntime } from '../helpers/node-runtime.js';

const skip = runtimeSkipReason();
if (skip) console.log(`# skipping containerd takeover test: ${skip}`);

describe('containerd takeover after k8ts dies', { skip: skip ?? false, timeout: 60_000 }, () => {
  let rt: TestRuntime;

  before(async () => {
    // restart: false stands in for a supervisor that is gone (its process was killed).
    rt = await startTestRuntime({ restart: false, slot: 1 });
  });

  after(async () => {
    if (rt) await rt.teardown();
  });

  it('stops the leftover containerd and keeps the pods it was running', async () => {
    await ensureBuiltinImages(rt.cri, rt.containerd.socket, rt.dataDir);
    const sandbox: PodSandboxConfig = {
      metadata: { name: 'survivor', uid: `survivor-${process.pid}`, namespace: 'default' },
      hostname: 'survivor',
      logDirectory: `${rt.dataDir}/pods/survivor`,
      linux: {},
    };
    const sandboxId = await rt.cri.runPodSandbox(sandbox);
    const containerId = await rt.cri.createContainer(
      sandboxId,
      {
        metadata: { name: 'sleeper' },
        image: { image: BUSYBOX_IMAGE },
        command: ['sleep', '3600'],
        logPath: 's.log',
      },
      sandbox,
    );
    await rt.cri.startContainer(containerId);

    const oldPid = rt.containerd.pid;
    assert.equal(readFileSync(rt.containerd.paths.pidFile, 'utf8').trim(), String(oldPid));
    const t0 = performance.now();
    const next = await startContainerd({ dataDir: rt.dataDir });
    const takeoverMs = performance.now() - t0;
    rt.containerd = next;
    console.log(`# containerd takeover ${Math.round(takeoverMs)} ms`);

    assert.notEqual(next.pid, oldPid);
    assert.throws(() => process.kill(oldPid, 0), 'the leftover containerd is still running');
    assert.equal(readFileSync(next.paths.pidFile, 'utf8').trim(), String(next.pid));
    // The client reconnects to the same socket path.
    const status = (await rt.cri.containerStatus(containerId)).status;
    assert.equal(status?.state, 'CONTAINER_RUNNING');
    assert.equal((await rt.cri.podSandboxStatus(sandboxId)).status?.state, 'SANDBOX_READY');
    assert.equal((await rt.cri.execSync(containerId, ['hostname'], 5)).stdout.toString(), 'survivor\n');
  });
});
