// Golden interaction tests for controllers: chosen controllers run against an in-process API server on a
// FakeClock; the test applies a script of cluster changes directly (unrecorded) and, after each change,
// compares the API writes the controllers made (successful ones, as short normalized lines) and the
// events they recorded with the expected list. Order within a step is not compared (creations run in
// parallel); the count of each line is.
import assert from 'node:assert/strict';
import {
  type EventRecorder,
  FakeClock,
  type RequestOptions,
  RestClient,
  SharedInformerFactory,
  silentLogger,
} from '../../src/client/index.js';
import type { ControllerContext, StartedController } from '../../src/controllers/context.js';
import { startTestApi, type TestApi } from './apiserver.js';

type Obj = Record<string, any>;

export interface Golden {
  api: TestApi;
  clock: FakeClock;
  /** Waits until the writes since the last step are exactly `expected`, then checks nothing follows. */
  step(what: string, expected: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** A generated name's random suffix as `*`: `web-7d4b9c-x2kzq` -> `web-7d4b9c-*`. */
export const norm = (s: string) => s.replace(/-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '-*');

function conditionsOf(status: Obj): string[] {
  return (status.conditions ?? []).map((c: Obj) => `${c.type}=${c.status}${c.reason ? `/${c.reason}` : ''}`);
}

/** A compact JSON of the interesting fields, undefined ones left out. */
function pick(o: Obj, fields: string[]): string {
  const out: Obj = {};
  for (const f of fields) if (o[f] !== undefined) out[f] = o[f];
  return JSON.stringify(out);
}

/** One line per write: verb, kind, name, and the fields a controller test cares about. */
export function describeWrite(method: string, path: string, body: Obj | undefined): string | undefined {
  const m = path.match(
    /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/,
  );
  if (!m) return undefined;
  const [, plural, rawName, sub] = m;
  const name = norm(rawName ?? body?.metadata?.name ?? `${body?.metadata?.generateName ?? ''}*`);
  const ann: Obj = body?.metadata?.annotations ?? {};
  switch (`${method} ${plural}${sub ? `/${sub}` : ''}`) {
    case 'POST pods': {
      const idx = ann['batch.kubernetes.io/job-completion-index'];
      const fails = ann['batch.kubernetes.io/job-index-failure-count'];
      return `create pod ${name}${idx !== undefined ? ` index=${idx}` : ''}${fails !== undefined ? ` failures=${fails}` : ''}`;
    }
    case 'PATCH pods': {
      const dropped = body?.metadata?.['$deleteFromPrimitiveList/finalizers'];
      if (dropped) return `patch pod ${name} finalizers-=${JSON.stringify(dropped)}`;
      return `patch pod ${name} ${JSON.stringify(body?.metadata ?? {})}`;
    }
    case 'DELETE pods':
      return `delete pod ${name}`;
    case 'PUT jobs/status': {
      const s: Obj = body?.status ?? {};
      const u: Obj = s.uncountedTerminatedPods ?? {};
      const fields = pick(
        {
          active: s.active,
          ready: s.ready,
          terminating: s.terminating,
          succeeded: s.succeeded,
          failed: s.failed,
          completedIndexes: s.completedIndexes,
          failedIndexes: s.failedIndexes,
          uncounted:
            u.succeeded?.length || u.failed?.length
              ? `${u.succeeded?.length ?? 0}s/${u.failed?.length ?? 0}f`
              : undefined,
        },
        [
          'active',
          'ready',
          'terminating',
          'succeeded',
          'failed',
          'completedIndexes',
          'failedIndexes',
          'uncounted',
        ],
      );
      return `status job ${name} ${fields} ${conditionsOf(s).join(',')}`.trimEnd();
    }
    case 'POST replicasets':
    case 'PUT replicasets': {
      const verb = method === 'POST' ? 'create' : 'update';
      const a = (k: string) => ann[`deployment.kubernetes.io/${k}`];
      return `${verb} rs ${name} replicas=${body?.spec?.replicas} desired=${a('desired-replicas')} max=${a('max-replicas')} revision=${a('revision')}`;
    }
    case 'PUT replicasets/status': {
      const s: Obj = body?.status ?? {};
      const failure = (s.conditions ?? []).find((c: Obj) => c.type === 'ReplicaFailure');
      return `status rs ${name} ${pick(s, ['replicas', 'readyReplicas', 'availableReplicas'])} ${conditionsOf(s).join(',')}${failure ? ` "${norm(failure.message)}"` : ''}`.trimEnd();
    }
    case 'PATCH deployments':
      return `patch deployment ${name} annotations=${JSON.stringify(body?.metadata?.annotations ?? {})}`;
    case 'PUT deployments/status': {
      const s: Obj = body?.status ?? {};
      return `status deployment ${name} ${pick(s, ['replicas', 'updatedReplicas', 'availableReplicas', 'unavailableReplicas'])} ${conditionsOf(s).join(',')}`.trimEnd();
    }
    case 'POST jobs':
      return `create job ${name} ${JSON.stringify(ann)}`;
    case 'DELETE jobs':
      return `delete job ${name}`;
    case 'PUT cronjobs/status': {
      const s: Obj = body?.status ?? {};
      const active = (s.active ?? []).map((r: Obj) => r.name).join(',');
      return `status cronjob ${name} active=[${active}] lastSchedule=${s.lastScheduleTime} lastSuccessful=${s.lastSuccessfulTime}`;
    }
    default:
      return `${method} ${plural}${sub ? `/${sub}` : ''} ${name}`;
  }
}

/** A RestClient that writes down every successful write. */
class RecordingRestClient extends RestClient {
  constructor(
    baseUrl: string,
    private readonly log: string[],
  ) {
    super({ baseUrl });
  }

  override async request<T = any>(o: RequestOptions): Promise<T> {
    const res = await super.request<T>(o);
    const method = o.method ?? 'GET';
    if (method !== 'GET') {
      const line = describeWrite(method, o.path, o.body as Obj | undefined);
      if (line) this.log.push(line);
    }
    return res;
  }
}

export async function startGolden(
  controllers: { start(ctx: ControllerContext): StartedController }[],
): Promise<Golden> {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const api = await startTestApi({ now: () => new Date(clock.now()) });
  const log: string[] = [];
  const rest = new RecordingRestClient(api.url, log);
  const informers = new SharedInformerFactory(rest, { clock, log: silentLogger });
  // Events are written down when the controller records them (before any batching a recorder does).
  const recorder = {
    event(obj: Obj, type: string, reason: string, message: string) {
      log.push(norm(`event ${obj.kind ?? ''} ${type} ${reason}: ${message}`));
    },
    close: async () => {},
  } as unknown as EventRecorder;
  const ctx: ControllerContext = {
    rest,
    informers,
    clock,
    log: silentLogger,
    recorderFor: () => recorder,
    config: {},
  };
  const started = controllers.map((c) => c.start(ctx));
  informers.start();
  await informers.waitForSync();
  let seen = 0;
  const sorted = (a: string[]) => [...a].sort();
  return {
    api,
    clock,
    async step(what, expected) {
      const want = sorted(expected);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const got = sorted(log.slice(seen));
        if (got.length >= want.length) {
          assert.deepEqual(got, want, `${what}: writes differ`);
          break;
        }
        if (Date.now() > deadline) assert.deepEqual(got, want, `${what}: timed out`);
        await new Promise((r) => setTimeout(r, 10));
      }
      // Nothing more may follow from this step (the fake clock stands still meanwhile).
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(sorted(log.slice(seen)), want, `${what}: more writes followed`);
      seen = log.length;
    },
    async stop() {
      await Promise.all(started.map((c) => c.stop()));
      await informers.stop();
      rest.close();
      await api.close();
    },
  };
}
