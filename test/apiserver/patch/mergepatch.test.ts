import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMergePatch, mergePatch } from '../../../src/apiserver/patch/mergepatch.js';
import { isK8tsError } from '../../../src/errors.js';

describe('json merge patch (RFC 7386)', () => {
  it('follows the RFC examples', () => {
    const cases: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [
        ['a', 'b'],
        ['c', 'd'],
        ['c', 'd'],
      ],
      [{ a: 'b' }, ['c'], ['c']],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, want] of cases) {
      assert.deepEqual(mergePatch(target, patch), want, JSON.stringify({ target, patch }));
    }
  });

  it('drops nulls inside new objects, also within lists, like the library upstream uses', () => {
    const out = mergePatch({ spec: {} }, { spec: { containers: [{ name: 'a', image: null }, null] } });
    assert.deepEqual(out, { spec: { containers: [{ name: 'a' }, null] } });
  });

  it('merges nested maps and replaces lists whole', () => {
    const original = {
      metadata: { labels: { app: 'web', tier: 'front' } },
      spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] },
    };
    const out = applyMergePatch(original, {
      metadata: { labels: { tier: null, env: 'prod' } },
      spec: { containers: [{ name: 'a', image: 'y' }] },
    });
    assert.deepEqual(out, {
      metadata: { labels: { app: 'web', env: 'prod' } },
      spec: { containers: [{ name: 'a', image: 'y' }] },
    });
    assert.deepEqual(original.metadata.labels, { app: 'web', tier: 'front' });
  });

  it('rejects a patch that is not an object with 400 Invalid JSON Patch', () => {
    for (const bad of [null, 'x', 3, [1]]) {
      assert.throws(
        () => applyMergePatch({}, bad),
        (err: unknown) => isK8tsError(err, 'BadRequest') && err.message === 'Invalid JSON Patch',
      );
    }
  });
});
