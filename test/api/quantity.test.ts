import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalQuantityString,
  compareQuantities,
  isQuantity,
  parseQuantity,
} from '../../src/api/quantity.js';

function cmp(a: string, b: string): number {
  return compareQuantities(parseQuantity(a)!, parseQuantity(b)!);
}

describe('quantities', () => {
  it('parses the upstream forms and rejects others', () => {
    for (const ok of ['1', '0.5', '100m', '1Gi', '1.5Gi', '2e3', '1E-3', '+3', '-1', '.5', '5.'])
      assert.ok(isQuantity(ok), ok);
    for (const bad of ['', 'abc', '1 Gi', '1GiB', '1.2.3', 'Gi', ' 1']) assert.ok(!isQuantity(bad), bad);
  });
  it('compares exactly across suffixes', () => {
    assert.equal(cmp('1.5Gi', '1536Mi'), 0);
    assert.equal(cmp('1', '1000m'), 0);
    assert.equal(cmp('100m', '0.1'), 0);
    assert.equal(cmp('1k', '1Ki'), -1);
    assert.equal(cmp('2e3', '2k'), 0);
    assert.equal(cmp('500m', '1'), -1);
  });
  it('prints the canonical form upstream shows', () => {
    const cases: [string, string][] = [
      ['0.5', '500m'],
      ['1000m', '1'],
      ['1500', '1500'],
      ['2000', '2k'],
      ['2048Mi', '2Gi'],
      ['1536Mi', '1536Mi'],
      ['1.5Gi', '1536Mi'],
      ['512', '512'],
      ['1024', '1024'],
      ['1Ki', '1Ki'],
      ['0.5Ki', '512'],
      ['1e3', '1e3'],
      ['0', '0'],
      ['100Mi', '100Mi'],
      ['0.1', '100m'],
      ['1n', '1n'],
    ];
    for (const [input, want] of cases) assert.equal(canonicalQuantityString(input), want, input);
  });
});
