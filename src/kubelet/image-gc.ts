// Image garbage collection as upstream's image GC manager does it: every 5 minutes, when the image
// filesystem is at least high% used, unused images (no container, running or exited, refers to them) are
// removed least recently used first until usage is back at low%; an image seen for less than the minimum
// age is kept, and so are pinned images, the sandbox (pause) image and k8ts's built-in images, which have
// no registry to come back from. The eviction manager calls deleteUnusedImages() under disk pressure.
import type { Clock, EventRecorder, Logger, TimerHandle } from '../client/index.js';
import type { CriClient } from '../runtime/cri/client.js';
import type { FsStats } from './eviction/stats.js';

export const IMAGE_GC_PERIOD_MS = 5 * 60_000;

export interface ImageGCPolicy {
  /** Percent of the image filesystem in use at which GC runs (default 85; 100 turns it off). */
  highThresholdPercent: number;
  /** Percent GC frees down to (default 80). */
  lowThresholdPercent: number;
  /** Images first seen less than this long ago are kept (default 2 minutes). */
  minAgeMs: number;
}

export const DEFAULT_IMAGE_GC_POLICY: ImageGCPolicy = {
  highThresholdPercent: 85,
  lowThresholdPercent: 80,
  minAgeMs: 2 * 60_000,
};

export function validateImageGCPolicy(p: ImageGCPolicy): void {
  if (p.highThresholdPercent < 0 || p.highThresholdPercent > 100)
    throw new Error(`invalid HighThresholdPercent ${p.highThresholdPercent}, must be in range [0-100]`);
  if (p.lowThresholdPercent < 0 || p.lowThresholdPercent > 100)
    throw new Error(`invalid LowThresholdPercent ${p.lowThresholdPercent}, must be in range [0-100]`);
  if (p.lowThresholdPercent > p.highThresholdPercent)
    throw new Error(
      `LowThresholdPercent ${p.lowThresholdPercent} can not be higher than HighThresholdPercent ${p.highThresholdPercent}`,
    );
}

/** The part of CRI image GC needs. */
export type ImageRuntime = Pick<CriClient, 'listImages' | 'listContainers' | 'removeImage'>;

export interface ImageGCOptions {
  cri: ImageRuntime;
  clock: Clock;
  log: Logger;
  /** The image filesystem's size and free space. */
  imageFs(): Promise<FsStats>;
  policy?: ImageGCPolicy;
  /** Image references never removed (the sandbox image, built-in images). */
  protectedImages?: string[];
  /** For ImageGCFailed / FreeDiskSpaceFailed events on the Node. */
  recorder?: EventRecorder;
  nodeRef?: { kind: 'Node'; name: string; uid?: string };
}

interface ImageRecord {
  firstDetected: number;
  /** 0 until a container is seen using it. */
  lastUsed: number;
  size: number;
}

export class ImageGCManager {
  private readonly records = new Map<string, ImageRecord>();
  private readonly policy: ImageGCPolicy;
  private timer: TimerHandle | undefined;
  private stopped = false;
  /** Images removed so far. */
  removed: string[] = [];

  constructor(private readonly o: ImageGCOptions) {
    this.policy = o.policy ?? DEFAULT_IMAGE_GC_POLICY;
    validateImageGCPolicy(this.policy);
  }

  /** Refreshes the records; answers the images not in use and not protected. */
  private async detect(now: number): Promise<{ id: string; record: ImageRecord }[]> {
    const [images, containers] = await Promise.all([this.o.cri.listImages(), this.o.cri.listContainers()]);
    const inUse = new Set<string>();
    for (const c of containers) {
      if (c.imageRef) inUse.add(c.imageRef);
      if (c.image?.image) inUse.add(c.image.image);
    }
    const protectedRefs = new Set(this.o.protectedImages ?? []);
    const seen = new Set<string>();
    const candidates: { id: string; record: ImageRecord }[] = [];
    for (const img of images) {
      seen.add(img.id);
      let record = this.records.get(img.id);
      if (!record) {
        record = { firstDetected: now, lastUsed: 0, size: Number(img.size) || 0 };
        this.records.set(img.id, record);
      }
      record.size = Number(img.size) || 0;
      const refs = [img.id, ...img.repoTags, ...img.repoDigests];
      if (refs.some((r) => inUse.has(r))) {
        record.lastUsed = now;
        continue;
      }
      if (img.pinned || refs.some((r) => protectedRefs.has(r))) continue;
      candidates.push({ id: img.id, record });
    }
    for (const id of this.records.keys()) if (!seen.has(id)) this.records.delete(id);
    return candidates;
  }

  /** Removes unused images, least recently used first, until bytesToFree are freed; answers the bytes freed. */
  private async freeSpace(bytesToFree: number, now: number): Promise<number> {
    const candidates = await this.detect(now);
    candidates.sort(
      (a, b) => a.record.lastUsed - b.record.lastUsed || a.record.firstDetected - b.record.firstDetected,
    );
    let freed = 0;
    for (const { id, record } of candidates) {
      if (freed >= bytesToFree) break;
      if (now - record.firstDetected < this.policy.minAgeMs) continue;
      try {
        await this.o.cri.removeImage(id);
      } catch (err) {
        this.o.log.warn('image GC: failed to remove image', { image: id, error: err });
        continue;
      }
      this.o.log.info('image GC: removed image', { image: id, size: record.size });
      this.records.delete(id);
      this.removed.push(id);
      freed += record.size;
    }
    return freed;
  }

  /** One pass by the disk thresholds (upstream's GarbageCollect). */
  async garbageCollect(): Promise<number> {
    const now = this.o.clock.now();
    const fs = await this.o.imageFs();
    // Keep the records (first seen, last used) current even when nothing needs freeing.
    if (fs.capacityBytes <= 0) {
      await this.detect(now);
      return 0;
    }
    const usagePercent = 100 - Math.trunc((fs.availableBytes * 100) / fs.capacityBytes);
    if (usagePercent < this.policy.highThresholdPercent) {
      await this.detect(now);
      return 0;
    }
    const amountToFree =
      Math.trunc((fs.capacityBytes * (100 - this.policy.lowThresholdPercent)) / 100) - fs.availableBytes;
    this.o.log.info('image GC: disk usage above the high threshold', {
      usagePercent,
      highThresholdPercent: this.policy.highThresholdPercent,
      amountToFree,
    });
    const freed = await this.freeSpace(amountToFree, now);
    if (freed < amountToFree) {
      const message = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${freed} bytes eligible to free.`;
      this.o.log.warn(message);
      if (this.o.recorder && this.o.nodeRef)
        this.o.recorder.event(this.o.nodeRef, 'Warning', 'FreeDiskSpaceFailed', message);
    }
    return freed;
  }

  /** Every unused image old enough, whatever the usage (the eviction manager's reclaim under disk pressure). */
  async deleteUnusedImages(): Promise<number> {
    return this.freeSpace(Number.MAX_SAFE_INTEGER, this.o.clock.now());
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.garbageCollect();
      } catch (err) {
        this.o.log.warn('image GC failed', { error: err });
        if (this.o.recorder && this.o.nodeRef)
          this.o.recorder.event(this.o.nodeRef, 'Warning', 'ImageGCFailed', (err as Error).message);
      }
      if (!this.stopped) this.timer = this.o.clock.setTimeout(loop, IMAGE_GC_PERIOD_MS);
    };
    // The first pass records what exists now, so the minimum age counts from the kubelet's start.
    this.timer = this.o.clock.setTimeout(loop, 0);
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
  }
}
