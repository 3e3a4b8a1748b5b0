// A reader for the Prometheus text exposition format (version 0.0.4), enough for the kubelet's
// /metrics/resource: sample lines `name{label="value",...} value [timestamp_ms]`; comments are skipped.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carries one. */
  timestampMs?: number;
}

export class ExpositionError extends Error {}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      out.push(parseLine(line));
    } catch (err) {
      throw new ExpositionError(`line ${n + 1}: ${(err as Error).message}: ${line.slice(0, 200)}`);
    }
  }
  return out;
}

function parseLine(line: string): Sample {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i])) i++;
  const name = line.slice(0, i);
  if (!name || /^[0-9]/.test(name)) throw new Error('bad metric name');
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const start = i;
      while (i < line.length && /[a-zA-Z0-9_]/.test(line[i])) i++;
      const key = line.slice(start, i);
      if (!key || line[i] !== '=' || line[i + 1] !== '"') throw new Error('bad label');
      i += 2;
      let value = '';
      for (;;) {
        if (i >= line.length) throw new Error('unterminated label value');
        const c = line[i++];
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i++];
          value += e === 'n' ? '\n' : e;
        } else value += c;
      }
      labels[key] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new Error('expected a value');
  const value = parseValue(rest[0]);
  const sample: Sample = { name, labels, value };
  if (rest.length === 2) {
    const ts = Number(rest[1]);
    if (!Number.isInteger(ts)) throw new Error('bad timestamp');
    sample.timestampMs = ts;
  }
  return sample;
}

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  if (s === 'NaN') return Number.NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`bad value ${JSON.stringify(s)}`);
  return v;
}
