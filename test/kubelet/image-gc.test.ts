// Image GC against a fake CRI image service on a FakeClock: nothing goes below the high threshold; above it
// unused images go least recently used first down to the low threshold; images in use (running or exited
// containers), pinned, protected (pause, built-in) or younger than the minimum age stay; not finding enough
// is a FreeDiskSpaceFailed event; the eviction manager's reclaim removes every unused image old enough.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { silentLogger } from '../../src/client/log.js';
import type { FsStats } from '../../src/kubelet/eviction/stats.js';
import { ImageGCManager, type ImageRuntime, validateImageGCPolicy } from '../../src/kubelet/image-gc.js';
import type { Container, Image } from '../../src/runtime/cri/types.js';
import { capturingKubeletRecorder } from '../helpers/recorder.js';

type Obj = Record<string, any>;
const Gi = 2 ** 30;

class FakeImages {
  images: Image[] = [];
  containers: Container[] = [];
  removed: string[] = [];
  /** A 100 GiB image filesystem; removing an image frees its size. */
  fs: FsStats = { capacityBytes: 100 * Gi, availableBytes: 50 * Gi, inodes: 1e6, inodesFree: 5e5 };

  add(tag: string, sizeGi: number, pinned = false): string {
    const id = `sha256:${tag.replace(/\W/g, '')}`;
    this.images.push({
      id,
      repoTags: [tag],
      repoDigests: [],
      size: String(sizeGi * Gi),
      uid: null,
      username: '',
      spec: null,
      pinned,
    });
    return id;
  }

  use(imageId: string, state: Container['state'] = 'CONTAINER_RUNNING'): void {
    this.containers.push({
      id: `c${this.containers.length}`,
      podSandboxId: 's',
      metadata: null,
      image: { image: imageId } as Container['image'],
      imageRef: imageId,
      state,
      createdAt: '0',
      labels: {},
      annotations: {},
    });
  }

  runtime(): ImageRuntime {
    return {
      listImages: async () => [...this.images],
      listContainers: async () => [...this.containers],
      removeImage: async (ref) => {
        const id = typeof ref === 'string' ? ref : ref.image;
        const img = this.images.find((i) => i.id === id);
        if (!img) throw new Error(`image ${id} not found`);
        this.images = this.images.filter((i) => i !== img);
        this.fs.availableBytes += Number(img.size);
        this.removed.push(img.repoTags[0]);
      },
    } as ImageRuntime;
  }
}

function manager(fake: FakeImages, clock: FakeClock, events: Obj[] = []) {
  return new ImageGCManager({
    cri: fake.runtime(),
    clock,
    log: silentLogger,
    imageFs: async () => ({ ...fake.fs }),
    protectedImages: ['k8ts.local/pause:3.9', 'k8ts.local/busybox:latest'],
    recorder: capturingKubeletRecorder(events),
    nodeRef: { kind: 'Node', name: 'n1' },
  });
}

describe('image GC', () => {
  it('removes unused images least recently used first, down to the low threshold', async () => {
    const clock = new FakeClock();
    const fake = new FakeImages();
    const pause = fake.add('k8ts.local/pause:3.9', 1);
    fake.add('k8ts.local/busybox:latest', 1);
    const app = fake.add('example/app:1', 4);
    const old = fake.add('example/old:1', 3);
    fake.add('example/never-used:1', 2);
    fake.add('example/pinned:1', 5, true);
    const exited = fake.add('example/job:1', 6);
    fake.use(app);
    fake.use(old);
    fake.use(pause);
    fake.use(exited, 'CONTAINER_EXITED');
    const gc = manager(fake, clock);

    // 50% used: below 85%, nothing goes; the first pass only records the images.
    assert.equal(await gc.garbageCollect(), 0);
    // old's container goes away a minute later; app keeps running.
    clock.advance(60_000);
    fake.containers = fake.containers.filter((c) => c.imageRef !== old);
    await gc.garbageCollect();
    clock.advance(120_000);
    await gc.garbageCollect();

    // 88% used: 8 GiB must go to get back to 80%.
    fake.fs.availableBytes = 12 * Gi;
    const freed = await gc.garbageCollect();
    // never-used (never seen in use) goes first, then old (last seen in use at the first pass); 5 GiB is not
    // enough, but nothing else
    // is eligible (in use by a running or exited container, pinned, protected).
    assert.deepEqual(fake.removed, ['example/never-used:1', 'example/old:1']);
    assert.equal(freed, 5 * Gi);
  });

  it('stops once enough is freed, keeps images younger than the minimum age, reports a shortfall', async () => {
    const clock = new FakeClock();
    const fake = new FakeImages();
    const events: Obj[] = [];
    const gc = manager(fake, clock, events);
    fake.add('a:1', 5);
    fake.add('b:1', 5);
    await gc.garbageCollect();
    clock.advance(3 * 60_000);
    fake.add('young:1', 20);
    fake.fs.availableBytes = 14 * Gi; // 86% used: 6 GiB to free
    await gc.garbageCollect();
    assert.deepEqual(fake.removed, ['a:1', 'b:1'], 'the young image is kept even though it would free more');

    fake.fs.availableBytes = 10 * Gi;
    fake.removed = [];
    assert.equal(await gc.garbageCollect(), 0);
    await new Promise((r) => setTimeout(r, 20));
    const failed = events.find((e) => e.reason === 'FreeDiskSpaceFailed');
    assert.equal(
      failed?.message,
      `Failed to garbage collect required amount of images. Attempted to free ${10 * Gi} bytes, but only found 0 bytes eligible to free.`,
    );
    assert.equal(failed?.type, 'Warning');
  });

  it('deleteUnusedImages removes every unused image old enough, whatever the usage', async () => {
    const clock = new FakeClock();
    const fake = new FakeImages();
    const gc = manager(fake, clock);
    const used = fake.add('used:1', 1);
    fake.add('unused:1', 1);
    fake.add('k8ts.local/busybox:latest', 1);
    fake.use(used);
    await gc.garbageCollect();
    assert.equal(await gc.deleteUnusedImages(), 0, 'all younger than 2 minutes');
    clock.advance(2 * 60_000);
    assert.equal(await gc.deleteUnusedImages(), Gi);
    assert.deepEqual(fake.removed, ['unused:1']);
  });

  it('runs every 5 minutes once started and validates its thresholds', async () => {
    const clock = new FakeClock();
    const fake = new FakeImages();
    const gc = manager(fake, clock);
    fake.add('x:1', 1);
    fake.fs.availableBytes = 5 * Gi;
    gc.start();
    await clock.tick(0);
    assert.deepEqual(fake.removed, [], 'first pass: too young');
    await clock.tick(5 * 60_000);
    assert.deepEqual(fake.removed, ['x:1']);
    gc.stop();
    assert.throws(
      () => validateImageGCPolicy({ highThresholdPercent: 70, lowThresholdPercent: 80, minAgeMs: 0 }),
      /LowThresholdPercent 80 can not be higher than HighThresholdPercent 70/,
    );
    assert.throws(
      () => validateImageGCPolicy({ highThresholdPercent: 101, lowThresholdPercent: 80, minAgeMs: 0 }),
      /invalid HighThresholdPercent 101/,
    );
  });
});
