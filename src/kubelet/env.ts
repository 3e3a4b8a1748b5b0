// A container's environment as upstream's kubelet builds it (makeEnvironmentVariables): envFrom sources
// first (optional prefix, keys that are not valid names skipped), then env entries in order, each able to
// refer to earlier ones with $(NAME); valueFrom resolves fieldRef, resourceFieldRef, configMapKeyRef and
// secretKeyRef. A missing required reference is a CreateContainerConfigError with upstream's message.
import { parseQuantity, quantityToNumber } from '../api/quantity.js';
import type { Obj } from './refs.js';

/** The sources env resolution reads: objects from the API server (undefined when not found). */
export interface EnvSources {
  configMap(namespace: string, name: string): Promise<Obj | undefined>;
  secret(namespace: string, name: string): Promise<Obj | undefined>;
}

export interface EnvContext {
  /** The node's allocatable, used for resource limits the container does not set. */
  nodeAllocatable: Record<string, string>;
  hostIP: string;
  hostIPs: string[];
  podIP: string;
  podIPs: string[];
}

/** A reason to refuse to create the container (reported as CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
}

export interface EnvResult {
  env: { key: string; value: string }[];
  /** envFrom keys that were skipped for not being valid variable names. */
  invalidKeys: string[];
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Expands $(VAR) references from vars; $$ escapes a dollar; unknown references stay as written (upstream's
 * expansion.MappingFuncFor semantics).
 */
export function expandVars(input: string, vars: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      out += vars.has(name) ? vars.get(name) : `$(${name})`;
      i = end;
    } else {
      out += ch;
    }
  }
  return out;
}

function label(map: Record<string, string> | undefined, path: string, prefix: string): string | undefined {
  const m = new RegExp(`^${prefix}\\['(.*)'\\]$`).exec(path);
  return m ? (map?.[m[1]] ?? '') : undefined;
}

/** metadata.name, metadata.labels['k'], status.podIP, ... as upstream's podFieldSelectorRuntimeValue. */
export function fieldRefValue(pod: Obj, path: string, ctx: EnvContext): string {
  const md = pod.metadata ?? {};
  switch (path) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return ctx.hostIP;
    case 'status.hostIPs':
      return ctx.hostIPs.join(',');
    case 'status.podIP':
      return ctx.podIP;
    case 'status.podIPs':
      return ctx.podIPs.join(',');
    case 'metadata.labels':
      return formatMap(md.labels);
    case 'metadata.annotations':
      return formatMap(md.annotations);
  }
  const v =
    label(md.labels, path, 'metadata\\.labels') ?? label(md.annotations, path, 'metadata\\.annotations');
  if (v !== undefined) return v;
  throw new ContainerConfigError(`unsupported fieldRef ${JSON.stringify(path)}`);
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/**
 * limits.cpu, requests.memory, ... divided by the divisor and rounded up (upstream's
 * ExtractContainerResourceValue); a limit the container does not set is the node's allocatable.
 */
export function resourceFieldValue(container: Obj, ref: Obj, ctx: EnvContext): string {
  const resource: string = ref.resource ?? '';
  const [kind, name] = resource.split('.', 2) as [string, string];
  const divisorQ = parseQuantity(ref.divisor ?? '') ?? undefined;
  let divisor = divisorQ ? quantityToNumber(divisorQ) : 1;
  if (!(divisor > 0)) divisor = 1;
  if ((kind !== 'limits' && kind !== 'requests') || !name)
    throw new ContainerConfigError(`unsupported container resource: ${JSON.stringify(resource)}`);
  let raw: string | undefined = container.resources?.[kind]?.[name];
  if (raw === undefined && kind === 'limits') raw = ctx.nodeAllocatable[name];
  raw ??= '0';
  const q = parseQuantity(raw);
  const value = q ? quantityToNumber(q) : 0;
  return String(Math.ceil(value / divisor - 1e-9));
}

function keyNotFound(
  kind: 'ConfigMap' | 'Secret',
  ns: string,
  name: string,
  key: string,
): ContainerConfigError {
  return new ContainerConfigError(`couldn't find key ${key} in ${kind} ${ns}/${name}`);
}

function notFound(kind: 'configmap' | 'secret', name: string): ContainerConfigError {
  return new ContainerConfigError(`${kind} ${JSON.stringify(name)} not found`);
}

function dataOf(obj: Obj, secret: boolean): Map<string, string> {
  const out = new Map<string, string>();
  if (secret) {
    for (const [k, v] of Object.entries<string>(obj.data ?? {}))
      out.set(k, Buffer.from(v, 'base64').toString('utf8'));
    for (const [k, v] of Object.entries<string>(obj.stringData ?? {})) out.set(k, v);
  } else {
    for (const [k, v] of Object.entries<string>(obj.data ?? {})) out.set(k, v);
    for (const [k, v] of Object.entries<string>(obj.binaryData ?? {}))
      out.set(k, Buffer.from(v, 'base64').toString('utf8'));
  }
  return out;
}

export async function resolveEnv(
  pod: Obj,
  container: Obj,
  sources: EnvSources,
  ctx: EnvContext,
): Promise<EnvResult> {
  const ns: string = pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  const invalidKeys: string[] = [];

  for (const from of container.envFrom ?? []) {
    const prefix: string = from.prefix ?? '';
    const cmRef = from.configMapRef;
    const secRef = from.secretRef;
    const ref = cmRef ?? secRef;
    if (!ref) continue;
    const isSecret = !cmRef;
    const obj = isSecret ? await sources.secret(ns, ref.name) : await sources.configMap(ns, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw notFound(isSecret ? 'secret' : 'configmap', ref.name);
    }
    for (const [k, v] of dataOf(obj, isSecret)) {
      const name = prefix + k;
      if (!ENV_NAME.test(name)) {
        invalidKeys.push(k);
        continue;
      }
      vars.set(name, v);
    }
  }

  for (const e of container.env ?? []) {
    const name: string = e.name;
    let value: string | undefined;
    if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.fieldRef) value = fieldRefValue(pod, vf.fieldRef.fieldPath, ctx);
      else if (vf.resourceFieldRef) {
        const target = vf.resourceFieldRef.containerName
          ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
              (c: Obj) => c.name === vf.resourceFieldRef.containerName,
            )
          : container;
        value = resourceFieldValue(target ?? container, vf.resourceFieldRef, ctx);
      } else if (vf.configMapKeyRef || vf.secretKeyRef) {
        const isSecret = !vf.configMapKeyRef;
        const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
        const obj = isSecret ? await sources.secret(ns, ref.name) : await sources.configMap(ns, ref.name);
        if (!obj) {
          if (ref.optional) continue;
          throw notFound(isSecret ? 'secret' : 'configmap', ref.name);
        }
        const data = dataOf(obj, isSecret);
        if (!data.has(ref.key)) {
          if (ref.optional) continue;
          throw keyNotFound(isSecret ? 'Secret' : 'ConfigMap', ns, ref.name, ref.key);
        }
        value = data.get(ref.key);
      }
    } else {
      value = expandVars(e.value ?? '', vars);
    }
    vars.set(name, value ?? '');
  }
  return { env: [...vars].map(([key, value]) => ({ key, value })), invalidKeys };
}

/** command and args with $(VAR) references expanded from the container's environment. */
export function expandCommand(
  container: Obj,
  env: { key: string; value: string }[],
): { command?: string[]; args?: string[] } {
  const vars = new Map(env.map((e) => [e.key, e.value]));
  return {
    command: container.command?.map((c: string) => expandVars(c, vars)),
    args: container.args?.map((a: string) => expandVars(a, vars)),
  };
}
