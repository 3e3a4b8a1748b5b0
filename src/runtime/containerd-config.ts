// containerd's config (version 2 TOML) for a k8ts node: everything under `<dataDir>/containerd/`, the CRI
// plugin on with runc (v2 shim, cgroupfs driver), Debian's CNI plugins, k8ts's own pause image, and only
// the plugins a node needs.

import { join } from 'node:path';
import { CNI_BIN_DIR, cniConfDir } from './cni.js';

export interface ContainerdPaths {
  dir: string;
  config: string;
  socket: string;
  root: string;
  state: string;
  log: string;
  pidFile: string;
  /** Per-registry hosts.toml files (registry mirrors, plain-HTTP registries). */
  certsDir: string;
}

export function containerdPaths(dataDir: string): ContainerdPaths {
  const dir = join(dataDir, 'containerd');
  return {
    dir,
    config: join(dir, 'config.toml'),
    socket: join(dir, 'containerd.sock'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    log: join(dir, 'containerd.log'),
    pidFile: join(dir, 'containerd.pid'),
    certsDir: join(dir, 'certs.d'),
  };
}

export type Snapshotter = 'overlayfs' | 'native';

export interface ContainerdConfigOptions {
  dataDir: string;
  sandboxImage: string;
  snapshotter: Snapshotter;
  /** containerd's log level: debug, info (default), warn, error. */
  logLevel?: string;
  cniBinDir?: string;
  /** Where the CRI streaming server (exec, attach, port-forward URLs) listens; port 0 picks one. */
  streamAddress?: string;
  streamPort?: number;
}

/**
 * Plugins a k8ts node never uses; skipping them makes containerd start faster and log less. The v1 linux
 * runtime stays: containerd 1.6's tasks service refuses to load without it.
 */
export const DISABLED_PLUGINS = [
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.internal.v1.tracing',
];

const str = (s: string) => JSON.stringify(s); // JSON string escapes are valid TOML basic strings
const strArray = (xs: string[]) => `[${xs.map(str).join(', ')}]`;

export function containerdConfig(opts: ContainerdConfigOptions): string {
  const p = containerdPaths(opts.dataDir);
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `# Written by k8ts; rewritten at every start.
version = 2
root = ${str(p.root)}
state = ${str(p.state)}
disabled_plugins = ${strArray(DISABLED_PLUGINS)}

[grpc]
  address = ${str(p.socket)}

[debug]
  level = ${str(opts.logLevel ?? 'info')}

[timeouts]
  # Fail instead of waiting forever when another containerd still holds the metadata database.
  "io.containerd.timeout.bolt.open" = "10s"

[plugins."io.containerd.internal.v1.opt"]
  path = ${str(join(p.dir, 'opt'))}

[${cri}]
  sandbox_image = ${str(opts.sandboxImage)}
  # Without CAP_SYS_RESOURCE (dropped in sandboxes like ours) no process may lower its oom_score_adj;
  # sandboxes default to -998, so runc fails with "permission denied" unless scores are clamped to
  # containerd's own (0 here). Consequence: pods' oom_score_adj is never below containerd's.
  restrict_oom_score_adj = true
  # Pod network namespaces live under our state dir, not /var/run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = ${str(opts.streamAddress ?? '127.0.0.1')}
  stream_server_port = ${str(String(opts.streamPort ?? 0))}
  enable_tls_streaming = false
  max_container_log_line_size = 16384

  [${cri}.cni]
    bin_dir = ${str(opts.cniBinDir ?? CNI_BIN_DIR)}
    conf_dir = ${str(cniConfDir(opts.dataDir))}
    max_conf_num = 1

  [${cri}.containerd]
    default_runtime_name = "runc"
    snapshotter = ${str(opts.snapshotter)}
    discard_unpacked_layers = false

    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [${cri}.containerd.runtimes.runc.options]
        # No systemd on these machines: runc drives cgroupfs directly.
        SystemdCgroup = false
        # runc's container state under our state dir rather than /run/containerd/runc.
        Root = ${str(join(p.state, 'runc'))}

  [${cri}.registry]
    config_path = ${str(p.certsDir)}
`;
}
