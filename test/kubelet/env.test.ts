// Container environment: literals with $(VAR) expansion, fieldRef, resourceFieldRef, configMap and secret
// references, envFrom, and upstream's errors for missing references.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ContainerConfigError,
  type EnvSources,
  expandCommand,
  expandVars,
  resolveEnv,
} from '../../src/kubelet/env.js';
import { pod } from './fixtures.js';

type Obj = Record<string, any>;
const objects: Record<string, Obj> = {
  'cm/default/cfg': { data: { color: 'blue', 'bad key': 'x', size: 'L' } },
  'secret/default/creds': { data: { password: Buffer.from('s3cret').toString('base64') } },
};
const sources: EnvSources = {
  configMap: async (ns, name) => objects[`cm/${ns}/${name}`],
  secret: async (ns, name) => objects[`secret/${ns}/${name}`],
};
const ctx = {
  nodeAllocatable: { cpu: '4', memory: '8Gi' },
  hostIP: '192.0.2.1',
  hostIPs: ['192.0.2.1'],
  podIP: '10.42.0.9',
  podIPs: ['10.42.0.9'],
};

async function envOf(container: Obj, p = pod({ containers: [container] }, { labels: { app: 'web' } })) {
  const r = await resolveEnv(p, container, sources, ctx);
  return Object.fromEntries(r.env.map((e) => [e.key, e.value]));
}

describe('env resolution', () => {
  it('expands $(VAR) from earlier variables, keeps unknown ones, unescapes $$', () => {
    const vars = new Map([['A', 'x']]);
    assert.equal(expandVars('$(A)-$(B)-$$(A)-$', vars), 'x-$(B)-$(A)-$');
  });

  it('resolves literals, fieldRef and resourceFieldRef', async () => {
    const env = await envOf({
      name: 'c',
      resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
      env: [
        { name: 'A', value: 'one' },
        { name: 'B', value: '$(A)-two' },
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
    });
    assert.deepEqual(env, {
      A: 'one',
      B: 'one-two',
      NAME: 'p',
      NS: 'default',
      APP: 'web',
      IP: '10.42.0.9',
      HOST: '192.0.2.1',
      NODE: 'n1',
      MEM: '64',
      CPU_REQ: '250',
      CPU_LIM: '4',
    });
  });

  it('reads configMap and secret keys, and envFrom with a prefix (invalid names skipped)', async () => {
    const container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
      env: [
        { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
      ],
    };
    const p = pod({ containers: [container] });
    const r = await resolveEnv(p, container, sources, ctx);
    assert.deepEqual(Object.fromEntries(r.env.map((e) => [e.key, e.value])), {
      CFG_color: 'blue',
      CFG_size: 'L',
      COLOR: 'blue',
      PASS: 's3cret',
    });
    assert.deepEqual(r.invalidKeys, ['bad key']);
    assert.deepEqual(expandCommand({ command: ['echo', '$(COLOR)'], args: ['$(PASS)'] }, r.env), {
      command: ['echo', 'blue'],
      args: ['s3cret'],
    });
  });

  it("refuses with upstream's messages when a required reference is missing", async () => {
    const fails = async (e: Obj, message: string) => {
      await assert.rejects(envOf({ name: 'c', env: [e] }), (err: Error) => {
        assert.ok(err instanceof ContainerConfigError);
        assert.equal(err.message, message);
        return true;
      });
    };
    await fails(
      { name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } },
      'configmap "missing" not found',
    );
    await fails(
      { name: 'X', valueFrom: { secretKeyRef: { name: 'missing', key: 'k' } } },
      'secret "missing" not found',
    );
    await fails(
      { name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } },
      "couldn't find key k in ConfigMap default/cfg",
    );
    await fails(
      { name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } },
      "couldn't find key k in Secret default/creds",
    );
  });
});
