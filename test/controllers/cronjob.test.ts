// The CronJob controller (with the Job controller) against an in-process API server on a FakeClock shared
// with the server's timestamps: schedules, time zones, one catch-up run, startingDeadlineSeconds,
// concurrency policies, suspend, status and history limits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock, silentLogger } from '../../src/client/index.js';
import { mostRecentSchedule, parseSchedule } from '../../src/controllers/cronjob/schedule.js';
import { type ControllerManager, startControllerManager } from '../../src/controllers/manager.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { createNamespace, eventually, setPodStatus } from '../helpers/controllers.js';

type Obj = Record<string, any>;

const T0 = Date.parse('2025-01-01T10:00:30Z');
const clock = new FakeClock(T0);
let api: TestApi;
let cm: ControllerManager;
const step = () => clock.tick(50);

before(async () => {
  api = await startTestApi({ now: () => new Date(clock.now()) });
  cm = startControllerManager({ baseUrl: api.url, log: silentLogger, clock });
});

after(async () => {
  await cm.stop();
  await api.close();
});

function cronJob(name: string, schedule: string, spec: Obj = {}): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule,
      ...spec,
      jobTemplate: {
        metadata: { labels: { cron: name } },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      },
    },
  };
}

async function createCronJob(ns: string, cj: Obj): Promise<Obj> {
  const r = await api.req('POST', `/apis/batch/v1/namespaces/${ns}/cronjobs`, cj);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function jobsOf(ns: string): Promise<Obj[]> {
  const items: Obj[] = (await api.req('GET', `/apis/batch/v1/namespaces/${ns}/jobs`)).body.items;
  return items
    .filter((j) => !j.metadata.deletionTimestamp)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

async function jobCount(ns: string, n: number): Promise<Obj[]> {
  return eventually(
    `${n} jobs in ${ns}`,
    async () => {
      const js = await jobsOf(ns);
      return js.length === n ? js : undefined;
    },
    { step },
  );
}

async function getCj(ns: string, name: string): Promise<Obj> {
  return (await api.req('GET', `/apis/batch/v1/namespaces/${ns}/cronjobs/${name}`)).body;
}

async function advanceTo(iso: string): Promise<void> {
  await clock.tick(Date.parse(iso) - clock.now());
}

const minutes = (iso: string) => Math.floor(Date.parse(iso) / 60_000);

async function succeedJob(ns: string, job: Obj): Promise<void> {
  const pod = await eventually(
    'job pod',
    async () => {
      const r = await api.req(
        'GET',
        `/api/v1/namespaces/${ns}/pods?labelSelector=batch.kubernetes.io%2Fjob-name%3D${job.metadata.name}`,
      );
      return r.body.items[0];
    },
    { step },
  );
  await setPodStatus(api, pod, { phase: 'Succeeded' });
}

function suspend(ns: string, name: string, on: boolean) {
  return api.req(
    'PATCH',
    `/apis/batch/v1/namespaces/${ns}/cronjobs/${name}`,
    { spec: { suspend: on } },
    { 'content-type': 'application/merge-patch+json' },
  );
}

describe('cron schedules', () => {
  test('descriptors, time zones and the latest missed time', () => {
    const at = Date.parse('2025-03-01T10:20:00Z');
    assert.equal(parseSchedule('@hourly').next(at), Date.parse('2025-03-01T11:00:00Z'));
    assert.equal(parseSchedule('@midnight').next(at), Date.parse('2025-03-02T00:00:00Z'));
    assert.equal(parseSchedule('0 9 * * *', 'Asia/Tokyo').next(at), Date.parse('2025-03-02T00:00:00Z'));
    assert.equal(parseSchedule('CRON_TZ=Asia/Tokyo 0 9 * * *').next(at), Date.parse('2025-03-02T00:00:00Z'));
    const r = mostRecentSchedule(parseSchedule('*/5 * * * *'), at - 3_600_000, at);
    assert.deepEqual(r, { time: at, missed: 12 });
    const many = mostRecentSchedule(parseSchedule('* * * * *'), at - 86_400_000, at + 1000);
    assert.equal(many.time, at);
    assert.ok(many.missed > 100);
  });
});

describe('cronjob controller', () => {
  test('creates a Job per schedule time, catches up once, and tracks status', async () => {
    await createNamespace(api, 'cj1');
    const cj = await createCronJob('cj1', cronJob('hourly', '@hourly'));
    await clock.tick(1000);
    assert.equal((await jobsOf('cj1')).length, 0);
    await advanceTo('2025-01-01T11:00:00.000Z');
    const [job] = await jobCount('cj1', 1);
    assert.equal(job.metadata.name, `hourly-${minutes('2025-01-01T11:00:00Z')}`);
    assert.equal(
      job.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'],
      '2025-01-01T11:00:00Z',
    );
    assert.equal(job.metadata.labels.cron, 'hourly');
    assert.deepEqual(job.metadata.ownerReferences, [
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'hourly',
        uid: cj.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const s = await eventually(
      'active',
      async () => {
        const c = await getCj('cj1', 'hourly');
        return c.status?.active?.length === 1 ? c.status : undefined;
      },
      { step },
    );
    assert.equal(s.lastScheduleTime, '2025-01-01T11:00:00Z');
    assert.equal(s.active[0].name, job.metadata.name);
    await succeedJob('cj1', job);
    const done = await eventually(
      'lastSuccessfulTime',
      async () => {
        const c = await getCj('cj1', 'hourly');
        return c.status?.lastSuccessfulTime && !c.status.active ? c.status : undefined;
      },
      { step },
    );
    assert.ok(done.lastSuccessfulTime);
    // Suspended through three schedule times: nothing runs; on resume, one catch-up run for the latest.
    assert.equal((await suspend('cj1', 'hourly', true)).status, 200);
    await clock.tick(100);
    await advanceTo('2025-01-01T14:30:00.000Z');
    assert.equal((await jobsOf('cj1')).length, 1);
    assert.equal((await suspend('cj1', 'hourly', false)).status, 200);
    const js = await jobCount('cj1', 2);
    assert.equal(js[1].metadata.name, `hourly-${minutes('2025-01-01T14:00:00Z')}`);
    await clock.tick(1000);
    assert.equal((await jobsOf('cj1')).length, 2);
  });

  test('concurrencyPolicy Forbid skips, Replace replaces, Allow runs side by side', async () => {
    await suspend('cj1', 'hourly', true);
    for (const ns of ['forbid', 'replace', 'allow']) {
      await createNamespace(api, ns);
      const policy = ns[0].toUpperCase() + ns.slice(1);
      await createCronJob(ns, cronJob('tick', '*/10 * * * *', { concurrencyPolicy: policy }));
    }
    await clock.tick(1000);
    const next = Math.ceil(clock.now() / 600_000) * 600_000;
    await advanceTo(new Date(next).toISOString());
    for (const ns of ['forbid', 'replace', 'allow']) await jobCount(ns, 1);
    await advanceTo(new Date(next + 600_000).toISOString());
    const allow = await jobCount('allow', 2);
    assert.deepEqual(
      allow.map((j) => j.metadata.name),
      [`tick-${next / 60_000}`, `tick-${next / 60_000 + 10}`],
    );
    const replace = await eventually(
      'replaced',
      async () => {
        const js = await jobsOf('replace');
        return js.length === 1 && js[0].metadata.name === `tick-${next / 60_000 + 10}` ? js : undefined;
      },
      { step },
    );
    assert.equal(replace.length, 1);
    await clock.tick(1000);
    const forbid = await jobsOf('forbid');
    assert.deepEqual(
      forbid.map((j) => j.metadata.name),
      [`tick-${next / 60_000}`],
    );
    const f = await getCj('forbid', 'tick');
    assert.equal(f.status.lastScheduleTime, new Date(next).toISOString().replace('.000Z', 'Z'));
    for (const ns of ['forbid', 'replace', 'allow']) await suspend(ns, 'tick', true);
  });

  test('timeZone, startingDeadlineSeconds and the successful history limit', async () => {
    await createNamespace(api, 'tz');
    await createCronJob(
      'tz',
      cronJob('tokyo', '0 9 * * *', { timeZone: 'Asia/Tokyo', successfulJobsHistoryLimit: 1 }),
    );
    await createNamespace(api, 'late');
    await createCronJob('late', cronJob('late', '@hourly', { startingDeadlineSeconds: 60, suspend: true }));
    const day = Math.ceil(clock.now() / 86_400_000) * 86_400_000; // next 00:00 UTC = 09:00 in Tokyo
    await advanceTo(new Date(day + 5 * 60_000).toISOString());
    const [first] = await jobCount('tz', 1);
    assert.equal(first.metadata.name, `tokyo-${day / 60_000}`);
    // Resumed five minutes after its schedule time with a 60 s deadline: that run is missed.
    assert.equal((await suspend('late', 'late', false)).status, 200);
    await clock.tick(1000);
    assert.equal((await jobsOf('late')).length, 0);
    await advanceTo(new Date(day + 60 * 60_000).toISOString());
    await jobCount('late', 1);
    await suspend('late', 'late', true);
    // Two successful runs, history limit 1: the older Job is deleted.
    await succeedJob('tz', first);
    await advanceTo(new Date(day + 86_400_000).toISOString());
    const js = await eventually(
      'second tz job',
      async () => {
        const all = await jobsOf('tz');
        return all.some((j) => j.metadata.name === `tokyo-${day / 60_000 + 1440}`) ? all : undefined;
      },
      { step },
    );
    await succeedJob('tz', js.find((j) => j.metadata.name === `tokyo-${day / 60_000 + 1440}`) as Obj);
    const left = await eventually(
      'history trimmed',
      async () => {
        const all = await jobsOf('tz');
        return all.length === 1 ? all : undefined;
      },
      { step },
    );
    assert.equal(left[0].metadata.name, `tokyo-${day / 60_000 + 1440}`);
  });
});
