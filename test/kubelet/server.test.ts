// The kubelet's log server over loopback, with a resolver over temp files.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { type KubeletServer, startKubeletServer } from '../../src/kubelet/server.js';

const rec = (iso: string, content: string, stream = 'stdout') => `${iso} ${stream} F ${content}\n`;

describe('kubelet log server', () => {
  let dir: string;
  let server: KubeletServer;
  let base: string;
  const clock = new FakeClock(Date.parse('2026-01-01T00:10:00Z'));
  const current = new Map<string, string>();
  const previous = new Map<string, string>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-kubelet-logs-'));
    const web = join(dir, 'web-0.log');
    writeFileSync(
      web,
      rec('2026-01-01T00:00:00.1Z', 'booting') +
        rec('2026-01-01T00:05:00.2Z', 'warning', 'stderr') +
        rec('2026-01-01T00:09:30.3Z', 'ready'),
    );
    const old = join(dir, 'web-prev.log');
    writeFileSync(old, rec('2025-12-31T23:00:00Z', 'crashed'));
    current.set('default/p1/web', web);
    previous.set('default/p1/web', old);
    current.set('default/p1/gone', join(dir, 'missing.log'));
    server = await startKubeletServer({
      host: '127.0.0.1',
      port: 0,
      clock,
      followPollMs: 20,
      logs: {
        resolve: async (ns, pod, c, prev) => (prev ? previous : current).get(`${ns}/${pod}/${c}`),
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const r = await fetch(base + path);
    return { status: r.status, text: await r.text(), type: r.headers.get('content-type') };
  };

  it('answers /healthz', async () => {
    assert.deepEqual(await get('/healthz'), { status: 200, text: 'ok', type: 'text/plain; charset=utf-8' });
  });

  it('serves a container log with the options applied', async () => {
    const all = await get('/containerLogs/default/p1/web');
    assert.equal(all.status, 200);
    assert.equal(all.type, 'text/plain');
    assert.equal(all.text, 'booting\nwarning\nready\n');
    assert.equal((await get('/containerLogs/default/p1/web?tailLines=2')).text, 'warning\nready\n');
    assert.equal((await get('/containerLogs/default/p1/web?tail=1')).text, 'ready\n');
    assert.equal((await get('/containerLogs/default/p1/web?tail=all&tailLines=1')).text, all.text);
    assert.equal(
      (await get('/containerLogs/default/p1/web?timestamps=true&tailLines=1')).text,
      '2026-01-01T00:09:30.300000000Z ready\n',
    );
    assert.equal((await get('/containerLogs/default/p1/web?limitBytes=10')).text, 'booting\nwa');
    // sinceSeconds counts back from the kubelet's clock; sinceTime is an instant; the later one wins.
    assert.equal((await get('/containerLogs/default/p1/web?sinceSeconds=60')).text, 'ready\n');
    assert.equal(
      (await get('/containerLogs/default/p1/web?sinceTime=2026-01-01T00:01:00Z')).text,
      'warning\nready\n',
    );
    assert.equal((await get('/containerLogs/default/p1/web?previous=true')).text, 'crashed\n');
  });

  it('answers 404 for an unknown container or log, 400 and 422 for bad parameters', async () => {
    const unknown = await get('/containerLogs/default/p1/nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, 'no log found for container "nope" in pod "default/p1"');
    const prev = await get('/containerLogs/default/p1/nope?previous=1');
    assert.equal(prev.status, 404);
    assert.equal(prev.text, 'previous terminated container "nope" in pod "p1" not found');
    const gone = await get('/containerLogs/default/p1/gone');
    assert.equal(gone.status, 404);
    assert.match(gone.text, /log file of container "gone" in pod "default\/p1" is gone/);
    const bad = await get('/containerLogs/default/p1/web?tailLines=ten');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /tailLines: strconv.ParseInt: parsing "ten": invalid syntax/);
    const negative = await get('/containerLogs/default/p1/web?limitBytes=0');
    assert.equal(negative.status, 422);
    assert.match(negative.text, /limitBytes: Invalid value: 0: must be greater than 0/);
    const both = await get('/containerLogs/default/p1/web?sinceSeconds=1&sinceTime=2026-01-01T00:00:00Z');
    assert.equal(both.status, 422);
    assert.equal((await get('/containerLogs/default/p1')).status, 400);
    assert.equal((await get('/metrics')).status, 404);
    assert.equal((await fetch(`${base}/containerLogs/default/p1/web`, { method: 'POST' })).status, 405);
  });

  it('streams a followed log until the container is replaced by a new instance', async () => {
    const path = join(dir, 'follow-0.log');
    writeFileSync(path, rec('2026-01-01T00:00:00Z', 'one'));
    current.set('default/p2/app', path);
    const r = await fetch(`${base}/containerLogs/default/p2/app?follow=true`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    const readUntil = async (want: string) => {
      while (!seen.includes(want)) {
        const { value, done } = await reader.read();
        if (done) assert.fail(`stream ended before ${JSON.stringify(want)}; got ${JSON.stringify(seen)}`);
        seen += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('one\n');
    appendFileSync(path, rec('2026-01-01T00:00:01Z', 'two'));
    await readUntil('two\n');
    // The container restarts: its next instance logs elsewhere, so this stream ends after a last drain.
    appendFileSync(path, rec('2026-01-01T00:00:02Z', 'three'));
    current.set('default/p2/app', join(dir, 'follow-1.log'));
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
    assert.equal(seen, 'one\ntwo\nthree\n');
  });
});
