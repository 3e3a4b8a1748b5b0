// The node IPAM controller against an in-process API server: every Node gets a /24 podCIDR from the
// cluster CIDR, and a restarted controller manager does not hand out a range a node already holds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/client/index.js';
import { startControllerManager } from '../../src/controllers/manager.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';

describe('nodeipam controller', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  const createNode = async (name: string, podCIDR?: string) => {
    const r = await api.req('POST', '/api/v1/nodes', {
      metadata: { name },
      spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const cidrOf = (name: string) =>
    eventually(`a podCIDR for ${name}`, async () => {
      const n = (await api.req('GET', `/api/v1/nodes/${name}`)).body;
      return (n.spec?.podCIDR as string | undefined) || undefined;
    });

  it('assigns the lowest free /24, keeping ranges nodes already hold across restarts', async () => {
    await createNode('held', '10.77.0.0/24');
    let cm = startControllerManager({
      baseUrl: api.url,
      log: silentLogger,
      config: { clusterCidr: '10.77.0.0/16' },
    });
    await createNode('a');
    assert.equal(await cidrOf('a'), '10.77.1.0/24');
    await cm.stop();
    cm = startControllerManager({
      baseUrl: api.url,
      log: silentLogger,
      config: { clusterCidr: '10.77.0.0/16' },
    });
    await createNode('b');
    assert.equal(await cidrOf('b'), '10.77.2.0/24');
    const n = (await api.req('GET', '/api/v1/nodes/b')).body;
    assert.deepEqual(n.spec.podCIDRs, ['10.77.2.0/24']);
    await cm.stop();
  });
});
