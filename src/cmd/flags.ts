// A tiny flag parser for `--name value`, `--name=value` and boolean `--flag`.

export interface FlagSpec {
  [name: string]: {
    type: 'string' | 'number' | 'boolean';
    default?: string | number | boolean;
    help: string;
  };
}

export type Flags = Record<string, string | number | boolean | undefined>;

export function parseFlags(args: string[], spec: FlagSpec): Flags {
  const out: Flags = {};
  for (const [k, v] of Object.entries(spec)) out[k] = v.default;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new Error(`unknown flag --${name}`);
    let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
    if (s.type === 'boolean') {
      out[name] = value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new Error(`flag --${name} needs a value`);
    }
    if (s.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new Error(`flag --${name} needs a number, not ${JSON.stringify(value)}`);
      out[name] = n;
    } else out[name] = value;
  }
  return out;
}

export function usage(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(
      ([k, v]) =>
        `  --${k}${v.type === 'boolean' ? '' : ` ${v.type.toUpperCase()}`}\t${v.help}${v.default !== undefined && v.default !== '' ? ` (default ${v.default})` : ''}`,
    )
    .join('\n');
}
