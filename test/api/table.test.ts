import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { age, humanDuration } from '../../src/api/table.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (upstream duration.HumanDuration)', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [1500, '1s'],
    [-1500, '0s'],
    [-2500, '<invalid>'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [125 * s, '2m5s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 30 * m, '3h30m'],
    [8 * h, '8h'],
    [47 * h + 59 * m, '47h'],
    [48 * h, '2d'],
    [50 * h, '2d2h'],
    [8 * d, '8d'],
    [729 * d, '729d'],
    [2 * 365 * d, '2y'],
    [(2 * 365 + 30) * d, '2y30d'],
    [8 * 365 * d, '8y'],
  ];
  for (const [ms, want] of cases) it(`${ms}ms -> ${want}`, () => assert.equal(humanDuration(ms), want));
});

describe('age', () => {
  it('is <unknown> without a timestamp', () => assert.equal(age(undefined), '<unknown>'));
  it('measures from an injected now', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    assert.equal(age('2025-01-01T00:00:00Z', now), '10m');
    assert.equal(age('2024-12-31T23:58:30Z', now), '11m');
  });
});
