// CustomResourceDefinitions driven by real kubectl 1.27 and 1.33: apply a CRD, wait for Established,
// create and get custom resources with printer columns, explain, merge patch, delete the CRD (its
// custom resources go with it), and create a TokenReview with kubectl's default strict validation
// (which lists CRDs to decide how to validate).
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

function crdYaml(group: string): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.${group}
spec:
  group: ${group}
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames: [ct]
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - name: Spec
      type: string
      description: The cron spec defining the interval a CronJob is run
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        description: A CronTab runs an image on a schedule.
        properties:
          spec:
            type: object
            description: What to run and when.
            required: [cronSpec]
            properties:
              cronSpec:
                type: string
                description: The schedule in cron format.
                pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'
              image:
                type: string
              replicas:
                type: integer
                minimum: 1
                maximum: 10
              policy:
                type: string
                enum: [Allow, Forbid]
                default: Allow
              port:
                x-kubernetes-int-or-string: true
              labels:
                type: object
                additionalProperties:
                  type: string
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              note:
                type: string
                nullable: true
              items:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name:
                      type: string
                    value:
                      type: number
`;
}

const tokenReview = JSON.stringify({
  apiVersion: 'authentication.k8s.io/v1',
  kind: 'TokenReview',
  spec: { token: 'not-a-real-token' },
});

for (const v of KUBECTL_VERSIONS) {
  const ns = `crd-${v.replace('.', '-')}`;
  const group = `v${v.replace('.', '-')}.stable.example.com`;
  const crd = `crontabs.${group}`;
  describe(`kubectl ${v} with CustomResourceDefinitions`, () => {
    before(async () => {
      await ok(v, ['create', 'namespace', ns]);
    });

    it('creates a TokenReview with default validation and no warning', async () => {
      const out = JSON.parse(await ok(v, ['create', '-o', 'json', '-f', '-'], tokenReview));
      assert.equal(out.kind, 'TokenReview');
      assert.notEqual(out.status?.authenticated, true, 'a made-up token is not authenticated');
      // The same from a file, as users write it.
      const f = file(`tokenreview-${v}.yaml`, tokenReview);
      assert.equal(JSON.parse(await ok(v, ['create', '-o', 'json', '-f', f])).kind, 'TokenReview');
    });

    it('applies a CRD and waits for it to be Established', async () => {
      const f = file(`crd-${v}.yaml`, crdYaml(group));
      assert.equal(
        await ok(v, ['apply', '-f', f]),
        `customresourcedefinition.apiextensions.k8s.io/${crd} created\n`,
      );
      await ok(v, ['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd}`]);
      assert.match(
        await ok(v, ['get', 'crd', crd]),
        new RegExp(`^NAME\\s+CREATED AT\\n${crd.replace(/\./g, '\\.')}\\s+\\d{4}-`),
      );
      assert.equal(
        await ok(v, ['apply', '-f', f]),
        `customresourcedefinition.apiextensions.k8s.io/${crd} unchanged\n`,
      );
      const res = await ok(v, ['api-resources', `--api-group=${group}`]);
      assert.match(
        res,
        new RegExp(`^crontabs\\s+ct\\s+${group.replace(/\./g, '\\.')}/v1\\s+true\\s+CronTab$`, 'm'),
      );
    });

    it('creates custom resources and gets them with the printer columns', async () => {
      const cr = file(
        `crontab-${v}.yaml`,
        `apiVersion: ${group}/v1
kind: CronTab
metadata:
  name: my-new-cron-object
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
  replicas: 2
  port: http
  labels: {a: b}
  extra: {anything: [1, 2]}
  items: [{name: one, value: 1.5}]
`,
      );
      assert.equal(
        await ok(v, ['-n', ns, 'create', '-f', cr]),
        `crontab.${group}/my-new-cron-object created\n`,
      );
      const table = await ok(v, ['-n', ns, 'get', 'crontabs']);
      assert.match(table, /^NAME\s+SPEC\s+REPLICAS\s+AGE\n/);
      assert.match(table, /^my-new-cron-object\s+\* \* \* \* \*\/5\s+2\s+\d+s\n$/m);
      assert.match(
        await ok(v, ['-n', ns, 'get', 'ct', '-o', 'name']),
        new RegExp(`^crontab\\.${group.replace(/\./g, '\\.')}/my-new-cron-object\\n$`),
      );
      const got = JSON.parse(await ok(v, ['-n', ns, 'get', 'crontab', 'my-new-cron-object', '-o', 'json']));
      assert.equal(got.spec.image, 'my-awesome-cron-image');
      assert.equal(got.spec.policy, 'Allow', 'the schema default');
      assert.deepEqual(got.spec.extra, { anything: [1, 2] });
      // Schema validation reaches kubectl as a 422.
      const bad = await cluster.kubectl(v, ['-n', ns, 'create', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: `${group}/v1`,
          kind: 'CronTab',
          metadata: { name: 'bad' },
          spec: { cronSpec: 'nope', replicas: 20 },
        }),
      });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /spec\.cronSpec in body should match/);
      assert.match(bad.stderr, /spec\.replicas in body should be less than or equal to 10/);
      // Strict client-side validation knows the schema: an unknown field is refused.
      const unknown = await cluster.kubectl(v, ['-n', ns, 'create', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: `${group}/v1`,
          kind: 'CronTab',
          metadata: { name: 'unknown' },
          spec: { cronSpec: '* * * * *', colour: 'red' },
        }),
      });
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /unknown field "spec\.colour"/);
    });

    it('explains the custom resource from its schema', async () => {
      const out = await ok(v, ['explain', `crontabs.${group}.spec`]);
      assert.match(out, /KIND:\s+CronTab/);
      assert.match(out, /What to run and when\./);
      assert.match(out, /cronSpec\s+<string>.*-required-/);
      assert.match(out, /The schedule in cron format\./);
    });

    it('patches a custom resource with a merge patch', async () => {
      assert.equal(
        await ok(v, [
          '-n',
          ns,
          'patch',
          'crontab',
          'my-new-cron-object',
          '--type=merge',
          '-p',
          '{"spec":{"replicas":5}}',
        ]),
        `crontab.${group}/my-new-cron-object patched\n`,
      );
      const got = JSON.parse(await ok(v, ['-n', ns, 'get', 'crontab', 'my-new-cron-object', '-o', 'json']));
      assert.equal(got.spec.replicas, 5);
      assert.equal(got.metadata.generation, 2);
    });

    it('applies custom resources client-side twice and server-side', async () => {
      const cr = (replicas: number) =>
        JSON.stringify({
          apiVersion: `${group}/v1`,
          kind: 'CronTab',
          metadata: { name: 'applied' },
          spec: { cronSpec: '*/5 * * * *', replicas },
        });
      const f = file(`applied-${v}.json`, cr(1));
      assert.equal(await ok(v, ['-n', ns, 'apply', '-f', f]), `crontab.${group}/applied created\n`);
      writeFileSync(f, cr(3));
      assert.equal(await ok(v, ['-n', ns, 'apply', '-f', f]), `crontab.${group}/applied configured\n`);
      assert.equal(await ok(v, ['-n', ns, 'apply', '-f', f]), `crontab.${group}/applied unchanged\n`);
      writeFileSync(f, cr(4));
      assert.equal(
        await ok(v, ['-n', ns, 'apply', '--server-side', '--force-conflicts', '-f', f]),
        `crontab.${group}/applied serverside-applied\n`,
      );
      const got = JSON.parse(await ok(v, ['-n', ns, 'get', 'crontab', 'applied', '-o', 'json']));
      assert.equal(got.spec.replicas, 4);
      // diff runs a server-side dry run: exit code 1 with the change, nothing written.
      writeFileSync(f, cr(6));
      const diff = await cluster.kubectl(v, [
        '-n',
        ns,
        'diff',
        '--server-side',
        '--force-conflicts',
        '-f',
        f,
      ]);
      assert.equal(diff.code, 1, diff.stderr);
      assert.match(diff.stdout, /^\+\s+replicas: 6$/m);
      const after = JSON.parse(await ok(v, ['-n', ns, 'get', 'crontab', 'applied', '-o', 'json']));
      assert.equal(after.spec.replicas, 4);
    });

    it('deleting the CRD deletes its custom resources', async () => {
      assert.equal(
        await ok(v, ['delete', 'crd', crd]),
        `customresourcedefinition.apiextensions.k8s.io "${crd}" deleted\n`,
      );
      const gone = await cluster.kubectl(v, ['get', 'crd', crd]);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /NotFound/);
      const res = await ok(v, ['api-resources', `--api-group=${group}`]);
      assert.doesNotMatch(res, /crontabs/);
      // Recreated, the CRD starts empty: the old custom resources did not survive.
      await ok(v, ['apply', '-f', file(`crd-again-${v}.yaml`, crdYaml(group))]);
      await ok(v, ['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd}`]);
      const list = JSON.parse(await ok(v, ['-n', ns, 'get', 'crontabs', '-o', 'json']));
      assert.deepEqual(list.items, []);
      await ok(v, ['delete', 'crd', crd]);
    });
  });
}
