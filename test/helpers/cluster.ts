// Runs a real `k8ts server` process for e2e tests and drives it with the real kubectl binaries.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const K8TS_BIN = resolve('dist/src/cmd/k8ts.js');
export const KUBECTL_VERSIONS = ['1.27', '1.33'] as const;
export type KubectlVersion = '1.27' | '1.28' | '1.29' | '1.30' | '1.31' | '1.32' | '1.33';

export function kubectlPath(v: KubectlVersion): string {
  return `/usr/lib/google-cloud-sdk/bin/kubectl.${v}`;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Cluster {
  url: string;
  dataDir: string;
  kubeconfig: string;
  pid: number;
  process: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  kubectl(
    v: KubectlVersion,
    args: string[],
    opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<KubectlResult>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  args?: string[];
  /** Use (and keep) this data dir; by default a temp dir removed by stop(). */
  dataDir?: string;
  /** Run the local node agent too (default false: control plane only, `--disable-agent`). */
  agent?: boolean;
}

/**
 * A Service range of its own for a test cluster with a node: each node's kube-proxy programs the host, so two
 * test clusters running at once must not both claim the same cluster IPs (10.43.0.1 above all).
 */
function testServiceCidr(): string {
  testServiceCidrs++;
  return `10.96.${(process.pid * 7 + testServiceCidrs) % 256}.0/24`;
}
let testServiceCidrs = 0;

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'k8ts-e2e-'));
  const serviceCidr =
    opts.agent && !(opts.args ?? []).includes('--service-cidr') ? ['--service-cidr', testServiceCidr()] : [];
  const child = spawn(
    process.execPath,
    [
      K8TS_BIN,
      'server',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      ...(opts.agent ? [] : ['--disable-agent']),
      ...serviceCidr,
      ...(opts.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`k8ts server did not become ready:\n${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = output.match(/API server ready at (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`k8ts server exited with ${code}:\n${output}`));
    });
  });
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  readFileSync(kubeconfig); // written before "ready" is printed
  const cluster: Cluster = {
    url,
    dataDir,
    kubeconfig,
    pid: child.pid!,
    process: child,
    output: () => output,
    kubectl(v, args, o = {}) {
      return new Promise((res) => {
        const p = execFile(
          kubectlPath(v),
          ['--kubeconfig', kubeconfig, ...args],
          {
            env: { PATH: process.env.PATH, HOME: dataDir, ...o.env },
            timeout: o.timeoutMs ?? 30_000,
            maxBuffer: 64 << 20,
          },
          (err, stdout, stderr) => {
            const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
            res({ code, stdout, stderr });
          },
        );
        if (o.input !== undefined) p.stdin!.end(o.input);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid!, 'SIGTERM');
        const t = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return cluster;
}
