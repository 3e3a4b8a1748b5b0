// The pod bridge's gateway address: the first address of the node's podCIDR (host-local's default gateway).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayOf } from '../../src/runtime/bridge.js';

describe('pod bridge gateway', () => {
  it('is the first address of the podCIDR, IPv4 and IPv6', () => {
    assert.equal(gatewayOf('10.42.0.0/24'), '10.42.0.1');
    assert.equal(gatewayOf('10.244.201.0/24'), '10.244.201.1');
    assert.equal(gatewayOf('10.42.7.128/25'), '10.42.7.129');
    assert.equal(gatewayOf('192.168.255.0/24'), '192.168.255.1');
    assert.equal(gatewayOf('10.42.3.77/16'), '10.42.0.1');
    assert.equal(gatewayOf('fd00:42:0:1::/64'), 'fd00:42:0:1::1');
    assert.equal(gatewayOf('fd00:42::/64'), 'fd00:42::1');
  });
});
