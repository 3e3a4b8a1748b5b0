// NodeName: a pod naming a node in spec.nodeName (set before scheduling) fits only there.
import { type Plugin, Status } from '../types.js';

export const NODE_NAME = 'NodeName';
export const REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function nodeName(): Plugin {
  return {
    name: NODE_NAME,
    filter(_s, pod, _pi, node) {
      const want = pod.spec?.nodeName;
      if (!want || want === node.name) return undefined;
      return Status.unresolvable(REASON_NODE_NAME);
    },
  };
}
