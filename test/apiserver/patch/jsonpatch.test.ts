import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyJsonPatch,
  MAX_JSON_PATCH_OPERATIONS,
  parsePointer,
} from '../../../src/apiserver/patch/jsonpatch.js';
import { isK8tsError } from '../../../src/errors.js';

const base = () => ({
  metadata: { name: 'p', labels: { app: 'web', 'a/b': 'slash', 'c~d': 'tilde' } },
  spec: { containers: [{ name: 'a' }, { name: 'b' }], replicas: 1 },
});

function expectInvalid(fn: () => unknown, causeIncludes: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isK8tsError(err, 'Invalid'));
    assert.equal(err.httpStatus, 422);
    assert.equal(err.message, 'the server rejected our request due to an error in our request');
    assert.match(String((err.cause as Error).message), new RegExp(causeIncludes));
    return true;
  });
}

describe('json patch: operations', () => {
  it('adds, replaces and removes object members without touching the input', () => {
    const doc = base();
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'remove', path: '/metadata/labels/app' },
    ]) as ReturnType<typeof base>;
    assert.deepEqual(out.metadata.labels, { tier: 'front', 'a/b': 'slash', 'c~d': 'tilde' });
    assert.equal(out.spec.replicas, 3);
    assert.deepEqual(doc, base());
  });

  it('unescapes ~1 and ~0 in pointers', () => {
    assert.deepEqual(parsePointer('/a~1b/c~0d/~01'), ['a/b', 'c~d', '~1']);
    const out = applyJsonPatch(base(), [
      { op: 'remove', path: '/metadata/labels/a~1b' },
      { op: 'replace', path: '/metadata/labels/c~0d', value: 'x' },
    ]) as ReturnType<typeof base>;
    assert.deepEqual(out.metadata.labels, { app: 'web', 'c~d': 'x' });
  });

  it('inserts into arrays by index, appends with "-", and accepts negative indexes like upstream', () => {
    const out = applyJsonPatch(base(), [
      { op: 'add', path: '/spec/containers/1', value: { name: 'mid' } },
      { op: 'add', path: '/spec/containers/-', value: { name: 'last' } },
      { op: 'add', path: '/spec/containers/0', value: { name: 'first' } },
      { op: 'replace', path: '/spec/containers/-1/name', value: 'LAST' },
    ]) as ReturnType<typeof base>;
    assert.deepEqual(
      out.spec.containers.map((c) => c.name),
      ['first', 'a', 'mid', 'b', 'LAST'],
    );
  });

  it('moves and copies values', () => {
    const out = applyJsonPatch(base(), [
      { op: 'copy', from: '/spec/containers/0', path: '/spec/containers/-' },
      { op: 'move', from: '/metadata/labels/app', path: '/metadata/annotations' },
    ]) as Record<string, any>;
    assert.deepEqual(out.spec.containers, [{ name: 'a' }, { name: 'b' }, { name: 'a' }]);
    assert.equal(out.metadata.annotations, 'web');
    assert.equal(out.metadata.labels.app, undefined);
    // the copy is independent of its source
    out.spec.containers[2].name = 'z';
    assert.equal(out.spec.containers[0].name, 'a');
  });

  it('passes a matching test and replaces the whole document at the root', () => {
    const out = applyJsonPatch(base(), [
      { op: 'test', path: '/spec/containers/1', value: { name: 'b' } },
      { op: 'test', path: '/metadata/missing', value: null },
      { op: 'replace', path: '', value: { fresh: true } },
    ]);
    assert.deepEqual(out, { fresh: true });
  });

  it('an empty or null body changes nothing', () => {
    assert.deepEqual(applyJsonPatch(base(), []), base());
    assert.deepEqual(applyJsonPatch(base(), null), base());
  });
});

describe('json patch: errors', () => {
  it('a failed test is 422 Invalid with upstream generic message', () => {
    expectInvalid(
      () => applyJsonPatch(base(), [{ op: 'test', path: '/spec/replicas', value: 2 }]),
      'testing value',
    );
  });

  it('operating on missing paths is 422', () => {
    expectInvalid(() => applyJsonPatch(base(), [{ op: 'remove', path: '/metadata/nope' }]), 'nonexistent');
    expectInvalid(
      () => applyJsonPatch(base(), [{ op: 'replace', path: '/spec/nope', value: 1 }]),
      'missing key',
    );
    expectInvalid(() => applyJsonPatch(base(), [{ op: 'add', path: '/a/b/c', value: 1 }]), 'missing path');
    expectInvalid(
      () => applyJsonPatch(base(), [{ op: 'remove', path: '/spec/containers/7' }]),
      'invalid index',
    );
    expectInvalid(
      () => applyJsonPatch(base(), [{ op: 'add', path: '/spec/containers/x', value: 1 }]),
      'array index',
    );
    expectInvalid(
      () => applyJsonPatch(base(), [{ op: 'move', from: '/nope', path: '/x' }]),
      'does not exist',
    );
    expectInvalid(
      () => applyJsonPatch(base(), [{ op: 'move', from: '/spec', path: '/spec/x' }]),
      'own child',
    );
  });

  it('unknown ops, missing paths and bad pointers are 422', () => {
    expectInvalid(() => applyJsonPatch(base(), [{ op: 'frob', path: '/a' }]), 'Unexpected kind: frob');
    expectInvalid(() => applyJsonPatch(base(), [{ path: '/a' }]), 'Unexpected kind: unknown');
    expectInvalid(() => applyJsonPatch(base(), [{ op: 'add', value: 1 }]), 'missing path');
    expectInvalid(() => applyJsonPatch(base(), [{ op: 'add', path: 'a', value: 1 }]), 'JSON pointer');
  });

  it('a failing later operation leaves nothing applied (the input is never modified)', () => {
    const doc = base();
    assert.throws(() =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 9 },
        { op: 'test', path: '/spec/replicas', value: 1 },
      ]),
    );
    assert.equal(doc.spec.replicas, 1);
  });

  it('a body that is not a list of objects is 400 with the Go decoder wording', () => {
    assert.throws(
      () => applyJsonPatch(base(), { op: 'add' }),
      (err: unknown) =>
        isK8tsError(err, 'BadRequest') &&
        err.message === 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
    assert.throws(
      () => applyJsonPatch(base(), ['add']),
      (err: unknown) =>
        isK8tsError(err, 'BadRequest') &&
        err.message === 'json: cannot unmarshal string into Go value of type jsonpatch.Operation',
    );
  });

  it('more than 10000 operations is 413', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '',
      value: null,
    }));
    assert.throws(
      () => applyJsonPatch({}, ops),
      (err: unknown) =>
        isK8tsError(err, 'RequestEntityTooLarge') &&
        err.httpStatus === 413 &&
        err.message.endsWith('is 10000, got 10001'),
    );
  });
});
