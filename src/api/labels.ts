import { list } from './guards.js';
// Label selectors (metav1.LabelSelector and map selectors): matching and the string forms upstream prints.

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

type Labels = Record<string, string> | undefined | null;

function has(labels: Labels, key: string): boolean {
  return !!labels && Object.hasOwn(labels, key);
}

/**
 * Matches like LabelSelectorAsSelector(sel).Matches(labels): a missing selector matches nothing, an empty
 * one matches everything.
 */
export function matchesLabelSelector(sel: LabelSelector | undefined | null, labels: Labels): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {}))
    if (!has(labels, k) || labels![k] !== v) return false;
  for (const r of list(sel.matchExpressions)) {
    const present = has(labels, r.key);
    const value = present ? labels![r.key] : undefined;
    switch (r.operator) {
      case 'In':
        if (!present || !list(r.values).includes(value!)) return false;
        break;
      case 'NotIn':
        if (present && list(r.values).includes(value!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A map selector (Service, ReplicationController): every pair must match; empty/absent matches nothing. */
export function matchesMapSelector(sel: Record<string, string> | undefined | null, labels: Labels): boolean {
  if (!sel || Object.keys(sel).length === 0) return false;
  return Object.entries(sel).every(([k, v]) => has(labels, k) && labels![k] === v);
}

export function isEmptyLabelSelector(sel: LabelSelector | undefined | null): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && list(sel.matchExpressions).length === 0);
}

/** labels.Selector.String() of a LabelSelector: requirements sorted by key, "" when empty. */
export function labelSelectorString(sel: LabelSelector | undefined | null): string {
  if (!sel) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const r of list(sel.matchExpressions)) {
    const values = [...list(r.values)].sort();
    let text: string;
    switch (r.operator) {
      case 'In':
        text = `${r.key} in (${values.join(',')})`;
        break;
      case 'NotIn':
        text = `${r.key} notin (${values.join(',')})`;
        break;
      case 'Exists':
        text = r.key;
        break;
      case 'DoesNotExist':
        text = `!${r.key}`;
        break;
      default:
        text = `${r.key} ${r.operator}`;
    }
    reqs.push({ key: r.key, text });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: like labelSelectorString but "<none>" when empty. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  return labelSelectorString(sel) || '<none>';
}

/** labels.FormatLabels: "k=v,k2=v2" sorted by key, "<none>" when empty. */
export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/**
 * String form of either selector shape: a metav1.LabelSelector (matchLabels/matchExpressions) or a plain
 * map selector (ReplicationController, Service), e.g. for a Scale's status.selector.
 */
export function anySelectorString(sel: unknown): string {
  if (!sel || typeof sel !== 'object') return '';
  const s = sel as Record<string, unknown>;
  if ('matchLabels' in s || 'matchExpressions' in s) return labelSelectorString(s as LabelSelector);
  return Object.keys(s)
    .sort()
    .map((k) => `${k}=${s[k]}`)
    .join(',');
}
