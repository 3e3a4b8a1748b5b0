import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registry } from '../../src/api/registry.js';
import type { Obj } from '../../src/api/types.js';

const now = Date.parse('2025-06-01T12:00:00Z');
const created = '2025-06-01T11:00:00Z';

function row(apiVersion: string, kind: string, obj: Obj): Record<string, unknown> {
  const t = registry().lookupKind(apiVersion, kind)!.table!;
  const cells = t.cells({ metadata: { name: 'x', namespace: 'd', creationTimestamp: created }, ...obj }, now);
  return Object.fromEntries(t.columns.map((c, i) => [c.name, cells[i]]));
}

describe('printer columns', () => {
  it('deployments', () => {
    const r = row('apps/v1', 'Deployment', {
      spec: {
        replicas: 3,
        selector: {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }],
        },
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'nginx' },
              { name: 'b', image: 'redis' },
            ],
          },
        },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    });
    assert.deepEqual(r, {
      Name: 'x',
      Ready: '2/3',
      'Up-to-date': 3,
      Available: 2,
      Age: '60m',
      Containers: 'a,b',
      Images: 'nginx,redis',
      Selector: 'app=web,tier in (a,b)',
    });
  });
  it('services', () => {
    const r = row('v1', 'Service', {
      spec: {
        type: 'NodePort',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { port: 80, nodePort: 30080, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
        selector: { app: 'web' },
      },
    });
    assert.deepEqual(r, {
      Name: 'x',
      Type: 'NodePort',
      'Cluster-IP': '10.96.0.10',
      'External-IP': '<none>',
      'Port(s)': '80:30080/TCP,53/UDP',
      Age: '60m',
      Selector: 'app=web',
    });
    assert.equal(
      row('v1', 'Service', { spec: { type: 'LoadBalancer', clusterIPs: ['10.0.0.1'], ports: [] } })[
        'External-IP'
      ],
      '<pending>',
    );
    assert.equal(
      row('v1', 'Service', { spec: { type: 'ExternalName', externalName: 'db.example.com' } })['Cluster-IP'],
      '<none>',
    );
  });
  it('nodes', () => {
    const r = row('v1', 'Node', {
      metadata: {
        name: 'n1',
        creationTimestamp: created,
        labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        nodeInfo: { kubeletVersion: 'v1.33.0' },
        addresses: [{ type: 'InternalIP', address: '192.168.1.5' }],
      },
    });
    assert.equal(r.Status, 'Ready,SchedulingDisabled');
    assert.equal(r.Roles, 'control-plane,worker');
    assert.equal(r.Version, 'v1.33.0');
    assert.equal(r['Internal-IP'], '192.168.1.5');
    assert.equal(r['External-IP'], '<none>');
    assert.equal(r['OS-Image'], '<unknown>');
    assert.equal(
      row('v1', 'Node', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }).Status,
      'NotReady',
    );
    assert.equal(row('v1', 'Node', {}).Status, 'Unknown');
  });
  it('jobs: status, completions, duration', () => {
    const running = row('batch/v1', 'Job', {
      spec: { completions: 3 },
      status: { succeeded: 1, startTime: '2025-06-01T11:55:00Z' },
    });
    assert.deepEqual([running.Status, running.Completions, running.Duration], ['Running', '1/3', '5m']);
    const done = row('batch/v1', 'Job', {
      spec: { completions: 1 },
      status: {
        succeeded: 1,
        startTime: '2025-06-01T11:00:00Z',
        completionTime: '2025-06-01T11:00:42Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    });
    assert.deepEqual([done.Status, done.Completions, done.Duration], ['Complete', '1/1', '42s']);
    assert.equal(row('batch/v1', 'Job', { spec: { parallelism: 2 }, status: {} }).Completions, '0/1 of 2');
    assert.equal(
      row('batch/v1', 'Job', { status: { conditions: [{ type: 'Failed', status: 'True' }] } }).Status,
      'Failed',
    );
    assert.equal(
      row('batch/v1', 'Job', { spec: {}, status: { conditions: [{ type: 'Suspended', status: 'True' }] } })
        .Status,
      'Suspended',
    );
  });
  it('cronjobs', () => {
    const r = row('batch/v1', 'CronJob', {
      spec: { schedule: '*/5 * * * *', suspend: false },
      status: { active: [{}], lastScheduleTime: '2025-06-01T11:58:00Z' },
    });
    assert.deepEqual(
      [r.Schedule, r.Timezone, r.Suspend, r.Active, r['Last Schedule']],
      ['*/5 * * * *', '<none>', 'False', 1, '2m'],
    );
  });
  it('core events read like kubectl get events', () => {
    const r = row('v1', 'Event', {
      metadata: { name: 'p.17a', namespace: 'd' },
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' },
      reason: 'Pulled',
      type: 'Normal',
      message: 'Container image pulled \n',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2025-06-01T11:00:00Z',
      lastTimestamp: '2025-06-01T11:59:00Z',
      count: 4,
    });
    assert.deepEqual(r, {
      'Last Seen': '60s',
      Type: 'Normal',
      Reason: 'Pulled',
      Object: 'pod/web-1',
      Subobject: 'spec.containers{app}',
      Source: 'kubelet, n1',
      Message: 'Container image pulled',
      'First Seen': '60m',
      Count: 4,
      Name: 'p.17a',
    });
    const v1 = row('events.k8s.io/v1', 'Event', {
      regarding: { kind: 'Node', name: 'n1' },
      eventTime: '2025-06-01T11:59:30.000000Z',
      reportingController: 'kubelet',
      note: 'x',
    });
    assert.deepEqual([v1['Last Seen'], v1.Object, v1.Source, v1.Count], ['30s', 'node/n1', 'kubelet', 1]);
  });
  it('the default table for kinds upstream prints no columns for', () => {
    assert.deepEqual(row('rbac.authorization.k8s.io/v1', 'Role', {}), { Name: 'x', 'Created At': created });
  });
  it('quotas, bindings, PVCs, endpoints, slices, revisions', () => {
    const q = row('v1', 'ResourceQuota', {
      status: {
        hard: { pods: '10', 'limits.cpu': '2', 'requests.memory': '1Gi' },
        used: { pods: '1', 'limits.cpu': '500m' },
      },
    });
    assert.deepEqual([q.Request, q.Limit], ['pods: 1/10, requests.memory: 0/1Gi', 'limits.cpu: 500m/2']);
    const b = row('rbac.authorization.k8s.io/v1', 'RoleBinding', {
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'u' },
        { kind: 'ServiceAccount', name: 'sa', namespace: 'd' },
      ],
    });
    assert.deepEqual([b.Role, b.Users, b.Groups, b.ServiceAccounts], ['ClusterRole/view', 'u', '', 'd/sa']);
    const pvc = row('v1', 'PersistentVolumeClaim', {
      spec: { volumeName: 'pv1', storageClassName: 'local' },
      status: {
        phase: 'Bound',
        capacity: { storage: '1024Mi' },
        accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
      },
    });
    assert.deepEqual(
      [pvc.Status, pvc.Volume, pvc.Capacity, pvc['Access Modes'], pvc.StorageClass],
      ['Bound', 'pv1', '1Gi', 'RWO,ROX', 'local'],
    );
    const ep = row('v1', 'Endpoints', {
      subsets: [
        { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] },
      ],
    });
    assert.equal(ep.Endpoints, '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
    assert.equal(row('v1', 'Endpoints', {}).Endpoints, '<none>');
    const es = row('discovery.k8s.io/v1', 'EndpointSlice', {
      addressType: 'IPv4',
      ports: [{ port: 80 }],
      endpoints: [{ addresses: ['10.0.0.1'] }],
    });
    assert.deepEqual([es.AddressType, es.Ports, es.Endpoints], ['IPv4', '80', '10.0.0.1']);
    assert.equal(row('discovery.k8s.io/v1', 'EndpointSlice', {}).Endpoints, '<unset>');
    const cr = row('apps/v1', 'ControllerRevision', {
      metadata: {
        name: 'web-1',
        creationTimestamp: created,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', controller: true }],
      },
      revision: 2,
    });
    assert.deepEqual([cr.Controller, cr.Revision], ['statefulset.apps/web', 2]);
  });
});
