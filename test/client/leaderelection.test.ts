import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/client/apierror.js';
import { FakeClock } from '../../src/client/clock.js';
import { LEASES } from '../../src/client/index.js';
import {
  LeaderElector,
  type Lease,
  type LeaseClient,
  microTime,
  restLeaseClient,
} from '../../src/client/leaderelection.js';
import { silentLogger } from '../../src/client/log.js';
import { RestClient } from '../../src/client/rest.js';
import { until } from './fixtures.js';
import { startClientTestApi } from './testapi.js';

/** An in-memory lease store with the API server's CAS rules. */
class LeaseStore {
  lease?: Lease;
  private rv = 0;
  writes = 0;
  clientFor(down: { value: boolean }): LeaseClient {
    const check = () => {
      if (down.value) throw new Error('connection refused');
    };
    return {
      get: async () => {
        check();
        return this.lease ? structuredClone(this.lease) : undefined;
      },
      create: async (l) => {
        check();
        if (this.lease)
          throw new ApiError(409, 'exists', { kind: 'Status', reason: 'AlreadyExists', code: 409 });
        this.lease = {
          ...structuredClone(l),
          metadata: { ...l.metadata, resourceVersion: String(++this.rv) },
        };
        this.writes++;
        return structuredClone(this.lease);
      },
      update: async (l) => {
        check();
        if (!this.lease || l.metadata.resourceVersion !== this.lease.metadata.resourceVersion) {
          throw new ApiError(409, 'the object has been modified', {
            kind: 'Status',
            reason: 'Conflict',
            code: 409,
          });
        }
        this.lease = {
          ...structuredClone(l),
          metadata: { ...l.metadata, resourceVersion: String(++this.rv) },
        };
        this.writes++;
        return structuredClone(this.lease);
      },
    };
  }
}

function elector(
  name: string,
  store: LeaseStore,
  clock: FakeClock,
  timeline: string[],
  down = { value: false },
) {
  const e = new LeaderElector({
    lease: { namespace: 'kube-system', name: 'k8ts-controller-manager' },
    identity: name,
    client: store.clientFor(down),
    clock,
    random: () => 0,
    log: silentLogger,
    onStartedLeading: () => {
      timeline.push(`${name} started @${clock.now() - T0}`);
    },
    onStoppedLeading: () => {
      timeline.push(`${name} stopped @${clock.now() - T0}`);
    },
  });
  return { e, down };
}

const T0 = Date.parse('2025-01-01T00:00:00Z');

describe('leader election', () => {
  it('one leader at a time; a standby takes over only after the lease expires, never overlapping', async () => {
    const clock = new FakeClock(T0);
    const store = new LeaseStore();
    const timeline: string[] = [];
    const a = elector('a', store, clock, timeline);
    const b = elector('b', store, clock, timeline);
    const runA = a.e.run();
    await clock.tick(0);
    const runB = b.e.run();
    await clock.tick(10_000);
    assert.deepEqual(timeline, ['a started @0']);
    assert.equal(a.e.isLeader(), true);
    assert.equal(b.e.isLeader(), false);
    assert.equal(b.e.getLeader(), 'a');
    assert.equal(store.lease?.spec.holderIdentity, 'a');
    assert.equal(store.lease?.spec.leaseDurationSeconds, 15);
    assert.equal(store.lease?.spec.renewTime, microTime(T0 + 10_000), 'renewed every 2 s');
    assert.match(store.lease!.spec.renewTime!, /^2025-01-01T00:00:10\.000000Z$/);

    // a is cut off from the API server: it must step down after renewDeadline (10 s) ...
    a.down.value = true;
    await clock.tick(30_000);
    await runA;
    const stoppedA = Number(timeline[1].split('@')[1]);
    const startedB = Number(timeline[2].split('@')[1]);
    assert.equal(timeline[1], 'a stopped @22000', 'renew at 12 s fails until the 22 s deadline');
    // ... and b waits a full lease duration after the last change it saw (the 10 s renewal).
    assert.ok(startedB >= 10_000 + 15_000, `b started at ${startedB}`);
    assert.ok(startedB <= 10_000 + 15_000 + 2_000, 'within one retry period of expiry');
    assert.ok(stoppedA < startedB, 'no moment with two leaders');
    assert.equal(store.lease?.spec.holderIdentity, 'b');
    assert.equal(store.lease?.spec.leaseTransitions, 1);
    assert.equal(store.lease?.spec.acquireTime, microTime(T0 + startedB));
    await b.e.stop();
    await runB;
  });

  it('stop() releases the lease so a standby takes over within one retry period', async () => {
    const clock = new FakeClock(T0);
    const store = new LeaseStore();
    const timeline: string[] = [];
    const a = elector('a', store, clock, timeline);
    const b = elector('b', store, clock, timeline);
    const runA = a.e.run();
    await clock.tick(0);
    const runB = b.e.run();
    await clock.tick(5_000);
    await a.e.stop();
    await runA;
    assert.equal(store.lease?.spec.holderIdentity, '', 'released');
    await clock.tick(2_000);
    assert.deepEqual(timeline, ['a started @0', 'a stopped @5000', 'b started @6000']);
    await b.e.stop();
    await runB;
    assert.equal(clock.pendingTimers, 0, 'no timers left');
  });

  it('an elector that was never leader returns from run() on stop without onStoppedLeading', async () => {
    const clock = new FakeClock(T0);
    const store = new LeaseStore();
    const timeline: string[] = [];
    const a = elector('a', store, clock, timeline, { value: true });
    const run = a.e.run();
    await clock.tick(10_000);
    await a.e.stop();
    await run;
    assert.deepEqual(timeline, []);
    assert.equal(store.writes, 0);
  });

  it('checks the timing rules as upstream', () => {
    const base = {
      lease: { namespace: 'n', name: 'l' },
      identity: 'x',
      client: new LeaseStore().clientFor({ value: false }),
      onStartedLeading: () => {},
      onStoppedLeading: () => {},
    };
    assert.throws(
      () => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
      /leaseDuration/,
    );
    assert.throws(
      () => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
      /retryPeriod/,
    );
    assert.throws(() => new LeaderElector({ ...base, identity: '' }), /identity/);
  });
});

describe('leader election through the API server', () => {
  it('hands the lease over between two electors on a real Lease object', async () => {
    const t = await startClientTestApi();
    const client = new RestClient({ baseUrl: t.url });
    const timeline: string[] = [];
    const make = (name: string) =>
      new LeaderElector({
        lease: { namespace: 'kube-system', name: 'handoff' },
        identity: name,
        client: restLeaseClient(client),
        leaseDurationMs: 1500,
        renewDeadlineMs: 1000,
        retryPeriodMs: 50,
        log: silentLogger,
        onStartedLeading: () => {
          timeline.push(`${name} started`);
        },
        onStoppedLeading: () => {
          timeline.push(`${name} stopped`);
        },
      });
    const a = make('a');
    const b = make('b');
    try {
      const runA = a.run();
      await until(() => a.isLeader(), 5000, 'a to lead');
      const runB = b.run();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(b.isLeader(), false);
      const lease = await client.resource(LEASES).in('kube-system').get('handoff');
      assert.equal(lease.spec.holderIdentity, 'a');
      assert.equal(lease.spec.leaseDurationSeconds, 2);
      await a.stop();
      await runA;
      await until(() => b.isLeader(), 5000, 'b to take over');
      assert.deepEqual(timeline, ['a started', 'a stopped', 'b started']);
      const after = await client.resource(LEASES).in('kube-system').get('handoff');
      assert.equal(after.spec.holderIdentity, 'b');
      assert.equal(after.spec.leaseTransitions, 1);
      await b.stop();
      await runB;
    } finally {
      await a.stop();
      await b.stop();
      client.close();
      await t.close();
    }
  });
});
