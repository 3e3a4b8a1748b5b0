// Controller expectations (client-go's ControllerExpectations): after asking for N creations or deletions,
// a controller waits until its cache has seen them (or the expectation expires) before counting again.
import type { Clock } from '../../client/index.js';

/** Upstream's expectation lifetime: a lost watch event cannot stall a controller for longer. */
const TTL_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  dels: number;
  setAtMs: number;
}

export class Expectations {
  private readonly items = new Map<string, Expectation>();
  constructor(private readonly clock: Clock) {}

  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.dels <= 0) return true;
    return this.clock.now() - e.setAtMs > TTL_MS;
  }

  expect(key: string, adds: number, dels: number): void {
    this.items.set(key, { adds, dels, setAtMs: this.clock.now() });
  }

  lower(key: string, adds: number, dels: number): void {
    const e = this.items.get(key);
    if (!e) return;
    e.adds -= adds;
    e.dels -= dels;
  }

  observedCreate(key: string): void {
    this.lower(key, 1, 0);
  }

  observedDelete(key: string): void {
    this.lower(key, 0, 1);
  }

  forget(key: string): void {
    this.items.delete(key);
  }
}
