// Registry hosts for image pulls: containerd reads `<dataDir>/containerd/certs.d/<host>/hosts.toml`
// (config_path in its CRI config) at every pull, so writing one takes effect without a restart. Used for
// plain-HTTP registries (a test registry on loopback) and mirrors.

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdPaths } from './containerd-config.js';

export interface RegistryHost {
  /** The registry as images name it: `127.0.0.1:5000`, `docker.io`. */
  host: string;
  /** Where to pull from instead, with its scheme (e.g. `http://127.0.0.1:5000`); defaults to https://host. */
  endpoints?: string[];
  /** Accept any TLS certificate (self-signed test registries). */
  skipVerify?: boolean;
}

const str = (s: string) => JSON.stringify(s);

export function registryHostsToml(reg: RegistryHost): string {
  const endpoints = reg.endpoints?.length ? reg.endpoints : [`https://${reg.host}`];
  let text = `# Written by k8ts.\nserver = ${str(endpoints[0])}\n`;
  for (const endpoint of endpoints) {
    text += `\n[host.${str(endpoint)}]\n  capabilities = ["pull", "resolve"]\n`;
    if (reg.skipVerify) text += '  skip_verify = true\n';
  }
  return text;
}

/** Writes (atomically) the hosts.toml for reg and returns its path. */
export function writeRegistryHost(dataDir: string, reg: RegistryHost): string {
  const dir = join(containerdPaths(dataDir).certsDir, reg.host.replace(/\//g, '_'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'hosts.toml');
  writeFileSync(`${path}.tmp`, registryHostsToml(reg));
  renameSync(`${path}.tmp`, path);
  return path;
}

export function removeRegistryHost(dataDir: string, host: string): void {
  rmSync(join(containerdPaths(dataDir).certsDir, host.replace(/\//g, '_')), { recursive: true, force: true });
}
