// containerd's config, the CNI network list and the supervisor's failure paths, without root.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isK8tsError } from '../../src/errors.js';
import { cniConfDir, cniConfList, cniIpamDir, parseCidr, writeCniConfig } from '../../src/runtime/cni.js';
import { startContainerd } from '../../src/runtime/containerd.js';
import { containerdConfig, containerdPaths, DISABLED_PLUGINS } from '../../src/runtime/containerd-config.js';
import { grpcTarget } from '../../src/runtime/cri/client.js';

const work = mkdtempSync(join(tmpdir(), 'k8ts-rtconfig-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('containerd config', () => {
  const dataDir = '/var/lib/k8ts';
  const toml = containerdConfig({ dataDir, sandboxImage: 'k8ts.local/pause:3.9', snapshotter: 'overlayfs' });
  const line = (key: string) =>
    toml
      .split('\n')
      .find((l) => l.trim().startsWith(`${key} =`))
      ?.trim();

  it('keeps root, state and socket under the data dir', () => {
    const p = containerdPaths(dataDir);
    assert.equal(p.socket, '/var/lib/k8ts/containerd/containerd.sock');
    assert.equal(line('root'), 'root = "/var/lib/k8ts/containerd/root"');
    assert.equal(line('state'), 'state = "/var/lib/k8ts/containerd/state"');
    assert.equal(line('address'), 'address = "/var/lib/k8ts/containerd/containerd.sock"');
    assert.equal(line('path'), 'path = "/var/lib/k8ts/containerd/opt"');
    assert.equal(line('Root'), 'Root = "/var/lib/k8ts/containerd/state/runc"');
    const settings = toml.split('\n').filter((l) => !l.trim().startsWith('#'));
    assert.ok(!settings.some((l) => l.includes('/run/containerd')));
  });

  it('configures CRI: pause image, runc v2 on cgroupfs, CNI dirs, OOM score clamp', () => {
    assert.equal(line('version'), 'version = 2');
    assert.equal(line('sandbox_image'), 'sandbox_image = "k8ts.local/pause:3.9"');
    assert.equal(line('restrict_oom_score_adj'), 'restrict_oom_score_adj = true');
    assert.equal(line('runtime_type'), 'runtime_type = "io.containerd.runc.v2"');
    assert.equal(line('SystemdCgroup'), 'SystemdCgroup = false');
    assert.equal(line('default_runtime_name'), 'default_runtime_name = "runc"');
    assert.equal(line('snapshotter'), 'snapshotter = "overlayfs"');
    assert.equal(line('bin_dir'), 'bin_dir = "/usr/lib/cni"');
    assert.equal(line('conf_dir'), `conf_dir = "${cniConfDir(dataDir)}"`);
    assert.equal(line('netns_mounts_under_state_dir'), 'netns_mounts_under_state_dir = true');
    assert.match(toml, /\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.runc\.options\]/);
  });

  it('disables unused snapshotters and tracing but keeps what CRI needs', () => {
    for (const p of ['aufs', 'btrfs', 'zfs', 'devmapper']) {
      assert.ok(DISABLED_PLUGINS.includes(`io.containerd.snapshotter.v1.${p}`));
    }
    assert.ok(!DISABLED_PLUGINS.some((p) => /overlayfs|native|runtime|cri/.test(p)));
    assert.match(toml, /^disabled_plugins = \["io\.containerd\.snapshotter\.v1\.aufs", /m);
  });

  it('escapes paths as TOML strings', () => {
    const odd = containerdConfig({ dataDir: '/tmp/a "b"\\c', sandboxImage: 'p', snapshotter: 'native' });
    assert.match(odd, /root = "\/tmp\/a \\"b\\"\\\\c\/containerd\/root"/);
  });
});

describe('CNI network list', () => {
  it('bridges the podCIDR with host-local IPAM under the data dir and portmap', () => {
    const list = cniConfList({ dataDir: '/d', podCIDR: '10.244.3.0/24' }) as any;
    assert.equal(list.cniVersion, '1.0.0');
    assert.equal(list.name, 'k8ts');
    const [bridge, portmap] = list.plugins;
    assert.equal(bridge.type, 'bridge');
    assert.equal(bridge.bridge, 'k8ts0');
    assert.equal(bridge.isGateway, true);
    assert.deepEqual(bridge.ipam.ranges, [[{ subnet: '10.244.3.0/24' }]]);
    assert.deepEqual(bridge.ipam.routes, [{ dst: '0.0.0.0/0' }]);
    assert.equal(bridge.ipam.dataDir, cniIpamDir('/d'));
    assert.deepEqual(portmap, { type: 'portmap', capabilities: { portMappings: true } });
    const v6 = cniConfList({ dataDir: '/d', podCIDR: 'fd00:10:244:3::/64' }) as any;
    assert.deepEqual(v6.plugins[0].ipam.routes, [{ dst: '::/0' }]);
  });

  it('rejects malformed pod CIDRs', () => {
    for (const bad of ['10.244.0.0', '10.244.0.0/33', 'banana/24', '10.0.0.0/4', '']) {
      assert.throws(
        () => parseCidr(bad),
        (err) => isK8tsError(err, 'Invalid'),
        bad,
      );
    }
    assert.deepEqual(parseCidr('10.244.0.0/16'), { ip: '10.244.0.0', prefix: 16, ipv6: false });
  });

  it('writes the list atomically and leaves an unchanged file alone', () => {
    const dataDir = mkdtempSync(join(work, 'cni-'));
    const path = writeCniConfig({ dataDir, podCIDR: '10.244.9.0/24' });
    assert.equal(path, join(cniConfDir(dataDir), '10-k8ts.conflist'));
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).plugins[0].ipam.ranges[0][0].subnet, '10.244.9.0/24');
    const before = statSync(path).ino;
    writeCniConfig({ dataDir, podCIDR: '10.244.9.0/24' });
    assert.equal(statSync(path).ino, before);
    writeCniConfig({ dataDir, podCIDR: '10.244.10.0/24' });
    assert.notEqual(statSync(path).ino, before);
    assert.equal(statSync(cniIpamDir(dataDir)).isDirectory(), true);
  });
});

describe('containerd supervisor failures', () => {
  it('says how to install containerd when the binary is missing', async () => {
    await assert.rejects(
      startContainerd({
        dataDir: join(work, 'missing'),
        binary: join(work, 'no-containerd'),
        snapshotter: 'native',
      }),
      (err) => isK8tsError(err, 'RuntimeUnavailable') && /apt-get install containerd/.test(err.message),
    );
  });

  it('reports the log tail when containerd exits during start, and does not restart it', async () => {
    const fake = join(work, 'fake-containerd');
    const marker = join(work, 'fake-runs');
    writeFileSync(
      fake,
      `#!/bin/sh\necho run >> ${marker}\necho "level=fatal msg=\\"boom at start\\""\nexit 1\n`,
    );
    chmodSync(fake, 0o755);
    await assert.rejects(
      startContainerd({
        dataDir: join(work, 'fake'),
        binary: fake,
        snapshotter: 'native',
        restartDelayMs: 10,
      }),
      (err) => isK8tsError(err, 'RuntimeUnavailable') && /boom at start/.test(err.message),
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(readFileSync(marker, 'utf8'), 'run\n');
  });

  it('names gRPC unix targets', () => {
    assert.equal(grpcTarget('/a/b.sock'), 'unix:///a/b.sock');
    assert.equal(grpcTarget('unix:///a/b.sock'), 'unix:///a/b.sock');
  });
});
