// TaintToleration: NoSchedule/NoExecute taints the pod does not tolerate reject the node; untolerated
// PreferNoSchedule taints lower its score (fewer is better).
import { MAX_NODE_SCORE, type Plugin, Status } from '../types.js';

export const TAINT_TOLERATION = 'TaintToleration';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** Upstream's Toleration.ToleratesTaint. */
export function tolerates(t: any, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

export function untoleratedTaint(taints: Taint[], tolerations: any[], effects: string[]): Taint | undefined {
  for (const taint of taints) {
    if (!effects.includes(taint.effect)) continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return taint;
  }
  return undefined;
}

export function taintToleration(): Plugin {
  return {
    name: TAINT_TOLERATION,
    filter(_s, pod, _pi, node) {
      const taint = untoleratedTaint(node.node.spec?.taints ?? [], pod.spec?.tolerations ?? [], [
        'NoSchedule',
        'NoExecute',
      ]);
      if (!taint) return undefined;
      return Status.unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
    },
    score(_s, pod, _pi, node) {
      // Upstream counts only tolerations with an empty or PreferNoSchedule effect here.
      const tolerations = (pod.spec?.tolerations ?? []).filter(
        (t: any) => !t.effect || t.effect === 'PreferNoSchedule',
      );
      let n = 0;
      for (const taint of node.node.spec?.taints ?? [])
        if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t: any) => tolerates(t, taint))) n++;
      return n;
    },
    normalizeScore(_s, _pod, scores) {
      normalize(scores, true);
    },
  };
}

/** Upstream's DefaultNormalizeScore: scale to 0..100 by the maximum; `reverse` flips it. */
export function normalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) scores[i] = reverse ? MAX_NODE_SCORE : 0;
    else {
      const s = Math.floor((MAX_NODE_SCORE * scores[i]) / max);
      scores[i] = reverse ? MAX_NODE_SCORE - s : s;
    }
  }
}
