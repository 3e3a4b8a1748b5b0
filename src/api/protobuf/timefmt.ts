// JSON forms of metav1.Time / MicroTime (RFC 3339 in UTC) and metav1.Duration (Go's time.Duration text).

import { K8tsError } from '../../errors.js';

const NANOS_PER_SECOND = 1_000_000_000n;

/** `2024-01-02T03:04:05Z` (Time) or `2024-01-02T03:04:05.123456Z` (MicroTime). */
export function formatTimestamp(seconds: bigint, nanos: number, micro: boolean): string {
  const iso = new Date(Number(seconds) * 1000).toISOString(); // 2024-01-02T03:04:05.000Z
  const base = iso.slice(0, 19);
  if (!micro) return `${base}Z`;
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** Parses an RFC 3339 time into Unix seconds and nanoseconds (fractions beyond ns are cut). */
export function parseTimestamp(text: string): { seconds: bigint; nanos: number } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9})\d*)?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  const ms = m ? Date.parse(`${m[1]}${m[3].toUpperCase()}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) throw new K8tsError('BadRequest', `invalid RFC 3339 time '${text}'`);
  return { seconds: BigInt(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

const UNITS: ReadonlyArray<[string, bigint]> = [
  ['h', 3600n * NANOS_PER_SECOND],
  ['m', 60n * NANOS_PER_SECOND],
  ['s', NANOS_PER_SECOND],
  ['ms', 1_000_000n],
  ['us', 1_000n],
  ['µs', 1_000n],
  ['μs', 1_000n],
  ['ns', 1n],
];

/** Go's time.Duration.String(): `1h2m3.5s`, `1.5ms`, `0s`. */
export function formatDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const sign = nanos < 0n ? '-' : '';
  const d = nanos < 0n ? -nanos : nanos;
  if (d < NANOS_PER_SECOND) {
    const [unit, size] = d < 1_000n ? ['ns', 1n] : d < 1_000_000n ? ['µs', 1_000n] : ['ms', 1_000_000n];
    return `${sign}${fraction(d, size)}${unit}`;
  }
  const hours = d / (3600n * NANOS_PER_SECOND);
  const minutes = (d / (60n * NANOS_PER_SECOND)) % 60n;
  const secs = fraction(d % (60n * NANOS_PER_SECOND), NANOS_PER_SECOND);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${secs}s`;
  if (minutes > 0n) return `${sign}${minutes}m${secs}s`;
  return `${sign}${secs}s`;
}

/** `value / unit` as a decimal without trailing zeros. */
function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Go's time.ParseDuration, to nanoseconds. */
export function parseDuration(text: string): bigint {
  const bad = () => new K8tsError('BadRequest', `invalid duration '${text}'`);
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw bad();
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw bad();
    s = s.slice(m[0].length);
    const unit = UNITS.find(([u]) => s.startsWith(u) && !(u === 'm' && s.startsWith('ms')));
    if (!unit) throw bad();
    s = s.slice(unit[0].length);
    const frac = m[2] ?? '';
    const scale = 10n ** BigInt(frac.length);
    total += BigInt(m[1] || '0') * unit[1] + (BigInt(frac || '0') * unit[1]) / scale;
  }
  return negative ? -total : total;
}
