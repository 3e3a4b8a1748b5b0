// The API server accepts application/vnd.kubernetes.protobuf request bodies (what kubectl's typed
// create commands send) and answers in JSON.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  encodeKubernetesProtobuf,
  PROTOBUF_MAGIC,
  PROTOBUF_MEDIA_TYPE,
} from '../../src/api/protobuf/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { kubectlPath } from '../helpers/cluster.js';

const KUBECTL = kubectlPath('1.33');
const PB = { 'content-type': PROTOBUF_MEDIA_TYPE, accept: `${PROTOBUF_MEDIA_TYPE},application/json` };

describe('apiserver protobuf request bodies', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('creates a ConfigMap sent as protobuf and answers JSON', async () => {
    const body = encodeKubernetesProtobuf({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'pb' },
      data: { a: 'b' },
      binaryData: { bin: Buffer.from([0, 1, 255]).toString('base64') },
    });
    const r = await t.req('POST', '/api/v1/namespaces/default/configmaps', body, PB);
    assert.equal(r.status, 201);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(r.body.data, { a: 'b' });
    assert.deepEqual(r.body.binaryData, { bin: 'AAH/' });
    const g = await t.req('GET', '/api/v1/namespaces/default/configmaps/pb');
    assert.deepEqual(g.body, r.body);
  });

  it('answers 400 for a malformed body and 415 for a kind without a protobuf table', async () => {
    const bad = await t.req(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      Buffer.concat([PROTOBUF_MAGIC, Buffer.from([0x0a, 0x7f])]),
      PB,
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.kind, 'Status');
    assert.equal(bad.body.reason, 'BadRequest');
    const typeMeta = Buffer.from([0x0a, 0x02, 0x76, 0x31, 0x12, 0x04, 0x4e, 0x6f, 0x64, 0x65]); // v1 Node
    const node = Buffer.concat([PROTOBUF_MAGIC, Buffer.from([0x0a, typeMeta.length]), typeMeta]);
    const r = await t.req('POST', '/api/v1/namespaces/default/configmaps', node, PB);
    assert.equal(r.status, 415);
    assert.equal(r.body.reason, 'UnsupportedMediaType');
  });

  it('kubectl 1.33 create configmap and namespace succeed', { skip: !existsSync(KUBECTL) }, async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(KUBECTL, [`--server=${t.url}`, ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? 1 : 0, out: stdout + stderr });
        });
      });
    const cm = await run(['create', 'configmap', 'from-kubectl', '--from-literal=k=v']);
    assert.equal(cm.code, 0, cm.out);
    assert.match(cm.out, /configmap\/from-kubectl created/);
    const ns = await run(['create', 'namespace', 'pb-ns']);
    assert.equal(ns.code, 0, ns.out);
    const g = await t.req('GET', '/api/v1/namespaces/default/configmaps/from-kubectl');
    assert.deepEqual(g.body.data, { k: 'v' });
    assert.equal((await t.req('GET', '/api/v1/namespaces/pb-ns')).status, 200);
  });
});
