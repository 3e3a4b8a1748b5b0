import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timestamp } from '../../src/apiserver/metadata.js';
import { formatTime } from '../../src/apiserver/patch/managedfields.js';

describe('timestamp', () => {
  it('formats RFC 3339 at second precision, also when asked again within the same second', () => {
    assert.equal(timestamp(new Date('2026-03-04T05:06:07.890Z')), '2026-03-04T05:06:07Z');
    assert.equal(timestamp(new Date('2026-03-04T05:06:07.001Z')), '2026-03-04T05:06:07Z');
    assert.equal(timestamp(new Date('2026-03-04T05:06:08.000Z')), '2026-03-04T05:06:08Z');
    assert.equal(timestamp(new Date('1969-12-31T23:59:59.500Z')), '1969-12-31T23:59:59Z');
    assert.equal(formatTime('2026-03-04T05:06:07.5Z'), '2026-03-04T05:06:07Z');
    assert.equal(formatTime(Date.UTC(2027, 0, 1, 0, 0, 1, 999)), '2027-01-01T00:00:01Z');
    assert.throws(() => timestamp(new Date('not a date')), RangeError);
  });
});
