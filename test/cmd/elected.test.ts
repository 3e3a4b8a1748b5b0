// Leader election for control-plane components: one active at a time, handover on stop and on death.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runElected } from '../../src/cmd/elected.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';

const silent = { info() {}, warn() {}, error() {} };

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('runElected', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('runs exactly one component and hands over when the leader stops', async () => {
    let running = 0;
    let starts = 0;
    const start = () => {
      running++;
      starts++;
      return {
        async stop() {
          running--;
        },
      };
    };
    const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200, log: silent };
    const a = runElected({ baseUrl: t.url, lease: 'test-component', start, ...timing });
    await until(() => a.isLeader());
    const b = runElected({ baseUrl: t.url, lease: 'test-component', start, ...timing });
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(running, 1, 'only the leader runs the component');
    assert.equal(b.isLeader(), false);
    const lease = await t.req(
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/test-component',
    );
    assert.equal(lease.body.spec.holderIdentity, a.identity);
    await a.stop();
    await until(() => b.isLeader(), 5000);
    assert.equal(running, 1);
    assert.equal(starts, 2);
    await b.stop();
    assert.equal(running, 0);
  });
});
