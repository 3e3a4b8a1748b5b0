import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listJson, objectJson } from '../../src/apiserver/serialized.js';

describe('serialized JSON of immutable objects', () => {
  it('serializes an object once and gives the same text as JSON.stringify', () => {
    const obj = { kind: 'ConfigMap', metadata: { name: 'a', labels: { x: 'é' } }, data: { k: 'v"\n' } };
    const first = objectJson(obj);
    assert.equal(first, JSON.stringify(obj));
    assert.equal(objectJson(obj), first);
  });

  it('writes a list exactly as JSON.stringify would', () => {
    const items = [{ metadata: { name: 'a' } }, { metadata: { name: 'b' }, spec: { n: [1, 2] } }];
    const list = {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '7', continue: 'x' },
      items,
    };
    assert.equal(listJson(list), JSON.stringify(list));
    const empty = { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] };
    assert.equal(listJson(empty), JSON.stringify(empty));
    assert.equal(listJson({ items }), JSON.stringify({ items }));
    assert.deepEqual(JSON.parse(listJson(list)), list);
  });
});
