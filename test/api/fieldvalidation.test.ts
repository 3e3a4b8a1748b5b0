import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  duplicateFields,
  duplicateFieldsYaml,
  pruneUnknownFields,
  strictDecodingError,
  unknownFields,
} from '../../src/api/fieldvalidation.js';

const POD = 'io.k8s.api.core.v1.Pod';

test('unknownFields: nested struct, list items, metadata, maps', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { a: 'b' }, annotations: { x: 'y' }, bogus: 1 },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          imagePullPolcy: 'Always',
          env: [{ name: 'A', value: '1', vaule: '2' }],
        },
        { name: 'd', resources: { limits: { cpu: '1' } } },
      ],
      foo: true,
      nodeSelector: { anything: 'goes' },
    },
    extra: {},
  };
  assert.deepEqual(unknownFields(pod, POD), [
    'metadata.bogus',
    'spec.containers[0].imagePullPolcy',
    'spec.containers[0].env[0].vaule',
    'spec.foo',
    'extra',
  ]);
});

test('unknownFields: known objects, nulls, preserve-unknown-fields and map-of-struct', () => {
  assert.deepEqual(
    unknownFields({ metadata: { name: 'x' }, data: { k: 'v' } }, 'io.k8s.api.core.v1.ConfigMap'),
    [],
  );
  assert.deepEqual(
    unknownFields({ spec: null, status: { phase: 'Active' } }, 'io.k8s.api.core.v1.Namespace'),
    [],
  );
  // ControllerRevision.data is RawExtension: arbitrary content.
  assert.deepEqual(
    unknownFields({ revision: 1, data: { anything: { deep: 1 } } }, 'io.k8s.api.apps.v1.ControllerRevision'),
    [],
  );
  // JSONSchemaProps.properties is a map of structs; unknown keys inside map values are reported.
  const crd = {
    spec: {
      versions: [
        {
          name: 'v1',
          schema: { openAPIV3Schema: { type: 'object', properties: { a: { type: 'string', tpye: 'x' } } } },
        },
      ],
    },
  };
  assert.deepEqual(
    unknownFields(crd, 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'),
    ['spec.versions[0].schema.openAPIV3Schema.properties.a.tpye'],
  );
});

test('preserve-unknown-fields keeps unknown keys but still checks known properties', () => {
  const schema = {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true as const,
    properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
  };
  assert.deepEqual(unknownFields({ anything: 1, spec: { replicas: 1, replicaz: 2 } }, schema), [
    'spec.replicaz',
  ]);
});

test('pruneUnknownFields removes what it reports', () => {
  const obj = { metadata: { name: 'a', junk: 1 }, data: { k: 'v' }, extra: [1] };
  assert.deepEqual(pruneUnknownFields(obj, 'io.k8s.api.core.v1.ConfigMap'), ['metadata.junk', 'extra']);
  assert.deepEqual(obj, { metadata: { name: 'a' }, data: { k: 'v' } });
});

test('duplicateFields: JSON scanner finds repeated keys at any depth', () => {
  const text =
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"},' +
    '"data":{"k":"1","k\\u0032":"2","k2":"3"},"list":[{"x":1},{"x":1,"x":2}],"kind":"ConfigMap"}';
  assert.deepEqual(duplicateFields(text), ['metadata.name', 'data.k2', 'list[1].x', 'kind']);
  assert.deepEqual(duplicateFields(' { "a" : [ 1 , 2 , { } , [ ] , "s\\"t" , null ] , "b" : true } '), []);
  assert.deepEqual(duplicateFields('[{"a":1,"a":2},{"a":3}]'), ['[0].a']);
  assert.deepEqual(duplicateFields('{"a":"x\\\\y\\"","b":{"c\\"":1,"c\\u0022":2},"b":"q"}'), ['b.c"', 'b']);
  assert.deepEqual(duplicateFields('{"a":1,"a":'), ['a'], 'stops quietly at a syntax error');
});

test('duplicateFieldsYaml', () => {
  const yaml =
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\ndata:\n  k: "1"\nitems:\n- x: 1\n  x: 2\n';
  assert.deepEqual(duplicateFieldsYaml(yaml), ['metadata.name', 'items[0].x']);
  assert.deepEqual(duplicateFieldsYaml('a: 1\nb: {c: 1}\n'), []);
});

test('strict decoding message matches upstream wording', () => {
  assert.equal(
    strictDecodingError(['spec.foo'], ['metadata.name']),
    'strict decoding error: unknown field "spec.foo", duplicate field "metadata.name"',
  );
});
