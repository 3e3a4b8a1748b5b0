import { list } from './guards.js';
// Field errors shaped like upstream's k8s.io/apimachinery/pkg/util/validation/field: each constructor
// renders the detail text (`message`) exactly as ErrorBody() does, so Status causes read the same.
import type { FieldError } from './types.js';

/** Go's %q for the strings we see in practice (JSON escaping matches it for printable text). */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** Renders a bad value the way upstream's ErrorBody prints it (numbers/bools bare, strings quoted). */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (isStringMap(value)) return goStringMap(value);
  return JSON.stringify(value);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string') &&
    Object.keys(v).length > 0
  );
}

/** Go's %#v of a map[string]string: keys sorted, `map[string]string{"a":"b", "c":"d"}`. */
export function goStringMap(m: Record<string, string>): string {
  const parts = Object.keys(m)
    .sort()
    .map((k) => `${quote(k)}:${quote(m[k])}`);
  return `map[string]string{${parts.join(', ')}}`;
}

/** Go's %#v of a metav1.LabelSelector, as upstream prints an immutable selector. */
export function goLabelSelector(sel: any): string {
  const ml =
    sel?.matchLabels && Object.keys(sel.matchLabels).length > 0
      ? goStringMap(sel.matchLabels)
      : 'map[string]string(nil)';
  const exprs: any[] = list(sel?.matchExpressions);
  const me =
    exprs.length === 0
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map(
            (e) =>
              `v1.LabelSelectorRequirement{Key:${quote(e.key ?? '')}, Operator:${quote(e.operator ?? '')}, Values:${
                Array.isArray(e.values)
                  ? `[]string{${e.values.map((x: string) => quote(x)).join(', ')}}`
                  : '[]string(nil)'
              }}`,
          )
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}`;
}

/** A value already rendered (e.g. by goLabelSelector) that must be printed verbatim. */
export class Rendered {
  constructor(readonly text: string) {}
}

function body(kind: string, value: unknown, detail: string): string {
  const v = value instanceof Rendered ? value.text : formatValue(value);
  return detail ? `${kind}: ${v}: ${detail}` : `${kind}: ${v}`;
}

export function required(field: string, detail = ''): FieldError {
  return {
    type: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: body('Invalid value', value, detail) };
}

export function notSupported(field: string, value: unknown, valid: readonly string[]): FieldError {
  const detail = valid.length > 0 ? `supported values: ${valid.map(quote).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field, message: body('Unsupported value', value, detail) };
}

export function duplicate(field: string, value: unknown, detail = ''): FieldError {
  return { type: 'FieldValueDuplicate', field, message: body('Duplicate value', value, detail) };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, message: detail ? `Forbidden: ${detail}` : 'Forbidden' };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, message: body('Not found', value, '') };
}

export function tooLong(field: string, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} bytes` : 'value is too long';
  return { type: 'FieldValueTooLong', field, message: `Too long: ${detail}` };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` };
}

/** The `field: body` line upstream prints in an Invalid status message. */
export function errorString(e: FieldError): string {
  return `${e.field}: ${e.message}`;
}

/** Upstream's aggregate message for a 422: `Kind "name" is invalid: <err>` or `[err1, err2]`. */
export function invalidMessage(kind: string, name: string, errs: readonly FieldError[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const e of errs) {
    const s = errorString(e);
    if (!seen.has(s)) {
      seen.add(s);
      parts.push(s);
    }
  }
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return `${kind} "${name}" is invalid: ${list}`;
}

/** Field path helpers: child('spec', 'containers') and index(path, 0). */
export function child(base: string, ...names: string[]): string {
  let p = base;
  for (const n of names) p = p ? `${p}.${n}` : n;
  return p;
}

export function index(base: string, i: number | string): string {
  return `${base}[${i}]`;
}
