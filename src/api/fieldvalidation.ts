// Schema-driven field validation, as upstream's `fieldValidation=Strict|Warn|Ignore` sees it:
// unknown fields (not in the type's schema) and duplicate fields (the same key twice in one JSON or
// YAML object, which JSON.parse silently collapses). Paths are printed as upstream prints them:
// `spec.containers[0].imagePullPolcy`, map keys joined with dots.
import { isMap, isScalar, isSeq, type Node, parseDocument } from 'yaml';
import { resolve, type Schema } from './schema.js';

/** Paths of fields in `obj` that the schema does not know. */
export function unknownFields(obj: unknown, schema: string | Schema): string[] {
  const out: string[] = [];
  walk(obj, resolve(schema), [], out, false);
  return out;
}

/**
 * Like unknownFields, and removes those fields from `obj` in place: what a typed decoder drops, so
 * that nothing unknown is ever stored (upstream's Warn and Ignore modes behave this way).
 */
export function pruneUnknownFields(obj: unknown, schema: string | Schema): string[] {
  const out: string[] = [];
  walk(obj, resolve(schema), [], out, true);
  return out;
}

type Segment = string | number;

function walk(value: unknown, s: Schema, path: Segment[], out: string[], prune: boolean): void {
  if (value === null || typeof value !== 'object') return;
  // Unknown keys are kept where the schema says so; known properties below are still checked.
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (Array.isArray(value)) {
    if (!s.items) return;
    const item = resolve(s.items);
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walk(value[i], item, path, out, prune);
      path.pop();
    }
    return;
  }
  const rec = value as Record<string, unknown>;
  const ap = typeof s.additionalProperties === 'object' ? resolve(s.additionalProperties) : undefined;
  if (!s.properties && !ap) return; // no structure known (e.g. a free-form object)
  for (const key of Object.keys(rec)) {
    const prop = s.properties?.[key];
    const child = prop ? resolve(prop) : ap;
    path.push(key);
    if (child) walk(rec[key], child, path, out, prune);
    else if (!preserve) {
      out.push(formatPath(path));
      if (prune) delete rec[key];
    }
    path.pop();
  }
}

/** ['spec', 'containers', 0, 'name'] -> `spec.containers[0].name`. */
export function formatPath(path: readonly Segment[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s ? `.${seg}` : seg;
  }
  return s;
}

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Paths of keys that appear more than once in the same object of a JSON text (each repeat reported
 * once per occurrence after the first). The text should be valid JSON; scanning stops quietly at the
 * first syntax error (the decoder reports that).
 */
export function duplicateFields(json: string): string[] {
  const out: string[] = [];
  const n = json.length;
  const path: Segment[] = [];
  let i = 0;
  let nextSlash = -1; // position of the next backslash at or after i (n: none), refreshed lazily

  const skipWs = () => {
    while (i < n && isWs(json.charCodeAt(i))) i++;
  };
  const readString = (): string => {
    const start = i;
    // Fast path: the closing quote with no backslash before it.
    const close = json.indexOf('"', start + 1);
    if (close < 0) throw new SyntaxError('unterminated string');
    if (nextSlash <= start) {
      nextSlash = json.indexOf('\\', start + 1);
      if (nextSlash < 0) nextSlash = n;
    }
    if (nextSlash > close) {
      i = close + 1;
      return json.slice(start + 1, close);
    }
    i++;
    for (;;) {
      if (i >= n) throw new SyntaxError('unterminated string');
      const c = json.charCodeAt(i);
      if (c === 0x22) break; // "
      i += c === 0x5c ? 2 : 1; // a backslash escapes the next character
    }
    i++;
    return JSON.parse(json.slice(start, i)) as string;
  };
  const value = (): void => {
    skipWs();
    const c = json.charCodeAt(i);
    if (c === 0x7b) object();
    else if (c === 0x5b) array();
    else if (c === 0x22) readString();
    else {
      while (i < n) {
        const d = json.charCodeAt(i);
        if (d === 0x2c || d === 0x7d || d === 0x5d || isWs(d)) break;
        i++;
      }
    }
  };
  const object = (): void => {
    i++; // {
    skipWs();
    if (json.charCodeAt(i) === 0x7d) {
      i++;
      return;
    }
    const seen = new Set<string>();
    for (;;) {
      skipWs();
      if (json.charCodeAt(i) !== 0x22) throw new SyntaxError('expected key');
      const key = readString();
      skipWs();
      if (json.charCodeAt(i++) !== 0x3a) throw new SyntaxError('expected colon');
      path.push(key);
      if (seen.has(key)) out.push(formatPath(path));
      else seen.add(key);
      value();
      path.pop();
      skipWs();
      const c = json.charCodeAt(i++);
      if (c === 0x2c) continue;
      if (c === 0x7d) return;
      throw new SyntaxError('expected , or }');
    }
  };
  const array = (): void => {
    i++; // [
    skipWs();
    if (json.charCodeAt(i) === 0x5d) {
      i++;
      return;
    }
    for (let idx = 0; ; idx++) {
      path.push(idx);
      value();
      path.pop();
      skipWs();
      const c = json.charCodeAt(i++);
      if (c === 0x2c) continue;
      if (c === 0x5d) return;
      throw new SyntaxError('expected , or ]');
    }
  };

  try {
    value();
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  return out;
}

/** Duplicate keys in a YAML document (first document of the text), as paths. */
export function duplicateFieldsYaml(text: string): string[] {
  const doc = parseDocument(text, { uniqueKeys: false });
  const out: string[] = [];
  const path: Segment[] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = pair.key;
        const key = isScalar(k) ? String(k.value) : String(k);
        path.push(key);
        if (seen.has(key)) out.push(formatPath(path));
        else seen.add(key);
        visit(pair.value);
        path.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, idx) => {
        path.push(idx);
        visit(item as Node);
        path.pop();
      });
    }
  };
  visit(doc.contents);
  return out;
}

/** Upstream's per-field texts, used both for Warning headers and for the Strict error. */
export function fieldProblems(unknown: readonly string[], duplicates: readonly string[]): string[] {
  return [...unknown.map((p) => `unknown field "${p}"`), ...duplicates.map((p) => `duplicate field "${p}"`)];
}

/** The message of upstream's 400 for fieldValidation=Strict: `strict decoding error: unknown field "spec.foo", ...`. */
export function strictDecodingError(unknown: readonly string[], duplicates: readonly string[]): string {
  return `strict decoding error: ${fieldProblems(unknown, duplicates).join(', ')}`;
}
