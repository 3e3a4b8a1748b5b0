// resource.Quantity: parsing, exact comparison and upstream's canonical string form.
// A quantity is held as an exact rational: num / 10^scale10 (num a BigInt), so "1.5Gi" and "1536Mi" compare
// equal and "100m" prints back as "100m".

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** value = num * 10^exp10 (exp10 may be negative). */
  num: bigint;
  exp10: number;
  format: QuantityFormat;
}

const QUANTITY_RE = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** Parses a quantity string; undefined when it is not one (upstream: ErrFormatWrong). */
export function parseQuantity(input: unknown): Quantity | undefined {
  if (typeof input === 'number') input = String(input);
  if (typeof input !== 'string') return undefined;
  const m = QUANTITY_RE.exec(input.trim() === input ? input : '');
  if (!m) return undefined;
  const [, sign, digits, suffix = ''] = m;
  const [intPart, fracPart = ''] = digits.split('.');
  let num = BigInt((intPart || '0') + fracPart);
  if (sign === '-') num = -num;
  let exp10 = -fracPart.length;
  let format: QuantityFormat = 'DecimalSI';
  if (suffix in BINARY_SUFFIX) {
    num *= 2n ** BigInt(BINARY_SUFFIX[suffix]);
    format = 'BinarySI';
  } else if (suffix in DECIMAL_SUFFIX) {
    exp10 += DECIMAL_SUFFIX[suffix];
  } else {
    exp10 += Number.parseInt(suffix.slice(1), 10);
    format = 'DecimalExponent';
  }
  return normalize({ num, exp10, format });
}

/** Strips trailing zeros into the exponent so equal values have equal (num, exp10). */
function normalize(q: Quantity): Quantity {
  let { num, exp10 } = q;
  if (num === 0n) return { num: 0n, exp10: 0, format: q.format };
  while (num % 10n === 0n) {
    num /= 10n;
    exp10++;
  }
  return { num, exp10, format: q.format };
}

export function isQuantity(s: unknown): boolean {
  return parseQuantity(s) !== undefined;
}

/** -1, 0 or 1 like Quantity.Cmp. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const e = Math.min(a.exp10, b.exp10);
  const x = a.num * 10n ** BigInt(a.exp10 - e);
  const y = b.num * 10n ** BigInt(b.exp10 - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const e = Math.min(a.exp10, b.exp10);
  const num = a.num * 10n ** BigInt(a.exp10 - e) + b.num * 10n ** BigInt(b.exp10 - e);
  return normalize({ num, exp10: e, format: a.format });
}

export function isNegative(q: Quantity): boolean {
  return q.num < 0n;
}

/**
 * Upstream rounds values to nano precision (scale -9) on parse; we keep that too when printing, rounding up
 * like Quantity.RoundUp.
 */
function roundUpToNano(q: Quantity): Quantity {
  if (q.exp10 >= -9) return q;
  const drop = 10n ** BigInt(-9 - q.exp10);
  let n = q.num / drop;
  if (n * drop !== q.num && q.num > 0n) n += 1n;
  return normalize({ num: n, exp10: -9, format: q.format });
}

/** Quantity.String(): the canonical form upstream prints (e.g. "0.5" -> "500m", "2048Mi" -> "2Gi"). */
export function canonicalQuantity(q: Quantity): string {
  q = roundUpToNano(q);
  if (q.num === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    // Values under 1024 and fractional values print as DecimalSI (exactly as upstream avoids rounding).
    const small = q.exp10 >= 0 ? absBig(q.num) * 10n ** BigInt(q.exp10) < 1024n : true;
    if (small) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let n = q.num * 10n ** BigInt(q.exp10);
    let exp2 = 0;
    while (exp2 < 60 && n % 1024n === 0n) {
      n /= 1024n;
      exp2 += 10;
    }
    const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
    return `${n}${suffixes[exp2 / 10]}`;
  }
  // Decimal: mantissa integer, exponent a multiple of 3 (the largest that keeps the mantissa whole).
  let num = q.num;
  let exp = q.exp10;
  const rem = ((exp % 3) + 3) % 3;
  num *= 10n ** BigInt(rem);
  exp -= rem;
  if (format === 'DecimalExponent') return exp === 0 ? `${num}` : `${num}e${exp}`;
  const suffix: Record<number, string> = {
    [-9]: 'n',
    [-6]: 'u',
    [-3]: 'm',
    0: '',
    3: 'k',
    6: 'M',
    9: 'G',
    12: 'T',
    15: 'P',
    18: 'E',
  };
  while (exp > 18) {
    num *= 1000n;
    exp -= 3;
  }
  return `${num}${suffix[exp]}`;
}

function absBig(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** Canonical string of a quantity string; the input itself when it does not parse. */
export function canonicalQuantityString(s: string): string {
  const q = parseQuantity(s);
  return q ? canonicalQuantity(q) : s;
}

/** The value as a JS number (approximate), for scoring and display only. */
export function quantityToNumber(q: Quantity): number {
  return Number(q.num) * 10 ** q.exp10;
}
