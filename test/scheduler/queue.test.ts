import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { SchedulingQueue } from '../../src/scheduler/queue.js';
import { makePod } from './fixtures.js';

function setup() {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock });
  return { clock, q };
}

describe('scheduling queue', () => {
  it('pops by priority, then creation time', () => {
    const { q } = setup();
    q.add(makePod('late', { created: '2025-01-01T00:00:02Z' }), 'default/late');
    q.add(makePod('early', { created: '2025-01-01T00:00:01Z' }), 'default/early');
    q.add(makePod('high', { priority: 1000, created: '2025-01-01T00:00:09Z' }), 'default/high');
    assert.deepEqual(
      [q.tryPop()?.key, q.tryPop()?.key, q.tryPop()?.key, q.tryPop()?.key],
      ['default/high', 'default/early', 'default/late', undefined],
    );
    q.close();
  });

  it('backs failed pods off 1 s doubling to 10 s', () => {
    const { clock, q } = setup();
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => q.backoffMs(n)),
      [1000, 2000, 4000, 8000, 10000, 10000],
    );
    q.add(makePod('p'), 'default/p');
    let qp = q.tryPop()!;
    q.requeue(qp, false); // error: straight to backoff
    assert.equal(q.tryPop(), undefined);
    clock.advance(999);
    assert.equal(q.tryPop(), undefined);
    clock.advance(1);
    qp = q.tryPop()!;
    assert.equal(qp.key, 'default/p');
    q.requeue(qp, false);
    clock.advance(1999);
    assert.equal(q.tryPop(), undefined);
    clock.advance(1);
    assert.equal(q.tryPop()?.attempts, 2);
    q.close();
  });

  it('parks unschedulable pods until a cluster event, then respects their backoff', () => {
    const { clock, q } = setup();
    q.add(makePod('p'), 'default/p');
    q.requeue(q.tryPop()!, true);
    clock.advance(5000);
    assert.equal(q.tryPop(), undefined);
    assert.equal(q.sizes().unschedulable, 1);
    q.moveAllUnschedulable(); // backoff (1 s) already passed
    assert.equal(q.tryPop()?.key, 'default/p');
  });

  it('an event during the attempt sends the failed pod to backoff, not unschedulable', () => {
    const { clock, q } = setup();
    q.add(makePod('p'), 'default/p');
    const qp = q.tryPop()!;
    q.moveAllUnschedulable(); // e.g. a node was added while the pod was being scheduled
    q.requeue(qp, true);
    assert.equal(q.sizes().backoff, 1);
    clock.advance(1000);
    assert.equal(q.tryPop()?.key, 'default/p');
    q.close();
  });

  it('flushes pods unschedulable for 5 minutes without an event', () => {
    const { clock, q } = setup();
    q.add(makePod('p'), 'default/p');
    q.requeue(q.tryPop()!, true);
    clock.advance(290_000);
    assert.equal(q.tryPop(), undefined);
    clock.advance(30_000);
    assert.equal(q.tryPop()?.key, 'default/p');
    q.close();
  });

  it('drops deleted pods and updates held ones; pop() waits and close() releases waiters', async () => {
    const { q } = setup();
    q.add(makePod('a'), 'default/a');
    q.add(makePod('b'), 'default/b');
    q.delete('default/a');
    const updated = makePod('b', { cpu: '1' });
    q.add(updated, 'default/b');
    assert.equal(q.tryPop()?.pod, updated);
    const waiting = q.pop();
    q.add(makePod('c'), 'default/c');
    assert.equal((await waiting)?.key, 'default/c');
    const never = q.pop();
    q.close();
    assert.equal(await never, undefined);
  });
});

describe('scheduling queue updates', () => {
  it('retries an unschedulable pod on a spec change, not on a status-only update', () => {
    const { clock, q } = setup();
    q.add(makePod('p'), 'default/p');
    q.requeue(q.tryPop()!, true);
    clock.advance(2000);
    q.add(makePod('p'), 'default/p', false);
    assert.equal(q.tryPop(), undefined);
    q.add(makePod('p', { cpu: '1' }), 'default/p', true);
    assert.equal(q.tryPop()?.key, 'default/p');
    q.close();
  });
});
