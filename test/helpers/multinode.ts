// Several real k8ts nodes on one machine, as kind does with containers: a test bridge in the root network
// namespace carries the API server's address, and each node is a network namespace of its own (`ip netns`)
// joined to that bridge by a veth, running `k8ts agent` (and so its own containerd, CNI bridge, iptables
// and nftables) inside it. Pod and node addresses never leave the machine.
//
// Agents enter only the node's network namespace (`nsenter --net`), not the mount namespace `ip netns exec`
// makes: containerd's mounts (rootfs, pod netns files, volumes) then stay visible to the test, a restarted
// agent adopts the containers it left, and /sys/fs/cgroup stays mounted for runc.
//
// A forward rule in the root namespace keeps the nodes' traffic on the test bridge.
//
// Teardown kills every process by pid (agents, their containerds and shims, the pods' processes found in
// each node's cgroup), unmounts, deletes the namespaces, veths and bridge and removes the data dirs. It is
// synchronous so that it also runs from a process 'exit' handler when a test run is cut short.

import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupPids, removeCgroup } from '../../src/kubelet/cgroups.js';
import { type Cluster, K8TS_BIN, type KubectlResult, type KubectlVersion, startCluster } from './cluster.js';
import { eventually } from './eventually.js';
import { mountsUnder, runtimeSkipReason } from './node-runtime.js';

type Obj = Record<string, any>;

/** Why multi-node tests cannot run here, or null when they can. */
export function multiNodeSkipReason(): string | null {
  const runtime = runtimeSkipReason();
  if (runtime) return runtime;
  for (const bin of ['/usr/sbin/ip', '/usr/bin/nsenter', '/usr/sbin/nft']) {
    if (!existsSync(bin)) return `${bin} is missing (apt-get install iproute2 util-linux nftables)`;
  }
  return null;
}

export interface MultiNodeOptions {
  /** How many nodes (default 2). */
  nodes?: number;
  /** Extra `k8ts server` flags (e.g. short --node-monitor-grace-period). */
  serverArgs?: string[];
  /** Extra `k8ts agent` flags, for every node or per node. */
  agentArgs?: string[] | ((node: { name: string; ip: string }) => string[]);
  /** Cluster CIDR the node podCIDRs come from (default 10.42.0.0/16; only routed inside the namespaces). */
  clusterCidr?: string;
  /** Wait until every node is Ready (default true). */
  waitReady?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestNode {
  /** The Node's name, e.g. mn-1. */
  name: string;
  /** Its address on the test bridge (the Node's InternalIP). */
  ip: string;
  /** The network namespace (`ip netns` name) it runs in. */
  netns: string;
  dataDir: string;
  cgroupRoot: string;
  /** The agent's pid, or 0 when it is not running. */
  readonly pid: number;
  /** Everything the current (or last) agent printed. */
  output(): string;
  /** Starts the agent (again); resolves once its process runs (not once the Node is Ready). */
  start(): Promise<void>;
  /** Sends a signal to the agent process only (its containerd and containers keep running). */
  signal(sig: NodeJS.Signals): void;
  /** SIGKILLs the agent and waits for it to exit; containers keep running, as on a node failure. */
  kill(): Promise<void>;
  /** Runs a command inside the node's network namespace. */
  exec(cmd: string, args: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
}

export interface MultiNode {
  cluster: Cluster;
  /** http://GATEWAY:PORT, the API server as nodes (and the kubeconfig) see it. */
  url: string;
  bridge: string;
  /** The API server's address on the test bridge, the nodes' default gateway. */
  gateway: string;
  nodes: TestNode[];
  node(name: string): TestNode;
  kubectl(
    v: KubectlVersion,
    args: string[],
    opts?: { input?: string; timeoutMs?: number },
  ): Promise<KubectlResult>;
  /** A REST call to the API server (JSON in and out). */
  api(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<{ status: number; body: any }>;
  /** Waits until the named nodes (default: all) report Ready=True. */
  waitReady(names?: string[], timeoutMs?: number): Promise<void>;
  /** Stops everything and removes every trace; safe to call twice. */
  stop(): Promise<void>;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

function quiet(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore' });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Pids whose command line mentions dir: an agent's --data-dir, its containerd's config, its shims' socket. */
export function pidsMentioning(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a === dir || a.startsWith(`${dir}/`))) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** A free 10.99.X.0/24 for the test bridge (X from our pid; skips subnets an interface already uses). */
function pickSubnet(): number {
  const inUse = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (let i = 0; i < 250; i++) {
    const x = (process.pid + i) % 250;
    if (!inUse.includes(` 10.99.${x}.`)) return x;
  }
  throw new Error('no free 10.99.X.0/24 for the multi-node test bridge');
}

export async function startMultiNode(opts: MultiNodeOptions = {}): Promise<MultiNode> {
  const count = opts.nodes ?? 2;
  const tag = `${process.pid % 100000}`;
  const bridge = `k8tsmn${tag}`;
  const x = pickSubnet();
  const gateway = `10.99.${x}.1`;
  const root = mkdtempSync(join(tmpdir(), 'k8ts-mn-'));
  const clusterCidr = opts.clusterCidr ?? '10.42.0.0/16';

  const nodes: (TestNode & { proc: ChildProcess | null; hostVeth: string })[] = [];
  let cluster: Cluster | undefined;
  let stopped = false;

  // Everything below is undone by teardown(), whichever step failed.
  const teardown = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', teardown);
    for (const n of nodes) if (n.proc?.pid) killPid(n.proc.pid);
    for (const n of nodes) {
      // Agents, containerds and shims name the node's data dir; the pods' processes sit in its cgroups
      // (a `runc init` whose shim is gone among them). Repeat: a dying shim may leave a child behind.
      for (let round = 0; round < 20; round++) {
        const pids = [...pidsMentioning(n.dataDir), ...cgroupPids(n.cgroupRoot)].filter(alive);
        if (pids.length === 0) break;
        for (const pid of pids) killPid(pid);
        sleepSync(50);
      }
      for (const mp of mountsUnder(n.dataDir)) {
        if (spawnSync('umount', [mp], { stdio: 'ignore' }).status !== 0) quiet('umount', ['-l', mp]);
      }
      removeCgroup(n.cgroupRoot);
      quiet('ip', ['netns', 'delete', n.netns]);
      quiet('ip', ['link', 'delete', n.hostVeth]);
    }
    if (cluster && cluster.process.exitCode === null && cluster.process.signalCode === null) {
      killPid(cluster.pid);
    }
    quiet('ip', ['link', 'delete', bridge]);
    quiet('nft', ['delete', 'table', 'inet', bridge]);
    if (mountsUnder(root).length === 0) rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', teardown);

  try {
    run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    run('ip', ['addr', 'add', `${gateway}/24`, 'dev', bridge]);
    run('ip', ['link', 'set', bridge, 'up']);
    // Nothing from the nodes is forwarded beyond the test bridge (nor into it): no traffic leaves the machine.
    const fence = spawnSync('nft', ['-f', '-'], {
      input: `table inet ${bridge} {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${bridge}" oifname != "${bridge}" counter drop
    oifname "${bridge}" iifname != "${bridge}" counter drop
  }
}
`,
      encoding: 'utf8',
    });
    if (fence.status !== 0) throw new Error(`nft: ${fence.stderr}`);

    const serverDir = join(root, 'server');
    mkdirSync(serverDir);
    cluster = await startCluster({
      dataDir: serverDir,
      args: ['--bind-address', gateway, '--cluster-cidr', clusterCidr, ...(opts.serverArgs ?? [])],
    });
    const url = cluster.url;

    for (let i = 1; i <= count; i++) {
      const name = `mn-${i}`;
      const netns = `k8tsmn${tag}-${i}`;
      const hostVeth = `mn${tag}v${i}`;
      const ip = `10.99.${x}.${i + 1}`;
      const dataDir = join(root, name);
      mkdirSync(dataDir);
      run('ip', ['netns', 'add', netns]);
      const node = {
        name,
        ip,
        netns,
        dataDir,
        cgroupRoot: `/k8ts-mn${tag}-${i}`,
        hostVeth,
        proc: null as ChildProcess | null,
        get pid() {
          const p = node.proc;
          return p && p.exitCode === null && p.signalCode === null ? (p.pid ?? 0) : 0;
        },
        output: () =>
          existsSync(join(dataDir, 'agent.log')) ? readFileSync(join(dataDir, 'agent.log'), 'utf8') : '',
        async start() {
          if (node.pid) throw new Error(`the agent of ${name} is already running`);
          const log = openSync(join(dataDir, 'agent.log'), 'a');
          try {
            node.proc = spawn(
              'nsenter',
              [
                `--net=/run/netns/${netns}`,
                '--',
                process.execPath,
                K8TS_BIN,
                'agent',
                '--server',
                url,
                '--data-dir',
                dataDir,
                '--node-name',
                name,
                '--node-ip',
                ip,
                '--cgroup-root',
                node.cgroupRoot,
                ...(typeof opts.agentArgs === 'function'
                  ? opts.agentArgs({ name, ip })
                  : (opts.agentArgs ?? [])),
              ],
              { stdio: ['ignore', log, log] },
            );
          } finally {
            closeSync(log);
          }
          await new Promise<void>((res, rej) => {
            node.proc!.once('spawn', () => res());
            node.proc!.once('error', rej);
          });
        },
        signal(sig: NodeJS.Signals) {
          if (!node.pid) throw new Error(`the agent of ${name} is not running`);
          process.kill(node.pid, sig);
        },
        async kill() {
          const p = node.proc;
          if (!p || !node.pid) return;
          const exited = new Promise((r) => p.once('exit', r));
          process.kill(p.pid!, 'SIGKILL');
          await exited;
        },
        exec: (cmd: string, args: string[], o: { timeoutMs?: number } = {}) => nsExec(netns, cmd, args, o),
      };
      nodes.push(node);
      // The node's link: eth0 inside the namespace, the other end on the test bridge.
      run('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      run('ip', ['link', 'set', hostVeth, 'master', bridge, 'up']);
      run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      run('ip', ['-n', netns, 'route', 'add', 'default', 'via', gateway]);
      await node.start();
    }

    const mn: MultiNode = {
      cluster,
      url,
      bridge,
      gateway,
      nodes,
      node(name) {
        const n = nodes.find((m) => m.name === name);
        if (!n) throw new Error(`no test node ${name}`);
        return n;
      },
      kubectl: (v, args, o = {}) => cluster!.kubectl(v, args, { timeoutMs: 60_000, ...o }),
      async api(method, path, body, contentType = 'application/json') {
        const res = await fetch(url + path, {
          method,
          headers: body === undefined ? {} : { 'content-type': contentType },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      },
      async waitReady(names = nodes.map((n) => n.name), timeoutMs = 60_000) {
        await eventually(
          `nodes ${names.join(', ')} Ready`,
          async () => {
            const { body } = await mn.api('GET', '/api/v1/nodes');
            const ready = new Set(
              (body?.items ?? [])
                .filter((n: Obj) =>
                  n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True'),
                )
                .map((n: Obj) => n.metadata.name),
            );
            return names.every((n) => ready.has(n)) ? true : undefined;
          },
          { timeoutMs },
        ).catch((err) => {
          const logs = names.map((n) => `--- ${n} agent ---\n${mn.node(n).output().slice(-3000)}`).join('\n');
          throw new Error(`${(err as Error).message}\n${logs}`);
        });
      },
      async stop() {
        if (stopped) return;
        await cluster?.stop();
        teardown();
      },
    };
    if (opts.waitReady ?? true) await mn.waitReady();
    return mn;
  } catch (err) {
    teardown();
    throw err;
  }
}

/** Runs a command inside a network namespace (the root mount namespace, like the agents). */
export function nsExec(
  netns: string,
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<ExecResult> {
  return new Promise((res) => {
    execFile(
      'nsenter',
      [`--net=/run/netns/${netns}`, '--', cmd, ...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        res({ code, stdout, stderr });
      },
    );
  });
}
