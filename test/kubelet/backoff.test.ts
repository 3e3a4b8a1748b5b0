// The crash-loop back-off: 10 s doubling to 5 min, forgotten after 10 min without a failure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { Backoff, goDuration } from '../../src/kubelet/backoff.js';

describe('Backoff', () => {
  it('lets the first restart through, then holds 10s, 20s, 40s ... up to 5m', () => {
    const clock = new FakeClock();
    const b = new Backoff(clock);
    const key = 'uid/c';
    // First failure: not backing off yet; the restart records 10 s.
    assert.equal(b.inBackoffSince(key, clock.now()).inBackoff, false);
    assert.equal(b.next(key, clock.now()), 10_000);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const finished = clock.now();
      const held = b.inBackoffSince(key, finished);
      assert.equal(held.inBackoff, true);
      delays.push(held.remainingMs);
      clock.advance(held.remainingMs);
      assert.equal(b.inBackoffSince(key, finished).inBackoff, false);
      b.next(key, finished);
    }
    assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('starts again from 10s once a container ran for more than 10 minutes', () => {
    const clock = new FakeClock();
    const b = new Backoff(clock);
    b.next('k', clock.now());
    b.next('k', clock.now());
    b.next('k', clock.now());
    assert.equal(b.get('k'), 40_000);
    clock.advance(10 * 60_000 + 1);
    assert.equal(b.inBackoffSince('k', clock.now()).inBackoff, false);
    assert.equal(b.next('k', clock.now()), 10_000);
  });

  it('counts image pull back-off from the last attempt', () => {
    const clock = new FakeClock();
    const b = new Backoff(clock);
    assert.equal(b.inBackoffSinceUpdate('img').inBackoff, false);
    b.next('img', clock.now());
    clock.advance(4_000);
    assert.deepEqual(b.inBackoffSinceUpdate('img'), { inBackoff: true, remainingMs: 6_000 });
    clock.advance(6_000);
    assert.equal(b.inBackoffSinceUpdate('img').inBackoff, false);
  });

  it('forgets a pod and formats durations as Go does', () => {
    const b = new Backoff(new FakeClock());
    b.next('u1/a', 0);
    b.next('u2/a', 0);
    b.forgetPrefix('u1/');
    assert.equal(b.size(), 1);
    assert.deepEqual([goDuration(10_000), goDuration(80_000), goDuration(300_000)], ['10s', '1m20s', '5m0s']);
  });
});
