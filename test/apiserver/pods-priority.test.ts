// The Priority admission plugin: priorityClassName resolves to spec.priority and preemptionPolicy on
// create, the global default applies when no class is named, unknown classes and mismatching priorities
// are Forbidden, and the system classes exist from the start.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';

const PCS = '/apis/scheduling.k8s.io/v1/priorityclasses';
const PODS = '/api/v1/namespaces/default/pods';

const pod = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

const pc = (name: string, value: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  ...extra,
});

describe('Priority admission', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('has the system classes from the start', async () => {
    const node = await t.req('GET', `${PCS}/system-node-critical`);
    assert.equal(node.status, 200);
    assert.equal(node.body.value, 2000001000);
    assert.equal(node.body.preemptionPolicy, 'PreemptLowerPriority');
    const cluster = await t.req('GET', `${PCS}/system-cluster-critical`);
    assert.equal(cluster.body.value, 2000000000);
    assert.equal(cluster.body.globalDefault, false);
  });

  const cases: {
    name: string;
    spec: Record<string, unknown>;
    priority: number;
    policy: string;
    className?: string;
  }[] = [
    { name: 'none', spec: {}, priority: 0, policy: 'PreemptLowerPriority' },
    {
      name: 'system',
      spec: { priorityClassName: 'system-cluster-critical' },
      priority: 2000000000,
      policy: 'PreemptLowerPriority',
      className: 'system-cluster-critical',
    },
    {
      name: 'high',
      spec: { priorityClassName: 'high' },
      priority: 1000,
      policy: 'PreemptLowerPriority',
      className: 'high',
    },
    {
      name: 'never',
      spec: { priorityClassName: 'never' },
      priority: 500,
      policy: 'Never',
      className: 'never',
    },
    {
      name: 'same-value',
      spec: { priorityClassName: 'high', priority: 1000 },
      priority: 1000,
      policy: 'PreemptLowerPriority',
      className: 'high',
    },
  ];

  it('resolves priorityClassName into priority and preemptionPolicy', async () => {
    assert.equal((await t.req('POST', PCS, pc('high', 1000))).status, 201);
    assert.equal((await t.req('POST', PCS, pc('never', 500, { preemptionPolicy: 'Never' }))).status, 201);
    for (const c of cases) {
      const r = await t.req('POST', PODS, pod(`p-${c.name}`, c.spec));
      assert.equal(r.status, 201, `${c.name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.spec.priority, c.priority, c.name);
      assert.equal(r.body.spec.preemptionPolicy, c.policy, c.name);
      assert.equal(r.body.spec.priorityClassName, c.className, c.name);
    }
  });

  it('rejects an unknown class and a mismatching priority with 403', async () => {
    const unknown = await t.req('POST', PODS, pod('p-unknown', { priorityClassName: 'nope' }));
    assert.equal(unknown.status, 403);
    assert.equal(unknown.body.reason, 'Forbidden');
    assert.equal(
      unknown.body.message,
      'pods "p-unknown" is forbidden: no PriorityClass with name nope was found',
    );

    const mismatch = await t.req('POST', PODS, pod('p-mismatch', { priorityClassName: 'high', priority: 7 }));
    assert.equal(mismatch.status, 403);
    assert.equal(
      mismatch.body.message,
      'pods "p-mismatch" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    );
    const policy = await t.req(
      'POST',
      PODS,
      pod('p-policy', { priorityClassName: 'never', preemptionPolicy: 'PreemptLowerPriority' }),
    );
    assert.equal(policy.status, 403);
    assert.match(policy.body.message, /the string value of PreemptionPolicy \(PreemptLowerPriority\)/);

    const generated = await t.req('POST', PODS, {
      ...pod(''),
      metadata: { generateName: 'g-' },
      spec: { containers: [{ name: 'c', image: 'busybox' }], priorityClassName: 'nope' },
    });
    assert.equal(generated.status, 403);
    assert.equal(generated.body.message, 'pods is forbidden: no PriorityClass with name nope was found');
  });

  it('applies the global default class, and allows only one', async () => {
    assert.equal((await t.req('POST', PCS, pc('default-low', 10, { globalDefault: true }))).status, 201);
    const second = await t.req('POST', PCS, pc('default-two', 20, { globalDefault: true }));
    assert.equal(second.status, 403);
    assert.equal(
      second.body.message,
      'priorityclasses.scheduling.k8s.io "default-two" is forbidden: PriorityClass default-low is already marked as default. Only one default can exist',
    );
    const r = await t.req('POST', PODS, pod('p-default'));
    assert.equal(r.status, 201);
    assert.equal(r.body.spec.priority, 10);
    assert.equal(r.body.spec.priorityClassName, 'default-low');

    // A pod update that leaves the resolved fields out keeps them.
    const put = structuredClone(r.body);
    delete put.spec.priority;
    delete put.spec.preemptionPolicy;
    const u = await t.req('PUT', `${PODS}/p-default`, put);
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal(u.body.spec.priority, 10);

    // Updating the default class itself is fine.
    const cur = (await t.req('GET', `${PCS}/default-low`)).body;
    const again = await t.req('PUT', `${PCS}/default-low`, { ...cur, description: 'low' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((await t.req('DELETE', `${PCS}/default-low`)).status, 200);
    const none = await t.req('POST', PODS, pod('p-after'));
    assert.equal(none.body.spec.priority, 0);
  });
});
