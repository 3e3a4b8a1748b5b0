import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registry } from '../../src/api/registry.js';
import type { FieldError, Obj } from '../../src/api/types.js';

function def(apiVersion: string, kind: string) {
  return registry().lookupKind(apiVersion, kind)!;
}
function lines(errs: FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}
function prepared(apiVersion: string, kind: string, obj: Obj): Obj {
  def(apiVersion, kind).defaults?.(obj);
  return obj;
}
const template = (labels: Obj, extra: Obj = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'app', image: 'nginx' }], ...extra },
});

describe('Pod validation', () => {
  const pod = def('v1', 'Pod');
  it('requires containers, names and images', () => {
    const p = prepared('v1', 'Pod', { spec: { containers: [] } });
    assert.deepEqual(lines(pod.validate!(p)), ['spec.containers: Required value']);
    const q = prepared('v1', 'Pod', {
      spec: { containers: [{ name: 'Bad_Name' }, { name: 'dup', image: 'x' }, { name: 'dup', image: 'y' }] },
    });
    const errs = lines(pod.validate!(q));
    assert.ok(
      errs.some((e) =>
        e.startsWith('spec.containers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label'),
      ),
    );
    assert.ok(errs.includes('spec.containers[0].image: Required value'));
    assert.ok(errs.includes('spec.containers[2].name: Duplicate value: "dup"'));
  });
  it('checks ports, pull policy, restart policy and volume mounts', () => {
    const p = prepared('v1', 'Pod', {
      spec: {
        restartPolicy: 'Sometimes',
        containers: [
          {
            name: 'a',
            image: 'x',
            imagePullPolicy: 'Maybe',
            ports: [{ containerPort: 0 }, { containerPort: 70000, protocol: 'ICMP' }],
            volumeMounts: [{ name: 'missing', mountPath: '/data' }],
          },
        ],
      },
    });
    assert.deepEqual(lines(pod.validate!(p)), [
      'spec.containers[0].ports[0].containerPort: Required value',
      'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
      'spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
  });
  it('requests may not exceed limits', () => {
    const p = prepared('v1', 'Pod', {
      spec: {
        containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }],
      },
    });
    assert.deepEqual(lines(pod.validate!(p)), [
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    ]);
  });
  it('init containers may not carry probes unless they are sidecars', () => {
    const p = prepared('v1', 'Pod', {
      spec: {
        containers: [{ name: 'a', image: 'x' }],
        initContainers: [
          { name: 'i', image: 'x', readinessProbe: { exec: { command: ['true'] } } },
          { name: 's', image: 'x', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } } },
        ],
      },
    });
    assert.deepEqual(lines(pod.validate!(p)), [
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
  });
  it('updates may change images and add tolerations only', () => {
    const old = prepared('v1', 'Pod', {
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: 'a', image: 'nginx:1' }],
        tolerations: [{ key: 'k', operator: 'Exists' }],
      },
    });
    const ok = structuredClone(old);
    ok.spec.containers[0].image = 'nginx:2';
    ok.spec.tolerations.push({ key: 'k2', operator: 'Exists', effect: 'NoSchedule' });
    ok.spec.activeDeadlineSeconds = 30;
    assert.deepEqual(pod.validateUpdate!(ok, old), []);
    const bad = structuredClone(old);
    bad.spec.containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
    const errs = pod.validateUpdate!(bad, old);
    assert.equal(errs.length, 1);
    assert.equal(errs[0].field, 'spec');
    assert.ok(
      errs[0].message.startsWith(
        'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
      ),
    );
    const removed = structuredClone(old);
    removed.spec.tolerations = [];
    assert.deepEqual(lines(pod.validateUpdate!(removed, old)), [
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
    const more = structuredClone(old);
    more.spec.containers.push({
      name: 'b',
      image: 'x',
      imagePullPolicy: 'Always',
      terminationMessagePolicy: 'File',
    });
    assert.deepEqual(lines(pod.validateUpdate!(more, old)), [
      'spec.containers: Forbidden: pod updates may not add or remove containers',
    ]);
  });
});

describe('Deployment validation', () => {
  const d = def('apps/v1', 'Deployment');
  it('requires a selector that matches the template labels', () => {
    const noSel = prepared('apps/v1', 'Deployment', { spec: { template: template({ app: 'a' }) } });
    assert.deepEqual(lines(d.validate!(noSel)), ['spec.selector: Required value']);
    const mismatch = prepared('apps/v1', 'Deployment', {
      spec: { selector: { matchLabels: { app: 'b' } }, template: template({ app: 'a' }) },
    });
    assert.deepEqual(lines(d.validate!(mismatch)), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
    ]);
    const empty = prepared('apps/v1', 'Deployment', {
      spec: { selector: {}, template: template({ app: 'a' }) },
    });
    assert.deepEqual(lines(d.validate!(empty)), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ]);
  });
  it('templates must restart Always', () => {
    const obj = prepared('apps/v1', 'Deployment', {
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: template({ app: 'a' }, { restartPolicy: 'Never' }),
      },
    });
    assert.deepEqual(lines(d.validate!(obj)), [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });
  it('strategy checks', () => {
    const obj = prepared('apps/v1', 'Deployment', {
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: template({ app: 'a' }),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } },
      },
    });
    assert.deepEqual(lines(d.validate!(obj)), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
    const recreate = prepared('apps/v1', 'Deployment', {
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: template({ app: 'a' }),
        strategy: { type: 'Recreate', rollingUpdate: {} },
      },
    });
    assert.deepEqual(lines(d.validate!(recreate)), [
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ]);
  });
  it('the selector is immutable', () => {
    const old = prepared('apps/v1', 'Deployment', {
      spec: { selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a', v: '1' }) },
    });
    const upd = structuredClone(old);
    upd.spec.selector = { matchLabels: { app: 'a', v: '1' } };
    assert.deepEqual(lines(d.validateUpdate!(upd, old)), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"a", "v":"1"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });
});

describe('other apps/v1 and batch/v1 kinds', () => {
  it('ReplicaSet and DaemonSet selectors are immutable too', () => {
    for (const kind of ['ReplicaSet', 'DaemonSet']) {
      const old = prepared('apps/v1', kind, {
        spec: { selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) },
      });
      assert.deepEqual(def('apps/v1', kind).validate!(old), [], kind);
      const upd = structuredClone(old);
      upd.spec.selector.matchLabels.app = 'b';
      upd.spec.template.metadata.labels.app = 'b';
      assert.equal(
        def('apps/v1', kind).validateUpdate!(upd, old)[0].message.endsWith('field is immutable'),
        true,
        kind,
      );
    }
  });
  it('StatefulSet forbids changing fields other than the updatable ones', () => {
    const sts = def('apps/v1', 'StatefulSet');
    const old = prepared('apps/v1', 'StatefulSet', {
      spec: { serviceName: 'web', selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) },
    });
    assert.deepEqual(sts.validate!(old), []);
    const upd = structuredClone(old);
    upd.spec.replicas = 5;
    assert.deepEqual(sts.validateUpdate!(upd, old), []);
    upd.spec.podManagementPolicy = 'Parallel';
    assert.deepEqual(lines(sts.validateUpdate!(upd, old)), [
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });
  it('Job templates must use OnFailure or Never', () => {
    const job = def('batch/v1', 'Job');
    const j = prepared('batch/v1', 'Job', {
      metadata: { name: 'j', uid: 'u' },
      spec: { template: template({}) },
    });
    assert.deepEqual(lines(job.validate!(j)), [
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
  });
  it('Job updates keep selector, completions and (unless suspended) the template', () => {
    const job = def('batch/v1', 'Job');
    const old = prepared('batch/v1', 'Job', {
      metadata: { name: 'j', uid: 'u' },
      spec: { template: template({}, { restartPolicy: 'Never' }) },
    });
    job.validate!(old);
    const upd = structuredClone(old);
    upd.spec.completions = 3;
    upd.spec.template.spec.containers[0].image = 'other';
    const got = lines(job.validateUpdate!(upd, old));
    assert.equal(got[0], 'spec.completions: Invalid value: 3: field is immutable');
    assert.ok(got[1].startsWith('spec.template: Invalid value: '));
    assert.ok(got[1].endsWith(': field is immutable'));
    const suspended = structuredClone(old);
    suspended.spec.suspend = true;
    const moved = structuredClone(suspended);
    moved.spec.template.spec.nodeSelector = { zone: 'a' };
    assert.deepEqual(job.validateUpdate!(moved, suspended), []);
  });
  it('CronJob schedule, time zone and name length', () => {
    const cj = def('batch/v1', 'CronJob');
    const mk = (schedule: string, extra: Obj = {}, name = 'c') =>
      prepared('batch/v1', 'CronJob', {
        metadata: { name },
        spec: {
          schedule,
          ...extra,
          jobTemplate: { spec: { template: template({}, { restartPolicy: 'OnFailure' }) } },
        },
      });
    assert.deepEqual(cj.validate!(mk('*/5 * * * *')), []);
    assert.deepEqual(cj.validate!(mk('@hourly')), []);
    assert.deepEqual(cj.validate!(mk('@every 1h30m')), []);
    assert.deepEqual(cj.validate!(mk('0 0 * * MON-FRI', { timeZone: 'Europe/Berlin' })), []);
    assert.deepEqual(lines(cj.validate!(mk('* * * *'))), [
      'spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]',
    ]);
    assert.deepEqual(lines(cj.validate!(mk('60 * * * *'))), [
      'spec.schedule: Invalid value: "60 * * * *": end of range (60) above maximum (59): 60',
    ]);
    assert.deepEqual(lines(cj.validate!(mk('x * * * *'))), [
      'spec.schedule: Invalid value: "x * * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax',
    ]);
    assert.deepEqual(lines(cj.validate!(mk('@often'))), [
      'spec.schedule: Invalid value: "@often": unrecognized descriptor: @often',
    ]);
    assert.deepEqual(lines(cj.validate!(mk('TZ=UTC 0 * * * *'))), [
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
    assert.deepEqual(lines(cj.validate!(mk('0 * * * *', { timeZone: 'Mars/Olympus' }))), [
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    ]);
    assert.deepEqual(lines(cj.validate!(mk('0 * * * *', {}, 'a'.repeat(53)))), [
      `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`,
    ]);
    assert.deepEqual(lines(cj.validate!(mk(''))), ['spec.schedule: Required value']);
  });
});
