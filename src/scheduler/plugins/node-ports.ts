// NodePorts: a host port (ip, protocol, port) may be used by one pod per node; 0.0.0.0 conflicts with
// every address.
import { type HostPort, type Plugin, Status } from '../types.js';

export const NODE_PORTS = 'NodePorts';
export const REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.ip === b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0';
}

export function nodePorts(): Plugin {
  return {
    name: NODE_PORTS,
    filter(_s, _pod, pi, node) {
      for (const want of pi.ports)
        for (const used of node.usedPorts)
          if (portsConflict(want, used)) return Status.unschedulable(REASON_NODE_PORTS);
      return undefined;
    },
  };
}
