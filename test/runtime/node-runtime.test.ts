// startNodeRuntime as the kubelet will use it: containerd up before the node has a podCIDR (network not
// ready), built-in and air-gap images imported at start, then the pod network configured live.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseCidr } from '../../src/runtime/cni.js';
import { BUSYBOX_IMAGE, buildOciArchive, busyboxLayer, PAUSE_IMAGE } from '../../src/runtime/images.js';
import { imagesDir, type NodeRuntime, startNodeRuntime } from '../../src/runtime/node-runtime.js';
import {
  pickTestPodCidr,
  runtimeSkipReason,
  teardownTestNode,
  testBridgeName,
} from '../helpers/node-runtime.js';

const skip = runtimeSkipReason();
if (skip) console.log(`# skipping node runtime test: ${skip}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function networkReady(node: NodeRuntime): Promise<boolean> {
  const conditions = (await node.cri.status()).status?.conditions ?? [];
  return conditions.find((c) => c.type === 'NetworkReady')?.status === true;
}

describe('startNodeRuntime', { skip: skip ?? false, timeout: 60_000 }, () => {
  const dataDir = skip ? '' : mkdtempSync(join(tmpdir(), 'k8ts-node-'));
  const bridge = testBridgeName();
  let node: NodeRuntime | undefined;

  after(async () => {
    if (node) await teardownTestNode({ dataDir, bridge, cri: node.cri, containerd: node.containerd });
  });

  it('starts with images imported, then gets its pod network once the podCIDR is known', async () => {
    mkdirSync(imagesDir(dataDir), { recursive: true });
    const archive = buildOciArchive([
      { ref: 'k8ts.local/preloaded:1', layers: [await busyboxLayer()], config: {} },
    ]);
    writeFileSync(join(imagesDir(dataDir), 'preloaded.tar'), archive);

    node = await startNodeRuntime({ dataDir, cni: { bridge, networkName: `k8ts-test-${process.pid}` } });
    console.log(`# startNodeRuntime timings ${JSON.stringify(node.timings)}`);
    assert.deepEqual(node.imported.sort(), [BUSYBOX_IMAGE, 'k8ts.local/preloaded:1', PAUSE_IMAGE].sort());
    assert.equal(await networkReady(node), false);

    const podCIDR = pickTestPodCidr(2);
    node.setPodCIDR(podCIDR);
    const deadline = Date.now() + 10_000;
    while (!(await networkReady(node))) {
      assert.ok(Date.now() < deadline, 'containerd did not pick up the CNI config');
      await sleep(50);
    }
    const sandbox = {
      metadata: { name: 'late', uid: `late-${process.pid}`, namespace: 'default' },
      hostname: 'late',
      logDirectory: join(dataDir, 'pods', 'late'),
      linux: {},
    };
    const id = await node.cri.runPodSandbox(sandbox);
    const ip = (await node.cri.podSandboxStatus(id)).status?.network?.ip ?? '';
    const { ip: net } = parseCidr(podCIDR);
    assert.equal(ip.split('.').slice(0, 3).join('.'), net.split('.').slice(0, 3).join('.'));
    await node.cri.stopPodSandbox(id);
    await node.cri.removePodSandbox(id);
  });
});
