import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type MultiNode, multiNodeSkipReason, startMultiNode } from '../helpers/multinode.js';

const skip = multiNodeSkipReason();

describe('multi-node e2e', { skip: skip ?? false, timeout: 300_000 }, () => {
  let mn: MultiNode | undefined;
  before(async () => {
    mn = await startMultiNode({
      nodes: 2,
      serverArgs: ['--node-monitor-grace-period', '16', '--node-monitor-period', '1'],
    });
  });
  after(async () => {
    await mn?.stop();
  });
  it('nodes are ready', async () => {
    const r = await mn!.kubectl('1.33', ['get', 'nodes', '-o', 'wide']);
    console.log(r.stdout, r.stderr);
    assert.equal(r.code, 0);
  });
});
