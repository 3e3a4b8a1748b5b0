// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating the
// node.kubernetes.io/unschedulable:NoSchedule taint.
import { type Plugin, Status } from '../types.js';
import { tolerates } from './taint-toleration.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const CORDON_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export function nodeUnschedulable(): Plugin {
  return {
    name: NODE_UNSCHEDULABLE,
    filter(_s, pod, _pi, node) {
      if (!node.node.spec?.unschedulable) return undefined;
      if ((pod.spec?.tolerations ?? []).some((t: any) => tolerates(t, CORDON_TAINT))) return undefined;
      return Status.unresolvable(REASON_UNSCHEDULABLE);
    },
  };
}
