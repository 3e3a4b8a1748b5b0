// Label selectors compiled once per selector object: the scheduler matches the same few selectors (from
// the specs of pending and running pods) against every pod on thousands of nodes, so the per-match cost
// must not allocate. Same semantics as matchesLabelSelector in src/api/labels.ts.
import type { LabelSelector } from '../api/labels.js';

type Labels = Record<string, string>;
export type LabelMatcher = (labels: Labels) => boolean;

const compiled = new WeakMap<object, LabelMatcher>();
const never: LabelMatcher = () => false;

function compile(sel: LabelSelector): LabelMatcher {
  const keys: string[] = [];
  const values: string[] = [];
  for (const k in sel.matchLabels ?? {}) {
    keys.push(k);
    values.push(sel.matchLabels![k]);
  }
  const exprs = (sel.matchExpressions ?? []).map((r) => ({
    key: r.key,
    op: r.operator,
    values: new Set(r.values ?? []),
  }));
  if (exprs.some((e) => !['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.op))) return never;
  return (labels) => {
    for (let i = 0; i < keys.length; i++) {
      const v = labels[keys[i]];
      if (v !== values[i] || !Object.hasOwn(labels, keys[i])) return false;
    }
    for (let i = 0; i < exprs.length; i++) {
      const e = exprs[i];
      const present = Object.hasOwn(labels, e.key);
      switch (e.op) {
        case 'In':
          if (!present || !e.values.has(labels[e.key])) return false;
          break;
        case 'NotIn':
          if (present && e.values.has(labels[e.key])) return false;
          break;
        case 'Exists':
          if (!present) return false;
          break;
        default: // DoesNotExist
          if (present) return false;
      }
    }
    return true;
  };
}

/** A missing selector matches nothing; an empty one matches everything. */
export function selectorMatcher(sel: LabelSelector | undefined | null): LabelMatcher {
  if (!sel || typeof sel !== 'object') return never;
  let m = compiled.get(sel);
  if (!m) {
    m = compile(sel);
    compiled.set(sel, m);
  }
  return m;
}

const EMPTY: Labels = {};

export function selectorMatches(sel: LabelSelector | undefined | null, labels: Labels | undefined): boolean {
  return selectorMatcher(sel)(labels ?? EMPTY);
}
