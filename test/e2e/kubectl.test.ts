// The API server driven by real kubectl 1.27 and 1.33 against one `k8ts server` process.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Cluster, KUBECTL_VERSIONS, type KubectlVersion, startCluster } from '../helpers/cluster.js';

let cluster: Cluster;

before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

/** Runs kubectl and fails the test on a non-zero exit or any warning on stderr. */
async function ok(v: KubectlVersion, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(v, args, { input });
  assert.equal(r.code, 0, `kubectl ${v} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  assert.equal(r.stderr, '', `kubectl ${v} ${args.join(' ')} printed to stderr:\n${r.stderr}`);
  return r.stdout;
}

function file(name: string, text: string): string {
  const p = join(cluster.dataDir, name);
  writeFileSync(p, text);
  return p;
}

for (const v of KUBECTL_VERSIONS) {
  const ns = `e2e-${v.replace('.', '-')}`;
  describe(`kubectl ${v}`, () => {
    before(async () => {
      await ok(v, ['create', 'namespace', ns]);
    });

    it('reports version and lists API resources and versions', async () => {
      // `kubectl version` itself warns when the client is more than one minor away from the server;
      // that warning is about the client binary, so it is the one message allowed here.
      const ver = await cluster.kubectl(v, ['version', '-o', 'json']);
      assert.equal(ver.code, 0, ver.stderr);
      assert.equal(JSON.parse(ver.stdout).serverVersion.minor, '33');
      const skew =
        /^WARNING: version difference between client \(1\.\d+\) and server \(1\.33\) exceeds the supported minor version skew of \+\/-1\n?$/;
      assert.ok(ver.stderr === '' || (v !== '1.33' && skew.test(ver.stderr)), ver.stderr);
      const res = await ok(v, ['api-resources']);
      assert.match(res, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
      const versions = await ok(v, ['api-versions']);
      assert.match(versions, /^v1$/m);
    });

    it('creates, reads, labels, annotates, patches and deletes a configmap', async () => {
      assert.equal(
        await ok(v, ['-n', ns, 'create', 'configmap', 'c1', '--from-literal=a=b']),
        'configmap/c1 created\n',
      );
      const got = JSON.parse(await ok(v, ['-n', ns, 'get', 'configmap', 'c1', '-o', 'json']));
      assert.deepEqual(got.data, { a: 'b' });
      await ok(v, ['-n', ns, 'label', 'configmap', 'c1', 'tier=web']);
      await ok(v, ['-n', ns, 'annotate', 'configmap', 'c1', 'note=hi']);
      await ok(v, ['-n', ns, 'patch', 'configmap', 'c1', '--type=merge', '-p', '{"data":{"m":"1"}}']);
      const names = await ok(v, ['-n', ns, 'get', 'cm', '-l', 'tier=web', '-o', 'name']);
      assert.equal(names, 'configmap/c1\n');
      const jp = await ok(v, [
        '-n',
        ns,
        'get',
        'cm',
        'c1',
        '-o',
        'jsonpath={.data.m} {.metadata.annotations.note}',
      ]);
      assert.equal(jp, '1 hi');
      assert.equal(await ok(v, ['-n', ns, 'delete', 'configmap', 'c1']), 'configmap "c1" deleted\n');
      const gone = await cluster.kubectl(v, ['-n', ns, 'get', 'configmap', 'c1']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /configmaps "c1" not found/);
    });

    it('prints tables with upstream columns, sorting and field selectors', async () => {
      await ok(v, ['-n', ns, 'create', 'configmap', 'zz', '--from-literal=a=b', '--from-literal=c=d']);
      await ok(v, ['-n', ns, 'create', 'configmap', 'aa', '--from-literal=a=b']);
      const table = await ok(v, ['-n', ns, 'get', 'configmaps', '--sort-by=.metadata.name']);
      const lines = table.trim().split('\n');
      assert.match(lines[0], /^NAME\s+DATA\s+AGE$/);
      assert.match(lines[1], /^aa\s+1\s+\d+s$/);
      const wide = await ok(v, ['-n', ns, 'get', 'configmaps', 'zz', '-o', 'wide']);
      assert.match(wide, /^zz\s+2\s+/m);
      const sel = await ok(v, ['-n', ns, 'get', 'cm', '--field-selector', 'metadata.name=aa', '-o', 'name']);
      assert.equal(sel, 'configmap/aa\n');
      const all = await ok(v, ['get', 'namespaces', '-A']);
      assert.match(all, /^kube-system\s+Active/m);
    });

    it('reports a stale update as a conflict and bad input as 4xx', async () => {
      const r = await cluster.kubectl(v, ['-n', ns, 'create', 'configmap', 'Bad_Name']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /is invalid|must consist of/);
      const missing = await cluster.kubectl(v, ['-n', 'no-such-ns', 'create', 'configmap', 'x']);
      assert.match(missing.stderr, /namespaces "no-such-ns" not found/);
    });

    it('creates from a file', async () => {
      const p = file(
        `cm-${v}.yaml`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromfile\n  namespace: ${ns}\ndata:\n  k: v\n`,
      );
      assert.equal(await ok(v, ['create', '-f', p]), 'configmap/fromfile created\n');
      const yaml = await ok(v, ['-n', ns, 'get', 'cm', 'fromfile', '-o', 'yaml']);
      assert.match(yaml, /^ {2}k: v$/m);
    });

    it('waits for deletion with --wait', async () => {
      await ok(v, ['-n', ns, 'create', 'configmap', 'waitme']);
      await ok(v, ['-n', ns, 'delete', 'configmap', 'waitme', '--wait=true']);
      const r = await cluster.kubectl(v, ['-n', ns, 'get', 'configmap', 'waitme']);
      assert.notEqual(r.code, 0);
    });
  });
}
