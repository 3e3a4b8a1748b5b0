// The kubelet's housekeeping loops (PLEG relist, lease renewal, node status, eviction, image GC): a pass
// that runs again a period after the previous one ended, so two never overlap, on an injected clock until
// stopped; a pass that throws is reported and the loop goes on (upstream's wait.Until).
import type { Clock, TimerHandle } from '../client/clock.js';

export class Periodic {
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The first pass right away (begun in this call), or after `firstDelayMs` on the clock. */
  start(firstDelayMs?: number): void {
    if (firstDelayMs === undefined) void this.run();
    else this.timer = this.clock.setTimeout(() => void this.run(), firstDelayMs);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.pass();
    } catch (err) {
      this.onError(err);
    }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.run(), this.periodMs);
  }
}
