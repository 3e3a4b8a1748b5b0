// Pods nominated to a node by preemption (status.nominatedNodeName) while their victims terminate. As
// upstream's PodNominator: filters count nominated pods of equal or higher priority on a node, so the
// room preemption made is not taken by a lower-priority pod meanwhile.
import { podPriority } from './queue.js';
import type { PodInfo } from './types.js';

export class Nominator {
  private readonly byNode = new Map<string, Map<string, PodInfo>>();
  private readonly nodeOf = new Map<string, string>();

  /** Records (or moves) the nomination of `pi` to `nodeName`; an empty name removes it. */
  add(pi: PodInfo, nodeName: string | undefined): void {
    this.delete(pi.key);
    if (!nodeName) return;
    let m = this.byNode.get(nodeName);
    if (!m) {
      m = new Map();
      this.byNode.set(nodeName, m);
    }
    m.set(pi.key, pi);
    this.nodeOf.set(pi.key, nodeName);
  }

  delete(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const m = this.byNode.get(node);
    m?.delete(key);
    if (m && m.size === 0) this.byNode.delete(node);
  }

  nodeFor(key: string): string | undefined {
    return this.nodeOf.get(key);
  }

  get size(): number {
    return this.nodeOf.size;
  }

  /** Pods nominated to `nodeName`, in no particular order. */
  podsOn(nodeName: string): PodInfo[] {
    const m = this.byNode.get(nodeName);
    return m ? [...m.values()] : [];
  }

  /** Nominated pods on `nodeName` that `pod` must leave room for: other pods of equal or higher priority. */
  blocking(nodeName: string, key: string, priority: number): PodInfo[] {
    const m = this.byNode.get(nodeName);
    if (!m) return [];
    const out: PodInfo[] = [];
    for (const pi of m.values()) if (pi.key !== key && podPriority(pi.pod) >= priority) out.push(pi);
    return out;
  }
}
