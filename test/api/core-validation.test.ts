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
function validate(apiVersion: string, kind: string, obj: Obj): string[] {
  const d = def(apiVersion, kind);
  d.defaults?.(obj);
  return lines(d.validate!(obj));
}

describe('Service validation', () => {
  it('needs ports unless headless or ExternalName', () => {
    assert.deepEqual(validate('v1', 'Service', { spec: { selector: { app: 'a' } } }), [
      'spec.ports: Required value',
    ]);
    assert.deepEqual(validate('v1', 'Service', { spec: { clusterIP: 'None', selector: { app: 'a' } } }), []);
    assert.deepEqual(
      validate('v1', 'Service', { spec: { type: 'ExternalName', externalName: 'db.example.com.' } }),
      [],
    );
    assert.deepEqual(validate('v1', 'Service', { spec: { type: 'ExternalName' } }), [
      'spec.externalName: Required value',
    ]);
  });
  it('checks port numbers, names and types', () => {
    assert.deepEqual(
      validate('v1', 'Service', {
        spec: { type: 'Bogus', ports: [{ port: 0 }, { name: 'b', port: 80, nodePort: 30000 }] },
      }),
      [
        'spec.ports[0].name: Required value',
        'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        // the defaulted targetPort (= port) is invalid as well, as upstream reports it
        'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.type: Unsupported value: "Bogus": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    );
    assert.deepEqual(validate('v1', 'Service', { spec: { ports: [{ port: 80, nodePort: 30080 }] } }), [
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ]);
  });
  it('clusterIP may not change once set', () => {
    const svc = def('v1', 'Service');
    const old = {
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
        sessionAffinity: 'None',
      },
    };
    const upd = structuredClone(old);
    upd.spec.clusterIP = '10.96.0.11';
    upd.spec.clusterIPs = ['10.96.0.11'];
    assert.deepEqual(lines(svc.validateUpdate!(upd, old)), [
      'spec.clusterIPs[0]: Invalid value: "10.96.0.11": may not change once set',
    ]);
  });
});

describe('ConfigMap and Secret validation', () => {
  it('checks keys', () => {
    assert.deepEqual(
      validate('v1', 'ConfigMap', { data: { 'a/b': 'x', ok: 'y' }, binaryData: { ok: 'eQ==' } }),
      [
        "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        'data[ok]: Invalid value: "ok": duplicate of key present in binaryData',
      ],
    );
  });
  it('immutable ConfigMaps and Secrets', () => {
    for (const kind of ['ConfigMap', 'Secret']) {
      const d = def('v1', kind);
      const old: Obj = {
        immutable: true,
        data: { a: 'YQ==' },
        type: kind === 'Secret' ? 'Opaque' : undefined,
      };
      const upd = structuredClone(old);
      upd.data.a = 'Yg==';
      assert.deepEqual(
        lines(d.validateUpdate!(upd, old)),
        ['data: Forbidden: field is immutable when `immutable` is set'],
        kind,
      );
      const unset = structuredClone(old);
      unset.immutable = false;
      assert.deepEqual(
        lines(d.validateUpdate!(unset, old)),
        ['immutable: Forbidden: field is immutable when `immutable` is set'],
        kind,
      );
    }
  });
  it('secret types need their keys; type is immutable', () => {
    assert.deepEqual(validate('v1', 'Secret', { type: 'kubernetes.io/tls', data: {} }), [
      'data[tls.crt]: Required value',
      'data[tls.key]: Required value',
    ]);
    assert.deepEqual(
      validate('v1', 'Secret', {
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
      }),
      [],
    );
    const d = def('v1', 'Secret');
    assert.deepEqual(
      lines(
        d.validateUpdate!(
          { type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } },
          { type: 'Opaque' },
        ),
      ),
      ['type: Invalid value: "kubernetes.io/tls": field is immutable'],
    );
  });
});

describe('Namespace, Node, Endpoints, Events', () => {
  it('namespace finalizers must be standard or qualified', () => {
    assert.deepEqual(
      validate('v1', 'Namespace', {
        metadata: { name: 'a' },
        spec: { finalizers: ['kubernetes', 'example.com/x', 'nope'] },
      }),
      [
        'spec.finalizers: Invalid value: "nope": name is neither a standard finalizer name nor is it fully qualified',
      ],
    );
  });
  it('node taints', () => {
    assert.deepEqual(
      validate('v1', 'Node', {
        spec: {
          taints: [
            { key: 'k', effect: 'NoSchedule' },
            { key: 'k', effect: 'NoSchedule' },
            { key: 'j', effect: 'Sometimes' },
          ],
        },
      }),
      [
        'spec.taints[1]: Duplicate value: core.Taint{Key:"k", Value:"", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair',
        'spec.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    );
  });
  it('endpoints addresses', () => {
    assert.deepEqual(
      validate('v1', 'Endpoints', {
        subsets: [{ addresses: [{ ip: '127.0.0.1' }, { ip: 'x' }], ports: [{ port: 80 }] }],
      }),
      [
        'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'subsets[0].addresses[1].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ],
    );
  });
  it('core/v1 events: the namespace must match the involved object', () => {
    assert.deepEqual(
      validate('v1', 'Event', {
        metadata: { namespace: 'a' },
        involvedObject: { kind: 'Pod', namespace: 'b', name: 'p' },
      }),
      ['involvedObject.namespace: Invalid value: "b": does not match event.namespace'],
    );
    assert.deepEqual(
      validate('v1', 'Event', {
        metadata: { namespace: 'a' },
        involvedObject: { kind: 'Pod', namespace: 'a', name: 'p' },
      }),
      [],
    );
  });
  it('events.k8s.io events are validated strictly and convert to core/v1', () => {
    const ev = def('events.k8s.io/v1', 'Event');
    const e = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'a' },
      regarding: { kind: 'Pod', namespace: 'a', name: 'p' },
      note: 'hello',
      reason: 'Started',
      action: 'Start',
      type: 'Normal',
      eventTime: '2025-01-01T00:00:00.000000Z',
      reportingController: 'kubelet',
      reportingInstance: 'node-1',
    };
    assert.deepEqual(ev.validate!(e), []);
    assert.deepEqual(lines(ev.validate!({ ...e, type: 'Odd', eventTime: undefined })), [
      'eventTime: Required value',
      'type: Invalid value: "": has invalid value: Odd',
    ]);
    const core = ev.sharedStorage!.toStorage(e);
    assert.equal(core.apiVersion, 'v1');
    assert.equal(core.message, 'hello');
    assert.equal(core.reportingComponent, 'kubelet');
    assert.deepEqual(core.involvedObject, e.regarding);
    assert.deepEqual(ev.sharedStorage!.fromStorage(core), e);
  });
});

describe('RBAC, scheduling, policy, coordination, discovery, storage', () => {
  it('policy rules and bindings', () => {
    assert.deepEqual(validate('rbac.authorization.k8s.io/v1', 'Role', { rules: [{ resources: ['pods'] }] }), [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    ]);
    assert.deepEqual(
      validate('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', {
        roleRef: { kind: 'Role', name: 'r' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
      }),
      [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
        'subjects[0].namespace: Required value',
      ],
    );
    const rb = def('rbac.authorization.k8s.io/v1', 'RoleBinding');
    const old = { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'a' } };
    const upd = { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'b' } };
    assert.equal(lines(rb.validateUpdate!(upd, old))[0].endsWith(': cannot change roleRef'), true);
  });
  it('priority classes', () => {
    assert.deepEqual(
      validate('scheduling.k8s.io/v1', 'PriorityClass', { metadata: { name: 'high' }, value: 2000000000 }),
      ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000'],
    );
    assert.deepEqual(
      validate('scheduling.k8s.io/v1', 'PriorityClass', { metadata: { name: 'system-foo' }, value: 1 }),
      [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-foo is not a known system priority class",
      ],
    );
    const pc = def('scheduling.k8s.io/v1', 'PriorityClass');
    assert.deepEqual(
      lines(pc.validateUpdate!({ metadata: { name: 'a' }, value: 2 }, { metadata: { name: 'a' }, value: 1 })),
      ['value: Forbidden: may not be changed in an update.'],
    );
  });
  it('pod disruption budgets', () => {
    assert.deepEqual(validate('policy/v1', 'PodDisruptionBudget', { spec: { minAvailable: '150%' } }), [
      'spec.minAvailable: Invalid value: "150%": must not be greater than 100%',
    ]);
    assert.equal(
      validate('policy/v1', 'PodDisruptionBudget', { spec: { minAvailable: 1, maxUnavailable: 1 } })[0].split(
        ':',
      )[0],
      'spec',
    );
  });
  it('leases and endpoint slices', () => {
    assert.deepEqual(validate('coordination.k8s.io/v1', 'Lease', { spec: { leaseDurationSeconds: 0 } }), [
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    ]);
    assert.deepEqual(
      validate('discovery.k8s.io/v1', 'EndpointSlice', {
        addressType: 'IPv4',
        endpoints: [{ addresses: ['::1'] }, { addresses: [] }],
      }),
      [
        'endpoints[0].addresses[0]: Invalid value: "::1": must be a valid IPv4 address',
        'endpoints[1].addresses: Required value: must contain at least 1 address',
      ],
    );
  });
  it('volumes and claims', () => {
    assert.deepEqual(validate('v1', 'PersistentVolumeClaim', { spec: {} }), [
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources[storage]: Required value',
    ]);
    assert.deepEqual(
      validate('v1', 'PersistentVolume', {
        spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/d' } },
      }),
      [],
    );
    const pvc = def('v1', 'PersistentVolumeClaim');
    const old = {
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Bound' },
    };
    const grow = structuredClone(old);
    grow.spec.resources.requests.storage = '2Gi';
    assert.deepEqual(pvc.validateUpdate!(grow, old), []);
    const shrink = structuredClone(old);
    shrink.spec.resources.requests.storage = '512Mi';
    assert.deepEqual(lines(pvc.validateUpdate!(shrink, old)), [
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
  });
  it('resource quotas', () => {
    assert.deepEqual(
      validate('v1', 'ResourceQuota', { spec: { hard: { pods: '10', cpus: '1', memory: '-1' } } }),
      [
        'spec.hard[cpus]: Invalid value: "cpus": must be a standard resource for quota',
        'spec.hard[memory]: Invalid value: "-1": must be greater than or equal to 0',
      ],
    );
  });
});
