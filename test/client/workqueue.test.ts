import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ExponentialBackoffLimiter,
  TokenBucket,
} from '../../src/client/ratelimit.js';
import { WorkQueue } from '../../src/client/workqueue.js';

/** A queue with a fake clock and a pure per-item backoff (no bucket) unless given one. */
function queue(clock = new FakeClock(), limiter = new ExponentialBackoffLimiter<string>(5, 1000)) {
  return { q: new WorkQueue<string>({ clock, rateLimiter: limiter }), clock };
}

/** Whether the promise has settled by the next macrotask (the queue resolves gets synchronously). */
async function settledValue<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let out: { done: boolean; value?: T } = { done: false };
  p.then((value) => {
    out = { done: true, value };
  });
  await new Promise((r) => setImmediate(r));
  return out;
}

describe('workqueue', () => {
  it('deduplicates keys that are queued and keeps FIFO order', async () => {
    const { q } = queue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(q.metrics.adds, 3);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.metrics.depth, 0);
  });

  it('never hands a key to two workers at once; a re-add while processing runs once more afterwards', async () => {
    const { q } = queue();
    q.add('a');
    const k = await q.get();
    assert.equal(k, 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'not queued while processing');
    const second = q.get();
    assert.equal((await settledValue(second)).done, false, 'a second worker does not get it');
    q.done('a');
    assert.equal(await second, 'a', 'queued again exactly once after done');
    q.done('a');
    assert.equal(q.len(), 0);
    assert.equal((await settledValue(q.get())).done, false);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const { q } = queue();
    const p = q.get();
    q.add('x');
    assert.equal(await p, 'x');
    assert.deepEqual(q.processingKeys(), ['x']);
  });

  it('addAfter waits on the clock and keeps the earliest time for a key', async () => {
    const { q, clock } = queue();
    q.addAfter('a', 100);
    q.addAfter('b', 50);
    q.addAfter('a', 30); // earlier wins
    q.addAfter('b', 500); // later is ignored
    assert.equal(q.len(), 0);
    assert.equal(q.metrics.waiting, 2);
    clock.advance(29);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
    clock.advance(20);
    assert.equal(await q.get(), 'b');
    clock.advance(1000);
    assert.equal(q.len(), 0, 'the superseded entry for a does not fire again');
    assert.equal(clock.pendingTimers, 0);
  });

  it('addRateLimited backs off exponentially per item and forget resets it', () => {
    const { q, clock } = queue();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = clock.now();
      q.addRateLimited('k');
      // Find when it becomes ready.
      let waited = 0;
      while (q.len() === 0) {
        clock.advance(1);
        waited++;
      }
      delays.push(clock.now() - before);
      assert.equal(waited, delays[i]);
      void q.get();
      q.done('k');
    }
    assert.deepEqual(delays, [5, 10, 20, 40, 80]);
    assert.equal(q.numRequeues('k'), 5);
    assert.equal(q.metrics.retries, 5);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
  });

  it('caps the per-item backoff at the maximum', () => {
    const l = new ExponentialBackoffLimiter<string>(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 100; i++) last = l.when('x');
    assert.equal(last, 1_000_000);
    assert.equal(l.when('y'), 5);
  });

  it('token bucket: burst at once, then qps', () => {
    const clock = new FakeClock();
    const b = new TokenBucket(10, 100, clock);
    for (let i = 0; i < 100; i++) assert.equal(b.reserve(), 0);
    assert.equal(b.reserve(), 100); // 1 token in debt at 10/s
    assert.equal(b.reserve(), 200);
    clock.advance(1000); // +10 tokens
    assert.equal(b.reserve(), 0);
    assert.equal(b.tryTake(), true);
    assert.equal(b.tryTake(), true);
    assert.equal(b.tryTake(), true);
    assert.equal(b.tryTake(), true);
    assert.equal(b.tryTake(), true);
    assert.equal(b.tryTake(), true);
    assert.equal(b.tryTake(), true);
    assert.equal(b.tryTake(), false);
  });

  it('the default controller limiter is the max of per-item backoff and the overall bucket', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter<string>(clock);
    for (let i = 0; i < 100; i++) assert.equal(l.when(`item-${i}`), 5);
    // Bucket exhausted: the 101st distinct item waits for a token (100 ms at 10 qps).
    assert.equal(l.when('late'), 100);
    assert.equal(l.numRequeues('item-0'), 1);
    const bucketOnly = new BucketRateLimiter<string>(10, 1, clock);
    assert.equal(bucketOnly.when('a'), 0);
    assert.equal(bucketOnly.numRequeues('a'), 0);
  });

  it('shutDown: queued keys are still handed out, then get resolves undefined; adds are ignored', async () => {
    const { q, clock } = queue();
    q.add('a');
    q.addAfter('later', 10);
    const idle = new WorkQueue<string>({ clock });
    const waiting = idle.get();
    idle.shutDown();
    assert.equal(await waiting, undefined, 'a blocked worker is released');
    q.shutDown();
    q.add('b');
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), undefined);
    clock.advance(100);
    assert.equal(q.len(), 0, 'delayed keys are dropped on shutdown');
    assert.equal(clock.pendingTimers, 0, 'no timer left behind');
  });

  it('shutDownWithDrain waits for keys being processed', async () => {
    const { q } = queue();
    q.add('a');
    await q.get();
    const drained = q.shutDownWithDrain();
    assert.equal((await settledValue(drained)).done, false);
    q.done('a');
    await drained;
    assert.equal(q.metrics.processed, 1);
  });
});
