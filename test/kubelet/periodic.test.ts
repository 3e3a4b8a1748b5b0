// The kubelet's housekeeping loop on a FakeClock: the first pass now or after a delay, the next a period
// after the previous one ended (a slow pass is never overlapped), a failing pass reported and the loop going
// on, nothing after stop.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, settle } from '../../src/client/clock.js';
import { Periodic } from '../../src/kubelet/periodic.js';

const unexpected = (err: unknown) => assert.fail(`pass failed: ${err}`);

describe('Periodic', () => {
  it('runs now or after the first delay, then a period after each pass ends, until stopped', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const now = new Periodic(clock, 1000, async () => void at.push(clock.now()), unexpected);
    now.start();
    assert.equal(at.length, 1, 'the first pass begins in start()');
    now.stop();

    const runs: number[] = [];
    const later = new Periodic(clock, 1000, async () => void runs.push(clock.now()), unexpected);
    const t0 = clock.now();
    later.start(500);
    clock.advance(499);
    assert.deepEqual(runs, []);
    clock.advance(1);
    await settle();
    clock.advance(1000);
    await settle();
    assert.deepEqual(runs, [t0 + 500, t0 + 1500]);
    later.stop();
    clock.advance(10_000);
    await settle();
    assert.equal(runs.length, 2);
    assert.equal(clock.pendingTimers, 0);
  });

  it('waits for a slow pass before timing the next, and goes on after a failure', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let release: () => void = () => {};
    let passes = 0;
    const p = new Periodic(
      clock,
      1000,
      async () => {
        passes++;
        if (passes === 1) await new Promise<void>((r) => (release = r));
        if (passes === 2) throw new Error('boom');
      },
      (err) => errors.push(err),
    );
    p.start(0);
    clock.advance(0);
    clock.advance(5000);
    assert.equal(passes, 1, 'no second pass while the first runs');
    release();
    await settle();
    clock.advance(1000);
    await settle();
    assert.equal(passes, 2);
    assert.match(String(errors[0]), /boom/);
    clock.advance(1000);
    await settle();
    assert.equal(passes, 3, 'the loop goes on after a failed pass');
    p.stop();
  });
});
