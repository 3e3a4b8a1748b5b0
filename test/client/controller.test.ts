import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, settle } from '../../src/client/clock.js';
import {
  controllerOwnerKey,
  enqueueOwner,
  runController,
  TerminalError,
} from '../../src/client/controller.js';
import type { Logger } from '../../src/client/log.js';
import { ExponentialBackoffLimiter } from '../../src/client/ratelimit.js';
import { WorkQueue } from '../../src/client/workqueue.js';

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (lvl: string) => (msg: string, f?: Record<string, unknown>) =>
    lines.push(`${lvl} ${msg} ${String(f?.key ?? '')}`);
  return { lines, info: put('I'), warn: put('W'), error: put('E') };
}

function setup() {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock, rateLimiter: new ExponentialBackoffLimiter(5, 1000) });
  return { clock, queue, log: capture() };
}

describe('controller runner', () => {
  it('retries a failing key with per-item exponential backoff, then forgets it on success', async () => {
    const { clock, queue, log } = setup();
    const attempts: number[] = [];
    const c = runController({
      name: 'test',
      queue,
      log,
      reconcile: async (key) => {
        attempts.push(clock.now());
        if (attempts.length < 4) throw new Error(`not yet: ${key}`);
      },
    });
    const t0 = clock.now();
    queue.add('ns/a');
    await settle();
    assert.equal(attempts.length, 1);
    await clock.tick(4);
    assert.equal(attempts.length, 1, 'first retry waits 5 ms');
    await clock.tick(1);
    await clock.tick(10);
    await clock.tick(20);
    assert.deepEqual(
      attempts.map((t) => t - t0),
      [0, 5, 15, 35],
    );
    assert.equal(queue.numRequeues('ns/a'), 0, 'success forgets the failures');
    assert.deepEqual(c.stats, { reconciles: 4, successes: 1, errors: 3, dropped: 0, requeues: 0, active: 0 });
    assert.equal(log.lines.filter((l) => l.startsWith('W reconcile failed, will retry')).length, 3);
    await c.stop();
  });

  it('a TerminalError is logged and not retried', async () => {
    const { clock, queue, log } = setup();
    let calls = 0;
    const c = runController({
      name: 'term',
      queue,
      log,
      reconcile: async () => {
        calls++;
        throw new TerminalError('spec.x is not supported');
      },
    });
    queue.add('k');
    await settle();
    await clock.tick(10_000);
    assert.equal(calls, 1);
    assert.equal(c.stats.dropped, 1);
    assert.equal(queue.numRequeues('k'), 0);
    assert.equal(queue.metrics.waiting, 0);
    assert.deepEqual(log.lines, ['E reconcile failed permanently k']);
    await c.stop();
  });

  it('maxRetries gives up after that many failures', async () => {
    const { clock, queue, log } = setup();
    let calls = 0;
    const c = runController({
      name: 'max',
      queue,
      log,
      maxRetries: 2,
      reconcile: async () => {
        calls++;
        throw new Error('always');
      },
    });
    queue.add('k');
    await settle();
    await clock.tick(1000);
    assert.equal(calls, 3, 'first try plus two retries');
    assert.equal(c.stats.dropped, 1);
    await c.stop();
  });

  it('requeueAfterMs reconciles the key again after that delay', async () => {
    const { clock, queue, log } = setup();
    const at: number[] = [];
    const c = runController({
      name: 'requeue',
      queue,
      log,
      reconcile: async () => {
        at.push(clock.now());
        return at.length < 3 ? { requeueAfterMs: 60_000 } : undefined;
      },
    });
    const t0 = clock.now();
    queue.add('cron');
    await settle();
    await clock.tick(60_000);
    await clock.tick(60_000);
    await clock.tick(60_000);
    assert.deepEqual(
      at.map((t) => t - t0),
      [0, 60_000, 120_000],
    );
    assert.equal(c.stats.requeues, 2);
    await c.stop();
  });

  it('runs different keys in parallel but never the same key twice at once; a re-add runs once more', async () => {
    const { queue, log } = setup();
    const running = new Set<string>();
    let maxParallel = 0;
    const release: (() => void)[] = [];
    const runs: string[] = [];
    const c = runController({
      name: 'par',
      queue,
      log,
      workers: 3,
      reconcile: async (key) => {
        assert.equal(running.has(key), false, `${key} ran twice at once`);
        running.add(key);
        runs.push(key);
        maxParallel = Math.max(maxParallel, running.size);
        await new Promise<void>((r) => release.push(r));
        running.delete(key);
      },
    });
    queue.add('a');
    queue.add('b');
    queue.add('c');
    await settle();
    assert.equal(maxParallel, 3);
    queue.add('a'); // while a is running
    queue.add('a');
    await settle();
    assert.deepEqual(runs, ['a', 'b', 'c']);
    for (const r of release.splice(0)) r();
    await settle();
    assert.deepEqual(runs, ['a', 'b', 'c', 'a'], 'a runs exactly once more');
    for (const r of release.splice(0)) r();
    await settle();
    assert.equal(c.stats.successes, 4);
    await c.stop();
  });

  it('stop() aborts the running reconcile signal and waits for it', async () => {
    const { queue, log } = setup();
    let sawAbort = false;
    const c = runController({
      name: 'stop',
      queue,
      log,
      workers: 2,
      reconcile: (_key, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(signal.reason);
          });
        }),
    });
    queue.add('slow');
    queue.add('queued-1');
    queue.add('queued-2');
    await settle();
    await c.stop();
    assert.equal(sawAbort, true);
    assert.equal(c.stats.errors, 0, 'an abort on stop is not an error');
    assert.equal(c.stats.reconciles, 2, 'keys still queued are not started after stop');
    assert.deepEqual(log.lines, []);
  });

  it('enqueueOwner queues the controlling owner, and both owners when it changes', () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    const pod = (owner?: string) => ({
      metadata: {
        name: 'p',
        namespace: 'ns',
        ownerReferences: owner ? [{ kind: 'ReplicaSet', name: owner, controller: true }] : [],
      },
    });
    assert.equal(controllerOwnerKey(pod('rs1'), 'ReplicaSet'), 'ns/rs1');
    assert.equal(controllerOwnerKey(pod('rs1'), 'Job'), undefined);
    const h = enqueueOwner(queue, 'ReplicaSet');
    h.onUpdate!(pod('rs1'), pod('rs2'));
    h.onAdd!(pod(), false);
    assert.equal(queue.len(), 2);
  });
});
