// Semantic equality of decoded JSON values, in the spirit of upstream's apiequality.Semantic.DeepEqual:
// an absent field, null, "", 0, false, [] and {} all read as the Go zero value, so two objects that differ
// only in how a zero value was spelled are equal.

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).every((k) => isZero((v as any)[k]));
  return false;
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual((a as any)[k], (b as any)[k])) return false;
    return true;
  }
  // Quantities and numbers given as strings ("1" vs 1) are not unified here on purpose.
  return false;
}

/** Paths (dotted, with [i]) where two values differ semantically; used to explain forbidden updates. */
export function diffPaths(a: unknown, b: unknown, base = '', out: string[] = [], limit = 20): string[] {
  if (out.length >= limit || semanticEqual(a, b)) return out;
  const bothObjects =
    typeof a === 'object' &&
    typeof b === 'object' &&
    a !== null &&
    b !== null &&
    Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) {
    out.push(base || '.');
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      out.push(base || '.');
      return out;
    }
    a.forEach((x, i) => {
      diffPaths(x, b[i], `${base}[${i}]`, out, limit);
    });
    return out;
  }
  const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
  for (const k of keys) diffPaths((a as any)[k], (b as any)[k], base ? `${base}.${k}` : k, out, limit);
  return out;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
