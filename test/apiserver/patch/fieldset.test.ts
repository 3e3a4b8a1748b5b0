import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FieldSet,
  fieldElement,
  keyElement,
  pathToString,
  valueElement,
} from '../../../src/apiserver/patch/fieldset.js';

const fieldsV1 = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': {
            '.': {},
            'f:image': {},
            'f:ports': {
              '.': {},
              'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
            },
          },
        },
      },
    },
  },
};

describe('field sets', () => {
  it('round-trips FieldsV1, with "." for members that have children', () => {
    const set = FieldSet.fromFieldsV1(fieldsV1);
    assert.ok(set.has(['f:spec', 'f:replicas']));
    assert.ok(set.has(['f:metadata', 'f:labels']));
    assert.ok(!set.has(['f:spec']));
    assert.ok(set.has(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}']));
    assert.deepEqual(set.toFieldsV1(), fieldsV1);
  });

  it('serializes in upstream order: ".", fields, keys by value, then set values', () => {
    const set = FieldSet.fromPaths([
      ['f:list', valueElement('b')],
      ['f:list', valueElement('a')],
      ['f:items', keyElement([['port', 443]])],
      ['f:items', keyElement([['port', 80]])],
      ['f:items', keyElement([['port', 80]]), 'f:x'],
      ['f:b'],
      ['f:a'],
    ]);
    const out = set.toFieldsV1();
    assert.deepEqual(Object.keys(out), ['f:a', 'f:b', 'f:items', 'f:list']);
    assert.deepEqual(Object.keys(out['f:items'] as object), ['k:{"port":80}', 'k:{"port":443}']);
    assert.deepEqual(Object.keys(out['f:list'] as object), ['v:"a"', 'v:"b"']);
    assert.deepEqual((out['f:items'] as any)['k:{"port":80}'], { '.': {}, 'f:x': {} });
  });

  it('keys sort their fields by name and escape like Go', () => {
    assert.equal(
      keyElement([
        ['protocol', 'TCP'],
        ['containerPort', 80],
      ]),
      'k:{"containerPort":80,"protocol":"TCP"}',
    );
    assert.equal(valueElement('a<b&c'), 'v:"a\\u003cb\\u0026c"');
  });

  it('prints paths like upstream', () => {
    assert.equal(
      pathToString(['f:spec', 'f:containers', keyElement([['name', 'app']]), 'f:image']),
      '.spec.containers[name="app"].image',
    );
    assert.equal(
      pathToString([
        'f:ports',
        keyElement([
          ['containerPort', 80],
          ['protocol', 'TCP'],
        ]),
      ]),
      '.ports[containerPort=80,protocol="TCP"]',
    );
    assert.equal(
      pathToString(['f:metadata', 'f:finalizers', valueElement('a/one')]),
      '.metadata.finalizers[="a/one"]',
    );
    assert.equal(
      pathToString([fieldElement('metadata'), fieldElement('annotations'), fieldElement('a.b/c')]),
      '.metadata.annotations.a.b/c',
    );
  });

  it('computes union, difference, intersection and prefix removal', () => {
    const a = FieldSet.fromPaths([['f:a'], ['f:b', 'f:c'], ['f:b', 'f:d'], ['f:s', 'f:t']]);
    const b = FieldSet.fromPaths([['f:b', 'f:c'], ['f:e']]);
    assert.deepEqual(a.union(b).paths().length, 5);
    assert.deepEqual(a.difference(b).paths(), [['f:a'], ['f:b', 'f:d'], ['f:s', 'f:t']]);
    assert.deepEqual(a.intersection(b).paths(), [['f:b', 'f:c']]);
    const prefixes = FieldSet.fromPaths([['f:b'], ['f:s', 'f:t']]);
    assert.deepEqual(a.recursiveDifference(prefixes).paths(), [['f:a']]);
    assert.ok(a.difference(a).isEmpty());
  });

  it('rejects malformed FieldsV1', () => {
    assert.throws(() => FieldSet.fromFieldsV1({ 'x:bad': {} }));
    assert.throws(() => FieldSet.fromFieldsV1({ 'k:{not json': {} }));
    assert.throws(() => FieldSet.fromFieldsV1([]));
  });
});
