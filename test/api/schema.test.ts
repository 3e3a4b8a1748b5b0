import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  childSchema,
  definition,
  definitionForKind,
  definitions,
  parsePath,
  patchMeta,
  refName,
  resolve,
  schemaAt,
} from '../../src/api/schema.js';

test('generated definitions cover the served groups with upstream names', () => {
  const d = definitions();
  for (const name of [
    'io.k8s.api.core.v1.Pod',
    'io.k8s.api.apps.v1.Deployment',
    'io.k8s.api.batch.v1.CronJob',
    'io.k8s.api.rbac.v1.ClusterRoleBinding',
    'io.k8s.api.coordination.v1.Lease',
    'io.k8s.api.discovery.v1.EndpointSlice',
    'io.k8s.api.events.v1.Event',
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  ]) {
    assert.ok(d[name], name);
  }
  assert.ok(Object.keys(d).length > 500);
});

test('Pod schema: gvk, required, description, spec.containers items ref Container with merge key name', () => {
  const pod = definition('io.k8s.api.core.v1.Pod')!;
  assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.match(pod.description!, /collection of containers/);
  assert.equal(refName(pod.properties!.spec), 'io.k8s.api.core.v1.PodSpec');
  assert.deepEqual(pod.properties!.spec.allOf, [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }]);

  const containers = schemaAt('io.k8s.api.core.v1.Pod', 'spec.containers')!;
  assert.equal(containers.type, 'array');
  assert.equal(containers.items!.$ref, '#/components/schemas/io.k8s.api.core.v1.Container');
  assert.deepEqual(patchMeta(containers), {
    strategies: ['merge'],
    mergeKey: 'name',
    listType: 'map',
    listMapKeys: ['name'],
  });
  assert.deepEqual(definition('io.k8s.api.core.v1.PodSpec')!.required, ['containers']);
  assert.deepEqual(definition('io.k8s.api.core.v1.Container')!.required, ['name']);
});

test('patch metadata overlay: volumes merge,retainKeys; Deployment strategy retainKeys; finalizers set', () => {
  const volumes = schemaAt('io.k8s.api.core.v1.PodSpec', 'volumes')!;
  assert.deepEqual(patchMeta(volumes).strategies, ['merge', 'retainKeys']);
  const strategy = schemaAt('io.k8s.api.apps.v1.Deployment', 'spec.strategy')!;
  assert.equal(strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.ok(strategy.properties?.rollingUpdate, 'resolved to DeploymentStrategy');
  const fin = schemaAt('io.k8s.api.core.v1.Pod', 'metadata.finalizers')!;
  assert.deepEqual(patchMeta(fin), {
    strategies: ['merge'],
    mergeKey: undefined,
    listType: 'set',
    listMapKeys: undefined,
  });
  const ports = schemaAt('io.k8s.api.core.v1.Service', 'spec.ports')!;
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  const env = schemaAt('io.k8s.api.apps.v1.Deployment', 'spec.template.spec.containers[0].env')!;
  assert.equal(env['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(
    definition('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector')!['x-kubernetes-map-type'],
    'atomic',
  );
});

test('special types: IntOrString, Quantity, Time, RawExtension, int64 fields', () => {
  const target = schemaAt('io.k8s.api.core.v1.Service', 'spec.ports[0].targetPort')!;
  assert.equal(target['x-kubernetes-int-or-string'], true);
  assert.equal(target.format, 'int-or-string');
  assert.match(target.description!, /Number or name of the port/);
  const cpu = schemaAt('io.k8s.api.core.v1.Container', 'resources.limits.cpu')!;
  assert.deepEqual(cpu.oneOf, [{ type: 'string' }, { type: 'number' }]);
  assert.match(cpu.description!, /fixed-point representation/);
  const ts = schemaAt('io.k8s.api.core.v1.Pod', 'metadata.creationTimestamp')!;
  assert.deepEqual([ts.type, ts.format], ['string', 'date-time']);
  const raw = schemaAt('io.k8s.api.apps.v1.ControllerRevision', 'data')!;
  assert.equal(raw['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(schemaAt('io.k8s.api.core.v1.Pod', 'metadata.generation')!.format, 'int64');
  assert.equal(schemaAt('io.k8s.api.apps.v1.Deployment', 'spec.replicas')!.format, 'int32');
  assert.equal(schemaAt('io.k8s.api.core.v1.ConfigMap', 'data.somekey')!.type, 'string');
});

test('path helpers', () => {
  assert.deepEqual(parsePath('spec.containers[0].ports[12].name'), [
    'spec',
    'containers',
    0,
    'ports',
    12,
    'name',
  ]);
  assert.equal(schemaAt('io.k8s.api.core.v1.Pod', 'spec.nope'), undefined);
  const spec = resolve('io.k8s.api.core.v1.PodSpec');
  assert.equal(resolve('#/components/schemas/io.k8s.api.core.v1.PodSpec'), spec);
  assert.equal(childSchema(spec, 'containers')?.type, 'array');
  assert.equal(definitionForKind('apps', 'v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
  assert.equal(definitionForKind('', 'v1', 'ConfigMapList'), 'io.k8s.api.core.v1.ConfigMapList');
});
