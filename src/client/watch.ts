// A watch response as an async iterable of parsed events. The body is newline-delimited JSON sent in
// chunks; lines may be split anywhere (including inside UTF-8 sequences). An ERROR event ends the
// stream with an ApiError; stop() cancels it. A slow consumer pauses the socket instead of buffering
// without bound.
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { ApiError, type RequestDescription } from './apierror.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** Anything that yields watch events and can be stopped (the informer only needs this). */
export interface EventStream<T> extends AsyncIterable<WatchEvent<T>> {
  stop(): void;
}

const HIGH_WATER = 1024;
const LOW_WATER = 256;

export class WatchStream<T> implements EventStream<T> {
  private readonly events: WatchEvent<T>[] = [];
  private head = 0;
  private buf = '';
  private readonly decoder = new StringDecoder('utf8');
  private ended = false;
  private stopped = false;
  private error?: Error;
  private wake?: () => void;
  private paused = false;
  /** Events parsed so far. */
  received = 0;

  constructor(
    private readonly res: IncomingMessage,
    private readonly onStop: () => void,
    private readonly request?: RequestDescription,
    private readonly signal?: AbortSignal,
  ) {
    if (signal?.aborted) queueMicrotask(() => this.stop());
    signal?.addEventListener('abort', this.onAbort, { once: true });
    res.on('data', (chunk: Buffer) => this.onData(chunk));
    res.on('end', () => this.finish());
    res.on('error', (err) => this.finish(err));
    res.on('close', () => {
      // A socket closed without the final chunk means the connection broke, not a normal end.
      if (!this.ended)
        this.finish(res.complete ? undefined : new Error('watch connection closed before the stream ended'));
    });
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.buf += this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = this.buf.indexOf('\n', start);
      if (nl < 0) break;
      const line = this.buf.slice(start, nl);
      start = nl + 1;
      if (line.trim() === '') continue;
      let ev: { type: string; object: any };
      try {
        ev = JSON.parse(line);
      } catch (err) {
        this.finish(new Error(`watch: invalid JSON in event: ${(err as Error).message}`));
        return;
      }
      if (ev.type === 'ERROR') {
        this.finish(ApiError.fromStatus(ev.object ?? {}, this.request));
        return;
      }
      this.received++;
      this.events.push(ev as WatchEvent<T>);
    }
    this.buf = start === 0 ? this.buf : this.buf.slice(start);
    if (this.events.length - this.head >= HIGH_WATER && !this.paused) {
      this.paused = true;
      this.res.pause();
    }
    this.notify();
  }

  private readonly onAbort = () => this.stop();

  private finish(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    if (err && !this.stopped) this.error = err;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Cancels the watch: the iterator ends after events already received. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const wasEnded = this.ended;
    this.events.length = this.head = 0;
    this.finish();
    // A cleanly ended response already gave its socket back to the pool; only cut live ones.
    if (!wasEnded || this.error) this.onStop();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    try {
      for (;;) {
        if (this.head < this.events.length) {
          const ev = this.events[this.head++];
          if (this.head === this.events.length) this.events.length = this.head = 0;
          if (this.paused && this.events.length - this.head <= LOW_WATER) {
            this.paused = false;
            this.res.resume();
          }
          yield ev;
          continue;
        }
        if (this.ended) {
          if (this.error) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      // The consumer broke out of the loop (or the stream ended): release the connection.
      this.stop();
    }
  }
}
