import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registry } from '../../src/api/registry.js';
import type { Obj } from '../../src/api/types.js';

function defaulted(apiVersion: string, kind: string, obj: Obj): Obj {
  const def = registry().lookupKind(apiVersion, kind)!;
  def.defaults?.(obj);
  return obj;
}

const container = (extra: Obj = {}) => ({ name: 'app', image: 'nginx', ...extra });

describe('Pod defaults', () => {
  const pod = defaulted('v1', 'Pod', {
    metadata: { name: 'p' },
    spec: {
      containers: [
        container({
          ports: [{ containerPort: 80 }],
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
        }),
        { name: 'pinned', image: 'busybox:1.36' },
        { name: 'digest', image: 'busybox@sha256:abc' },
        { name: 'latest', image: 'registry:5000/busybox:latest' },
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'c' } },
        { name: 'scratch' },
        { name: 's', secret: { secretName: 's' } },
      ],
    },
  });
  const spec = pod.spec;
  const c = spec.containers[0];
  it('sets the pod-level fields', () => {
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.schedulerName, 'default-scheduler');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.deepEqual(spec.securityContext, {});
    assert.equal(spec.enableServiceLinks, true);
  });
  it('sets container fields and picks the pull policy from the tag', () => {
    assert.equal(c.imagePullPolicy, 'Always');
    assert.equal(spec.containers[1].imagePullPolicy, 'IfNotPresent');
    assert.equal(spec.containers[2].imagePullPolicy, 'IfNotPresent');
    assert.equal(spec.containers[3].imagePullPolicy, 'Always');
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.terminationMessagePolicy, 'File');
    assert.equal(c.ports[0].protocol, 'TCP');
    assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  });
  it('fills probes', () => {
    assert.deepEqual(c.livenessProbe, {
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.equal(c.readinessProbe.periodSeconds, 5);
  });
  it('copies limits into missing requests (pods only)', () => {
    assert.deepEqual(c.resources.requests, { cpu: '500m', memory: '1Gi' });
  });
  it('adds the NotRequired resize policy for cpu and memory requests', () => {
    assert.deepEqual(c.resizePolicy, [
      { resourceName: 'cpu', restartPolicy: 'NotRequired' },
      { resourceName: 'memory', restartPolicy: 'NotRequired' },
    ]);
    assert.equal(spec.containers[1].resizePolicy, undefined);
  });
  it('defaults volumes', () => {
    assert.equal(spec.volumes[0].configMap.defaultMode, 420);
    assert.deepEqual(spec.volumes[1].emptyDir, {});
    assert.equal(spec.volumes[2].secret.defaultMode, 420);
  });
  it('prepareForCreate sets phase and QoS class', () => {
    const def = registry().lookup('', 'v1', 'pods')!;
    def.prepareForCreate!(pod);
    assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'Burstable' });
    assert.equal(pod.spec.priority, 0);
  });
});

describe('workload defaults', () => {
  const template = { metadata: { labels: { app: 'w' } }, spec: { containers: [container()] } };
  it('Deployment', () => {
    const d = defaulted('apps/v1', 'Deployment', {
      spec: { selector: { matchLabels: { app: 'w' } }, template: structuredClone(template) },
    });
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
    });
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    assert.equal(d.spec.template.spec.restartPolicy, 'Always');
    assert.equal(
      d.spec.template.spec.enableServiceLinks,
      undefined,
      'templates do not get pod-only defaults',
    );
  });
  it('Deployment with Recreate gets no rollingUpdate', () => {
    const d = defaulted('apps/v1', 'Deployment', {
      spec: { strategy: { type: 'Recreate' }, template: structuredClone(template) },
    });
    assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
  });
  it('StatefulSet', () => {
    const s = defaulted('apps/v1', 'StatefulSet', { spec: { template: structuredClone(template) } });
    assert.equal(s.spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(s.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(s.spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    assert.equal(s.spec.replicas, 1);
    assert.equal(s.spec.revisionHistoryLimit, 10);
  });
  it('DaemonSet', () => {
    const s = defaulted('apps/v1', 'DaemonSet', { spec: { template: structuredClone(template) } });
    assert.deepEqual(s.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    assert.equal(s.spec.revisionHistoryLimit, 10);
  });
  it('Job', () => {
    const j = defaulted('batch/v1', 'Job', {
      metadata: { name: 'j' },
      spec: { template: structuredClone(template) },
    });
    assert.equal(j.spec.completions, 1);
    assert.equal(j.spec.parallelism, 1);
    assert.equal(j.spec.backoffLimit, 6);
    assert.equal(j.spec.completionMode, 'NonIndexed');
    assert.equal(j.spec.suspend, false);
    assert.equal(j.spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.deepEqual(j.metadata.labels, { app: 'w' });
    const p = defaulted('batch/v1', 'Job', { spec: { parallelism: 3, template: structuredClone(template) } });
    assert.equal(p.spec.completions, undefined);
  });
  it('Job selector generation needs the uid', () => {
    const def = registry().lookup('batch', 'v1', 'jobs')!;
    const j = defaulted('batch/v1', 'Job', {
      metadata: { name: 'j', uid: 'u-1' },
      spec: { template: structuredClone(template) },
    });
    j.spec.template.spec.restartPolicy = 'Never';
    assert.deepEqual(def.validate!(j), []);
    assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    assert.equal(j.spec.template.metadata.labels['job-name'], 'j');
    assert.equal(j.spec.template.metadata.labels['batch.kubernetes.io/job-name'], 'j');
    assert.equal(j.spec.template.metadata.labels['controller-uid'], 'u-1');
  });
  it('CronJob', () => {
    const c = defaulted('batch/v1', 'CronJob', {
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: structuredClone(template) } } },
    });
    assert.equal(c.spec.concurrencyPolicy, 'Allow');
    assert.equal(c.spec.suspend, false);
    assert.equal(c.spec.successfulJobsHistoryLimit, 3);
    assert.equal(c.spec.failedJobsHistoryLimit, 1);
    assert.equal(c.spec.jobTemplate.spec.backoffLimit, undefined);
    assert.equal(c.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
  });
});

describe('core defaults', () => {
  it('Service', () => {
    const s = defaulted('v1', 'Service', {
      spec: { ports: [{ port: 80 }, { port: 443, targetPort: 'https' }] },
    });
    assert.equal(s.spec.type, 'ClusterIP');
    assert.equal(s.spec.sessionAffinity, 'None');
    assert.equal(s.spec.internalTrafficPolicy, 'Cluster');
    assert.deepEqual(s.spec.ports[0], { port: 80, protocol: 'TCP', targetPort: 80 });
    assert.equal(s.spec.ports[1].targetPort, 'https');
    const lb = defaulted('v1', 'Service', { spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
    assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
    const ext = defaulted('v1', 'Service', { spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.equal(ext.spec.internalTrafficPolicy, undefined);
  });
  it('Service prepareForCreate sets IP family fields; updates keep the allocated IP and node ports', () => {
    const def = registry().lookup('', 'v1', 'services')!;
    const s = defaulted('v1', 'Service', { spec: { clusterIP: '10.96.0.10', ports: [{ port: 80 }] } });
    def.prepareForCreate!(s);
    assert.deepEqual(
      [s.spec.clusterIPs, s.spec.ipFamilyPolicy, s.spec.ipFamilies],
      [['10.96.0.10'], 'SingleStack', ['IPv4']],
    );
    assert.deepEqual(s.status, { loadBalancer: {} });
    const old = {
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      },
    };
    const upd = defaulted('v1', 'Service', {
      spec: { type: 'NodePort', ports: [{ name: 'http', port: 8080 }] },
    });
    def.prepareForUpdate!(upd, old);
    assert.equal(upd.spec.clusterIP, '10.96.0.10');
    assert.deepEqual(upd.spec.clusterIPs, ['10.96.0.10']);
    assert.equal(upd.spec.ports[0].nodePort, 30080);
  });
  it('Service type change to ClusterIP releases node ports and the external traffic policy', () => {
    const def = registry().lookup('', 'v1', 'services')!;
    const old = defaulted('v1', 'Service', {
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.7',
        clusterIPs: ['10.96.0.7'],
        ports: [{ port: 80, nodePort: 30080 }],
      },
    });
    const upd = structuredClone(old);
    upd.spec.type = 'ClusterIP';
    def.defaults!(upd);
    def.prepareForUpdate!(upd, old);
    assert.equal(upd.spec.ports[0].nodePort, undefined);
    assert.equal(upd.spec.externalTrafficPolicy, undefined);
    assert.deepEqual(def.validateUpdate!(upd, old), []);
    const accessible = defaulted('v1', 'Service', {
      spec: { externalIPs: ['192.0.2.1'], ports: [{ port: 80 }] },
    });
    assert.equal(accessible.spec.externalTrafficPolicy, 'Cluster');
  });
  it('Secret: type Opaque and stringData folded into data', () => {
    const s = defaulted('v1', 'Secret', { data: { a: 'YQ==' }, stringData: { b: 'hello' } });
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(s.data, { a: 'YQ==', b: 'aGVsbG8=' });
    assert.equal(s.stringData, undefined);
  });
  it('Namespace: name label, finalizer and phase', () => {
    const def = registry().lookup('', 'v1', 'namespaces')!;
    const ns = defaulted('v1', 'Namespace', { metadata: { name: 'team-a' } });
    def.prepareForCreate!(ns);
    assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
    assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
    assert.deepEqual(ns.status, { phase: 'Active' });
  });
  it('LimitRange container items', () => {
    const lr = defaulted('v1', 'LimitRange', {
      spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] },
    });
    assert.deepEqual(lr.spec.limits[0].default, { cpu: '2' });
    assert.deepEqual(lr.spec.limits[0].defaultRequest, { cpu: '2', memory: '64Mi' });
  });
  it('PersistentVolume and claim', () => {
    const pv = defaulted('v1', 'PersistentVolume', { spec: { hostPath: { path: '/x' } } });
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
    assert.equal(pv.spec.volumeMode, 'Filesystem');
    const pvc = defaulted('v1', 'PersistentVolumeClaim', { spec: {} });
    assert.equal(pvc.spec.volumeMode, 'Filesystem');
  });
});

describe('other groups', () => {
  it('RBAC bindings default apiGroups', () => {
    const b = defaulted('rbac.authorization.k8s.io/v1', 'RoleBinding', {
      roleRef: { kind: 'Role', name: 'r' },
      subjects: [
        { kind: 'User', name: 'u' },
        { kind: 'ServiceAccount', name: 'sa', namespace: 'd' },
      ],
    });
    assert.equal(b.roleRef.apiGroup, 'rbac.authorization.k8s.io');
    assert.equal(b.subjects[0].apiGroup, 'rbac.authorization.k8s.io');
    assert.equal(b.subjects[1].apiGroup, '');
  });
  it('PriorityClass preemptionPolicy', () => {
    assert.equal(
      defaulted('scheduling.k8s.io/v1', 'PriorityClass', { value: 10 }).preemptionPolicy,
      'PreemptLowerPriority',
    );
  });
  it('EndpointSlice ports', () => {
    const s = defaulted('discovery.k8s.io/v1', 'EndpointSlice', { ports: [{ port: 80 }] });
    assert.deepEqual(s.ports[0], { port: 80, name: '', protocol: 'TCP' });
  });
});
