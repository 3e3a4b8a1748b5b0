// Label and field selectors with upstream's syntax and semantics.
import { K8tsError } from '../errors.js';

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: '=' | '!='; values: [string] };

export type Labels = Record<string, string> | undefined;

export interface LabelSelector {
  matches(labels: Labels): boolean;
  empty: boolean;
}

const EVERYTHING: LabelSelector = { matches: () => true, empty: true };

function badSelector(text: string, why: string): K8tsError {
  return new K8tsError(
    'BadRequest',
    `unable to parse requirement: ${why} in selector ${JSON.stringify(text)}`,
  );
}

/** Splits on commas that are not inside parentheses. */
function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

const KEY_RE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(text: string, key: string): string {
  if (!KEY_RE.test(key) || key.length > 317) throw badSelector(text, `invalid label key "${key}"`);
  return key;
}
function checkValue(text: string, value: string): string {
  if (!VALUE_RE.test(value) || value.length > 63) throw badSelector(text, `invalid label value: "${value}"`);
  return value;
}

export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  if (!text || text.trim() === '') return EVERYTHING;
  const reqs: LabelRequirement[] = [];
  for (const part of splitTop(text)) reqs.push(parseRequirement(text, part));
  return { empty: false, matches: (labels) => reqs.every((r) => requirementMatches(r, labels ?? {})) };
}

function parseRequirement(text: string, part: string): LabelRequirement {
  const set = part.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/);
  if (set) {
    const values = set[3].split(',').map((v) => v.trim());
    return {
      key: checkKey(text, set[1]),
      op: set[2] as 'in' | 'notin',
      values: values.map((v) => checkValue(text, v)),
    };
  }
  const absent = part.match(/^!\s*(\S+)$/);
  if (absent) return { key: checkKey(text, absent[1]), op: '!' };
  const eq = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/);
  if (eq)
    return { key: checkKey(text, eq[1]), op: eq[2] === '!=' ? '!=' : '=', values: [checkValue(text, eq[3])] };
  const exists = part.match(/^([^=!\s()]+)$/);
  if (exists) return { key: checkKey(text, exists[1]), op: 'exists' };
  throw badSelector(text, `found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
      return has && v === r.values[0];
    case '!=':
      return !has || v !== r.values[0];
    case 'in':
      return has && r.values.includes(v);
    case 'notin':
      return !has || !r.values.includes(v);
  }
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
  empty: boolean;
}

/** Parses `a=b,c!=d` (with `==` accepted); backslash escapes as upstream. */
export function parseFieldSelector(text: string | null | undefined): FieldSelector {
  if (!text || text.trim() === '') return { requirements: [], empty: true };
  const requirements: FieldRequirement[] = [];
  for (const part of text.split(',')) {
    const m = part.match(/^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/);
    if (!m)
      throw new K8tsError(
        'BadRequest',
        `invalid field selector: ${JSON.stringify(part)}: expected field=value or field!=value`,
      );
    requirements.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3].replace(/\\(.)/g, '$1') });
  }
  return { requirements, empty: false };
}
