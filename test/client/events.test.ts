import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/client/apierror.js';
import { FakeClock } from '../../src/client/clock.js';
import { EventRecorder, type EventSink, restEventSink } from '../../src/client/events.js';
import { EVENTS } from '../../src/client/index.js';
import { silentLogger } from '../../src/client/log.js';
import { RestClient } from '../../src/client/rest.js';
import { startClientTestApi } from './testapi.js';

type Obj = Record<string, any>;

/** Records writes; a write can be held open to model a slow API server. */
class FakeSink implements EventSink {
  events = new Map<string, Obj>();
  writes: string[] = [];
  hold?: Promise<void>;
  async create(ns: string, ev: Obj): Promise<Obj> {
    await this.hold;
    this.writes.push(`create ${ev.metadata.name} count=${ev.count}`);
    this.events.set(`${ns}/${ev.metadata.name}`, structuredClone(ev));
    return ev;
  }
  async patch(ns: string, name: string, patch: Obj): Promise<Obj> {
    await this.hold;
    const ev = this.events.get(`${ns}/${name}`);
    if (!ev)
      throw new ApiError(404, `events "${name}" not found`, {
        kind: 'Status',
        reason: 'NotFound',
        code: 404,
      });
    this.writes.push(`patch ${name} count=${patch.count}`);
    Object.assign(ev, patch);
    return ev;
  }
  list(): Obj[] {
    return [...this.events.values()];
  }
}

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'prod', uid: 'uid-1', resourceVersion: '42' },
};

function setup(extra: Partial<ConstructorParameters<typeof EventRecorder>[0]> = {}) {
  const clock = new FakeClock(Date.parse('2025-03-01T12:00:00Z'));
  const sink = new FakeSink();
  const rec = new EventRecorder({
    sink,
    component: 'replicaset-controller',
    clock,
    log: silentLogger,
    ...extra,
  });
  return { clock, sink, rec };
}

describe('event recorder', () => {
  it('creates a core/v1 Event with the involved object, source, type and timestamps', async () => {
    const { sink, rec } = setup({ host: 'node-1' });
    rec.event(pod, 'Normal', 'SuccessfulCreate', 'Created pod: web-1');
    await rec.flush();
    const [ev] = sink.list();
    assert.equal(ev.metadata.namespace, 'prod');
    assert.match(ev.metadata.name, /^web-1\.[0-9a-f]+$/);
    assert.deepEqual(ev.involvedObject, {
      kind: 'Pod',
      namespace: 'prod',
      name: 'web-1',
      uid: 'uid-1',
      apiVersion: 'v1',
      resourceVersion: '42',
    });
    assert.equal(ev.reason, 'SuccessfulCreate');
    assert.equal(ev.message, 'Created pod: web-1');
    assert.equal(ev.type, 'Normal');
    assert.deepEqual(ev.source, { component: 'replicaset-controller', host: 'node-1' });
    assert.equal(ev.firstTimestamp, '2025-03-01T12:00:00Z');
    assert.equal(ev.lastTimestamp, '2025-03-01T12:00:00Z');
    assert.equal(ev.count, 1);
  });

  it('bumps the count of an identical event within 10 minutes by PATCH; later it starts a new event', async () => {
    const { clock, sink, rec } = setup();
    rec.event(pod, 'Warning', 'FailedCreate', 'quota exceeded');
    await rec.flush();
    clock.advance(60_000);
    rec.event(pod, 'Warning', 'FailedCreate', 'quota exceeded');
    await rec.flush();
    clock.advance(9 * 60_000);
    rec.event(pod, 'Warning', 'FailedCreate', 'quota exceeded');
    await rec.flush();
    assert.equal(sink.events.size, 1);
    const [ev] = sink.list();
    assert.equal(ev.count, 3);
    assert.equal(ev.firstTimestamp, '2025-03-01T12:00:00Z');
    assert.equal(ev.lastTimestamp, '2025-03-01T12:10:00Z');
    assert.deepEqual(
      sink.writes.map((w) => w.split(' ')[0]),
      ['create', 'patch', 'patch'],
    );
    clock.advance(10 * 60_000 + 1);
    rec.event(pod, 'Warning', 'FailedCreate', 'quota exceeded');
    await rec.flush();
    assert.equal(sink.events.size, 2, 'a new event after the window');
    assert.equal(rec.stats.deduplicated, 2);
  });

  it('keeps different messages and reasons apart', async () => {
    const { sink, rec } = setup();
    rec.event(pod, 'Normal', 'Scheduled', 'to node-1');
    rec.event(pod, 'Normal', 'Scheduled', 'to node-2');
    rec.event(pod, 'Normal', 'Pulled', 'to node-1');
    await rec.flush();
    assert.equal(sink.events.size, 3);
  });

  it('combines more than 10 similar messages into one aggregate event', async () => {
    const { sink, rec } = setup();
    for (let i = 0; i < 15; i++) rec.event(pod, 'Warning', 'BackOff', `attempt ${i} failed`);
    await rec.flush();
    const aggregate = sink.list().filter((e) => e.message.startsWith('(combined from similar events): '));
    assert.equal(sink.events.size, 11, '10 distinct events, then one aggregate');
    assert.equal(aggregate.length, 1);
    assert.equal(aggregate[0].count, 5);
    assert.equal(aggregate[0].message, '(combined from similar events): attempt 14 failed');
  });

  it('drops a hot object past the spam burst (25) and lets one more through every 5 minutes', async () => {
    const { clock, sink, rec } = setup();
    for (let i = 0; i < 40; i++) rec.event(pod, 'Normal', 'Sync', 'same');
    await rec.flush();
    assert.equal(rec.stats.spamDropped, 15);
    assert.equal(sink.list()[0].count, 25);
    rec.event({ kind: 'Pod', namespace: 'prod', name: 'other' }, 'Normal', 'Sync', 'same');
    await rec.flush();
    assert.equal(sink.events.size, 2, 'another object has its own budget');
    clock.advance(300_000);
    rec.event(pod, 'Normal', 'Sync', 'same');
    rec.event(pod, 'Normal', 'Sync', 'same');
    await rec.flush();
    assert.equal(rec.stats.spamDropped, 16);
  });

  it('folds repeats that arrive while a write is pending into that write', async () => {
    const { sink, rec } = setup({ spamBurst: 1000 });
    let release!: () => void;
    sink.hold = new Promise((r) => {
      release = r;
    });
    for (let i = 0; i < 200; i++) rec.event(pod, 'Normal', 'Hot', 'loop');
    release();
    await rec.flush();
    assert.deepEqual(
      sink.writes.map((w) => w.replace(/ \S+ /, ' ')),
      ['create count=1', 'patch count=200'],
    );
    assert.equal(sink.list()[0].count, 200);
  });

  it('records events of cluster-scoped objects in the default namespace, and re-creates an event deleted meanwhile', async () => {
    const { sink, rec } = setup();
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u' } };
    rec.event(node, 'Normal', 'NodeReady', 'ready');
    await rec.flush();
    assert.equal(sink.list()[0].metadata.namespace, 'default');
    sink.events.clear();
    rec.event(node, 'Normal', 'NodeReady', 'ready');
    await rec.flush();
    assert.equal(sink.events.size, 1);
    assert.equal(sink.list()[0].count, 2);
    assert.equal(rec.stats.errors, 0);
  });

  it('caps overall writes with a bounded queue', async () => {
    const { rec } = setup({ maxQueued: 5 });
    for (let i = 0; i < 20; i++)
      rec.event({ kind: 'Pod', namespace: 'p', name: `pod-${i}` }, 'Normal', 'X', 'y');
    await rec.flush();
    // The first write starts at once (leaving the queue); 5 more fit in the queue.
    assert.equal(rec.stats.created, 6);
    assert.equal(rec.stats.queueDropped, 14);
  });

  it('writes through the API server: one Event with a count', async () => {
    const t = await startClientTestApi();
    const client = new RestClient({ baseUrl: t.url });
    try {
      const rec = new EventRecorder({
        sink: restEventSink(client),
        component: 'deployment-controller',
        log: silentLogger,
      });
      const dep = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default', uid: 'd1' },
      };
      for (let i = 0; i < 3; i++) {
        rec.event(dep, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-abc to 3');
        await rec.flush();
      }
      const list = await client.resource(EVENTS).in('default').list();
      assert.equal(list.items.length, 1);
      assert.equal(list.items[0].count, 3);
      assert.equal(list.items[0].involvedObject.kind, 'Deployment');
      assert.equal(rec.stats.errors, 0);
    } finally {
      client.close();
      await t.close();
    }
  });
});
