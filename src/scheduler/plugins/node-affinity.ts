// NodeAffinity: spec.nodeSelector and requiredDuringScheduling node affinity terms filter nodes
// (terms are ORed; expressions and fields within a term are ANDed); matching preferred terms add their
// weights to the score.
import { type Node, type Plugin, Status } from '../types.js';
import { normalize } from './taint-toleration.js';

export const NODE_AFFINITY = 'NodeAffinity';
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function parseIntStrict(s: string): number | undefined {
  return /^-?\d+$/.test(s) ? Number(s) : undefined;
}

export function requirementMatches(r: NodeSelectorRequirement, values: Record<string, string>): boolean {
  const has = Object.hasOwn(values, r.key);
  const v = values[r.key];
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && vals.includes(v);
    case 'NotIn':
      return !has || !vals.includes(v);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || vals.length !== 1) return false;
      const a = parseIntStrict(v);
      const b = parseIntStrict(vals[0]);
      if (a === undefined || b === undefined) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** One term: every expression over labels and every field (only metadata.name) must match; empty matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const r of exprs) if (!requirementMatches(r, labels)) return false;
  const fieldValues = { 'metadata.name': node.metadata?.name ?? '' };
  for (const r of fields) {
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn')) return false;
    if (!requirementMatches(r, fieldValues)) return false;
  }
  return true;
}

export function requiredAffinityMatches(pod: Record<string, any>, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries<string>(pod.spec?.nodeSelector ?? {}))
    if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const terms: NodeSelectorTerm[] = required.nodeSelectorTerms ?? [];
  return terms.some((t) => termMatches(t, node));
}

export function preferredAffinityScore(pod: Record<string, any>, node: Node): number {
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  let score = 0;
  for (const p of preferred)
    if (p.weight && p.preference && termMatches(p.preference, node)) score += p.weight;
  return score;
}

export function nodeAffinity(): Plugin {
  return {
    name: NODE_AFFINITY,
    filter(_s, pod, _pi, node) {
      return requiredAffinityMatches(pod, node.node) ? undefined : Status.unresolvable(REASON_NODE_AFFINITY);
    },
    score(_s, pod, _pi, node) {
      return preferredAffinityScore(pod, node.node);
    },
    normalizeScore(_s, _pod, scores) {
      normalize(scores, false);
    },
  };
}
