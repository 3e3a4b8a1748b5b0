// The CRI log reader over temp files: fragments, tail (against a naive reader on a file of many chunks),
// since, timestamps, limitBytes, and following appends, rotation, truncation, container stop and abort.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { type CriLogOptions, formatTimestampFixed, streamCriLog } from '../../src/kubelet/crilog.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
/** A record at T0 + ms (with a nanosecond tail so the fraction is not trimmed). */
const rec = (ms: number, tag: 'P' | 'F', content: string, stream = 'stdout') =>
  `${new Date(T0 + ms).toISOString().replace('Z', '')}123456Z ${stream} ${tag} ${content}\n`;

async function read(path: string, opts: CriLogOptions): Promise<string> {
  const out: Buffer[] = [];
  await streamCriLog(path, opts, (c) => {
    out.push(c);
  });
  return Buffer.concat(out).toString('utf8');
}

/** Lets file I/O complete while nudging the follower's poll timer, until `cond` holds. */
async function until(clock: FakeClock, cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await clock.tick(1000);
    await new Promise((r) => setImmediate(r));
  }
}

describe('CRI log reader', () => {
  let dir: string;
  let n = 0;
  const file = (content: string) => {
    const p = join(dir, `${n++}.log`);
    writeFileSync(p, content);
    return p;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-crilog-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('joins fragments into lines and keeps both streams in order', async () => {
    const p = file(rec(0, 'P', 'hel') + rec(1, 'F', 'lo') + rec(2, 'F', 'oops', 'stderr') + rec(3, 'F', ''));
    assert.equal(await read(p, {}), 'hello\noops\n\n');
  });

  it('skips lines that are not CRI records, as upstream does', async () => {
    const p = file(`garbage\n${rec(0, 'F', 'a')}not-a-time stdout F x\n${rec(1, 'F', 'b')}`);
    assert.equal(await read(p, {}), 'a\nb\n');
  });

  it('prefixes the RFC3339Nano timestamp with nine digits, once per line', async () => {
    const p = file(
      `2026-01-01T00:00:01.5Z stdout F short\n2026-01-01T00:00:02+00:00 stdout P long \n` +
        `2026-01-01T00:00:02.000000001Z stdout F line\n`,
    );
    assert.equal(
      await read(p, { timestamps: true }),
      '2026-01-01T00:00:01.500000000Z short\n2026-01-01T00:00:02.000000000Z long line\n',
    );
    assert.equal(formatTimestampFixed('2026-01-01T01:00:00.25+01:00'), '2026-01-01T01:00:00.250000000+01:00');
  });

  it('tails whole lines, counting a trailing unfinished line as one', async () => {
    const body = rec(0, 'F', 'one') + rec(1, 'P', 'tw') + rec(2, 'F', 'o') + rec(3, 'F', 'three');
    const p = file(body);
    assert.equal(await read(p, { tailLines: 0 }), '');
    assert.equal(await read(p, { tailLines: 1 }), 'three\n');
    assert.equal(await read(p, { tailLines: 2 }), 'two\nthree\n');
    assert.equal(await read(p, { tailLines: 10 }), 'one\ntwo\nthree\n');
    const open = file(body + rec(4, 'P', 'fou'));
    assert.equal(await read(open, { tailLines: 2 }), 'three\nfou');
    const noNewline = file(rec(0, 'F', 'one') + rec(1, 'F', 'two').trimEnd());
    assert.equal(await read(noNewline, { tailLines: 1 }), 'two');
  });

  it('tails a file of many chunks exactly like a naive reader', async () => {
    // ~3 MB of lines, some split into fragments that straddle the 64 KiB read chunks.
    const lines: string[] = [];
    let body = '';
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 30000; i++) {
      const text = `line-${i}-${'x'.repeat(Math.floor(rand() * 120))}`;
      lines.push(text);
      if (rand() < 0.2) {
        const cut = Math.floor(text.length / 2);
        body += rec(i, 'P', text.slice(0, cut)) + rec(i, 'F', text.slice(cut));
      } else body += rec(i, 'F', text);
    }
    const p = file(body);
    for (const tail of [1, 2, 3, 17, 1000, 12345, 29999, 30000, 40000]) {
      const want = lines
        .slice(Math.max(0, lines.length - tail))
        .map((l) => `${l}\n`)
        .join('');
      assert.equal(await read(p, { tailLines: tail }), want, `tail ${tail}`);
    }
  });

  it('drops lines older than since, deciding a long line by its first fragment', async () => {
    const p = file(
      rec(0, 'F', 'old') + rec(999, 'P', 'old ') + rec(1500, 'F', 'too') + rec(2000, 'F', 'new'),
    );
    assert.equal(await read(p, { sinceMs: T0 + 1000 }), 'new\n');
    assert.equal(await read(p, { sinceMs: T0 + 999 }), 'old too\nnew\n');
  });

  it('stops at limitBytes, cutting a line', async () => {
    const p = file(rec(0, 'F', 'abcdef') + rec(1, 'F', 'ghij'));
    assert.equal(await read(p, { limitBytes: 3 }), 'abc');
    assert.equal(await read(p, { limitBytes: 9 }), 'abcdef\ngh');
    assert.equal(await read(p, { limitBytes: 9, tailLines: 1 }), 'ghij\n');
    const withTs = await read(p, { limitBytes: 10, timestamps: true });
    assert.equal(withTs, '2026-01-01');
  });

  it('follows appends, a replaced file and a truncated one, and ends when the container stops', async () => {
    const p = file(rec(0, 'F', 'first'));
    const clock = new FakeClock();
    let running = true;
    const out: Buffer[] = [];
    const text = () => Buffer.concat(out).toString();
    const done = streamCriLog(
      p,
      { follow: true, tailLines: 1 },
      (c) => {
        out.push(c);
      },
      { clock, watchFile: false, running: async () => running },
    );
    await until(clock, () => text() === 'first\n', 'the existing line');
    // An unfinished record is held back until its newline arrives.
    appendFileSync(p, rec(1, 'P', 'sec').slice(0, -3));
    await clock.tick(1000);
    appendFileSync(p, 'ec\n');
    appendFileSync(p, rec(2, 'F', 'ond'));
    await until(clock, () => text() === 'first\nsecond\n', 'appended lines');
    // Rotation: the old file is renamed away and a new one takes its path.
    renameSync(p, `${p}.1`);
    writeFileSync(p, rec(3, 'F', 'after rotation'));
    await until(clock, () => text().endsWith('second\nafter rotation\n'), 'the new file');
    // copytruncate: the file shrinks in place and is read again from its start.
    truncateSync(p, 0);
    await clock.tick(1000);
    await clock.tick(1000);
    appendFileSync(p, rec(4, 'F', 'truncated'));
    await until(clock, () => text().endsWith('rotation\ntruncated\n'), 'the truncated file');
    // The container stops: what it wrote last is still delivered, then the stream ends.
    appendFileSync(p, rec(5, 'F', 'last words'));
    running = false;
    await until(clock, () => text().endsWith('last words\n'), 'the last line');
    await done;
    assert.equal(text(), 'first\nsecond\nafter rotation\ntruncated\nlast words\n');
  });

  it('stops following when the reader goes away, and wakes on file events without polling', async () => {
    const p = file(rec(0, 'F', 'a'));
    const ac = new AbortController();
    const clock = new FakeClock(); // never advanced: only the file watch can wake the follower
    const out: Buffer[] = [];
    const done = streamCriLog(
      p,
      { follow: true },
      (c) => {
        out.push(c);
      },
      { clock, signal: ac.signal, running: async () => true },
    );
    const deadline = Date.now() + 5000;
    appendFileSync(p, rec(1, 'F', 'b'));
    while (Buffer.concat(out).toString() !== 'a\nb\n') {
      if (Date.now() > deadline) assert.fail(`no wake-up from the file watch: ${Buffer.concat(out)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    ac.abort();
    await done;
    assert.equal(clock.pendingTimers, 0);
  });
});
