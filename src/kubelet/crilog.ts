// Reads container log files in the CRI format containerd writes, one record per line:
//   <RFC3339Nano timestamp> <stdout|stderr> <P|F>[:more tags] <content>
// A `P` record is a fragment of a long line; the fragments up to the next `F` record form one logical line.
// The options mean what they mean to upstream's kubelet (pkg/kubelet/kuberuntime/logs): tail counts lines from
// the end, since drops older lines, timestamps prefixes the RFC3339Nano time (9 digits), limitBytes cuts the
// output, follow keeps reading appended data until the container stops or the reader is aborted.
// Two choices differ on purpose: tail counts logical lines (not fragments), and a line's timestamp prefix
// and `since` decision come from its first fragment, so a long line reads as one line.

import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { type Clock, realClock } from '../client/clock.js';

export interface CriLogOptions {
  /** Start this many lines before the end (all lines when undefined). */
  tailLines?: number;
  /** Skip lines older than this instant (ms since the epoch). */
  sinceMs?: number;
  /** Prefix each line with its RFC3339Nano timestamp and a space. */
  timestamps?: boolean;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Keep reading appended data until `running()` says the container stopped or `signal` aborts. */
  follow?: boolean;
}

export interface FollowControl {
  /** Whether the container still writes to this log; following ends (after a last drain) when false. */
  running?: () => Promise<boolean>;
  signal?: AbortSignal;
  clock?: Clock;
  /** How often to look for new data without a file event (upstream's logForceCheckPeriod is 1 s). */
  pollMs?: number;
  /** Watch the file for changes (default true); tests turn it off and drive the poll with a FakeClock. */
  watchFile?: boolean;
}

/** Receives output; a returned promise is awaited before reading on (back-pressure). */
export type LogSink = (chunk: Buffer) => void | Promise<void>;

const NL = 0x0a;
const SP = 0x20;
const READ_CHUNK = 64 * 1024;

/** A parsed record: the byte ranges of its parts inside the line buffer. */
interface CriRecord {
  timestamp: string;
  partial: boolean;
  /** Content, including the trailing newline for a full record (when the file had one). */
  content: Buffer;
}

const STDOUT = Buffer.from('stdout');
const STDERR = Buffer.from('stderr');
const P = 0x50;
const COLON = 0x3a;

/** Parses one record (with or without its trailing newline); undefined when it is not CRI format. */
export function parseCriRecord(line: Buffer): CriRecord | undefined {
  const s1 = line.indexOf(SP);
  if (s1 <= 0) return undefined;
  // Byte comparisons rather than strings: this runs once per line of a possibly large file.
  const s2 = s1 + 7;
  if (line.length <= s2 || line[s2] !== SP) return undefined;
  if (STDOUT.compare(line, s1 + 1, s2) !== 0 && STDERR.compare(line, s1 + 1, s2) !== 0) return undefined;
  const s3 = line.indexOf(SP, s2 + 1);
  if (s3 < 0) return undefined;
  const partial = line[s2 + 1] === P && (s3 === s2 + 2 || line[s2 + 2] === COLON);
  let end = line.length;
  if (partial && end > s3 + 1 && line[end - 1] === NL) end--;
  return { timestamp: line.toString('latin1', 0, s1), partial, content: line.subarray(s3 + 1, end) };
}

const TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/** Milliseconds since the epoch of an RFC3339(Nano) timestamp, or undefined when it is malformed. */
export function parseTimestampMs(ts: string): number | undefined {
  const m = TS.exec(ts);
  if (!m) return undefined;
  const base = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
  if (Number.isNaN(base)) return undefined;
  return base + (m[2] ? Math.floor(Number(m[2].padEnd(9, '0')) / 1e6) : 0);
}

function looksLikeTimestamp(ts: string): boolean {
  return ts.length >= 20 && ts[4] === '-' && ts[10] === 'T' && ts[13] === ':' && ts[0] >= '0' && ts[0] <= '9';
}

/** Upstream's RFC3339NanoFixed rendering: always nine fraction digits, `Z` for a zero offset. */
export function formatTimestampFixed(ts: string): string {
  // Fast path for what containerd writes on a UTC host: `...:05.123Z`.
  if (ts.length <= 30 && ts[19] === '.' && ts.endsWith('Z') && ts[10] === 'T') {
    return ts.length === 30 ? ts : `${ts.slice(0, 20)}${ts.slice(20, -1).padEnd(9, '0')}Z`;
  }
  const m = TS.exec(ts);
  if (!m) return ts;
  const zone = m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3].toUpperCase();
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}${zone}`;
}

/** Whether the record starting at `head` is the last fragment of a line (malformed records count as lines). */
function endsLine(head: Buffer): boolean {
  const rec = parseCriRecord(head);
  return rec ? !rec.partial : true;
}

/**
 * The file offset where the last `lines` logical lines start, reading backwards in chunks so a large file is
 * never loaded whole. A trailing run of fragments without its `F` record counts as one line.
 */
export async function findTailStart(fh: FileHandle, size: number, lines: number): Promise<number> {
  if (lines <= 0) return size;
  // A record's kind is in its first bytes; keep that many bytes of the window to the right of each chunk.
  const HEAD = 96;
  let pos = size;
  let recEnd = size; // exclusive end of the record whose start we are looking for
  let right = Buffer.alloc(0);
  let found = 0;
  while (pos > 0) {
    const n = Math.min(READ_CHUNK, pos);
    pos -= n;
    const chunk = Buffer.allocUnsafe(n);
    await readFully(fh, chunk, pos);
    const window = right.length > 0 ? Buffer.concat([chunk, right]) : chunk;
    for (let i = chunk.lastIndexOf(NL, n - 1); i >= 0; i = i > 0 ? chunk.lastIndexOf(NL, i - 1) : -1) {
      const start = pos + i + 1;
      if (start < recEnd) {
        // The record [start, recEnd) is complete: if it ends a line that is not the file's last, its end
        // is where a following line starts.
        if (recEnd < size && endsLine(window.subarray(i + 1, i + 1 + HEAD))) {
          found++;
          if (found === lines) return recEnd;
        }
      }
      recEnd = start;
    }
    right = window.subarray(0, Math.min(HEAD, window.length));
  }
  if (recEnd > 0 && recEnd < size && endsLine(right)) {
    found++;
    if (found === lines) return recEnd;
  }
  return 0;
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, position + off);
    if (bytesRead === 0) throw new Error(`log file shrank while reading at ${position + off}`);
    off += bytesRead;
  }
}

/** Applies since/timestamps/limitBytes to records and joins fragments; one instance per request. */
class LineWriter {
  private atLineStart = true;
  private skipping = false;
  private remain: number;
  private out: Buffer[] = [];

  constructor(private readonly opts: CriLogOptions) {
    this.remain = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  get exhausted(): boolean {
    return this.remain <= 0;
  }

  add(line: Buffer): void {
    if (this.exhausted) return;
    const rec = parseCriRecord(line);
    if (!rec) return; // upstream skips lines it cannot parse
    let prefix: string | undefined;
    if (this.atLineStart) {
      // The full parse only when the time matters; otherwise a cheap shape check drops non-CRI lines.
      if (this.opts.sinceMs !== undefined) {
        const ms = parseTimestampMs(rec.timestamp);
        if (ms === undefined) return;
        this.skipping = ms < this.opts.sinceMs;
      } else if (!looksLikeTimestamp(rec.timestamp)) return;
      if (this.opts.timestamps) prefix = `${formatTimestampFixed(rec.timestamp)} `;
    }
    this.atLineStart = !rec.partial;
    if (this.skipping) return;
    if (prefix !== undefined) this.emit(Buffer.from(prefix, 'latin1'));
    this.emit(rec.content);
  }

  private emit(b: Buffer): void {
    if (this.remain <= 0 || b.length === 0) return;
    const part = b.length > this.remain ? b.subarray(0, this.remain) : b;
    this.remain -= part.length;
    this.out.push(part);
  }

  take(): Buffer | undefined {
    if (this.out.length === 0) return undefined;
    const b = this.out.length === 1 ? Buffer.from(this.out[0]) : Buffer.concat(this.out);
    this.out = [];
    return b;
  }
}

/**
 * Streams the log at `path` to `sink` under `opts`. Resolves when done: at the end of the file, at the byte
 * limit, or (following) once the container stopped and the file is drained, or the signal aborted.
 * While following it notices a file replaced at the same path (containerd reopening after rotation) and a
 * file truncated in place, and continues from the start of the new content.
 */
export async function streamCriLog(
  path: string,
  opts: CriLogOptions,
  sink: LogSink,
  control: FollowControl = {},
): Promise<void> {
  const clock = control.clock ?? realClock;
  const pollMs = control.pollMs ?? 1000;
  let fh = await open(path, 'r');
  const writer = new LineWriter(opts);
  let watcher: Waker | undefined;
  try {
    let offset = 0;
    if (opts.tailLines !== undefined) {
      offset = await findTailStart(fh, (await fh.stat()).size, opts.tailLines);
    }
    let carry: Buffer = Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    let finishing = false;
    for (;;) {
      if (control.signal?.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        carry = splitRecords(Buffer.concat([carry, buf.subarray(0, bytesRead)]), writer);
        const out = writer.take();
        if (out) await sink(out);
        if (writer.exhausted) return;
        continue;
      }
      // End of the data written so far.
      if (!opts.follow) {
        if (carry.length > 0) writer.add(carry); // a last line without its newline
        const out = writer.take();
        if (out) await sink(out);
        return;
      }
      if (finishing) return;
      const mine = await fh.stat();
      if (mine.size < offset) {
        offset = 0; // truncated in place (copytruncate): read the new content from the start
        carry = Buffer.alloc(0);
        continue;
      }
      const current = await stat(path).catch(() => undefined);
      if (current && current.ino !== mine.ino) {
        // Replaced (rotation by rename + reopen): this file is drained, continue with the new one.
        await fh.close();
        fh = await open(path, 'r');
        watcher?.close();
        watcher = undefined;
        offset = 0;
        carry = Buffer.alloc(0);
        continue;
      }
      if (control.running && !(await control.running())) {
        finishing = true; // one last read picks up what was written before the container stopped
        continue;
      }
      if (!watcher) {
        // Data written between the last read and the watch starting raises no event: read once more.
        watcher = new Waker(path, control.watchFile !== false);
        continue;
      }
      await watcher.wait(clock, pollMs, control.signal);
    }
  } finally {
    watcher?.close();
    await fh.close().catch(() => {});
  }
}

/** Feeds every complete record in `data` to the writer; answers the incomplete rest. */
function splitRecords(data: Buffer, writer: LineWriter): Buffer {
  let start = 0;
  for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
    writer.add(data.subarray(start, nl + 1));
    start = nl + 1;
    if (writer.exhausted) return Buffer.alloc(0);
  }
  return start === 0 ? data : Buffer.from(data.subarray(start));
}

/** Wakes a follower when the file changes, when the poll period passes, or when the request ends. */
class Waker {
  private watcher?: FSWatcher;
  private changed = false;
  private wake?: () => void;

  constructor(path: string, useWatch: boolean) {
    if (!useWatch) return;
    try {
      this.watcher = watch(path, { persistent: false }, () => {
        this.changed = true;
        this.wake?.();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      // the file may be gone already; polling still notices what happens next
    }
  }

  wait(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.changed || signal?.aborted) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = clock.setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.wake?.();
  }
}
