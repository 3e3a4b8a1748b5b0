// The pod lifecycle event generator (upstream's generic PLEG): relists the runtime's containers and
// sandboxes every second and wakes the pod worker of every pod whose containers changed state (a process
// exited, a sandbox stopped), so status follows the runtime without polling each pod.
import type { Clock, Logger } from '../client/index.js';
import type { CriClient } from '../runtime/cri/client.js';
import { LABEL_MANAGED, LABEL_POD_UID } from './labels.js';
import { Periodic } from './periodic.js';

export const RELIST_MS = 1_000;

export class Pleg {
  private states = new Map<string, string>();
  private readonly loop: Periodic;
  relists = 0;

  constructor(
    private readonly cri: CriClient,
    private readonly onChange: (uid: string) => void,
    clock: Clock,
    log: Logger,
  ) {
    this.loop = new Periodic(
      clock,
      RELIST_MS,
      () => this.relist(),
      (error) => log.warn('runtime relist failed', { error }),
    );
  }

  /** One relist: compares every container's and sandbox's state with the last one seen. */
  async relist(): Promise<void> {
    const labelSelector = { [LABEL_MANAGED]: 'true' };
    const [containers, sandboxes] = await Promise.all([
      this.cri.listContainers({ labelSelector }),
      this.cri.listPodSandbox({ labelSelector }),
    ]);
    const next = new Map<string, string>();
    const changed = new Set<string>();
    for (const x of [...containers, ...sandboxes]) {
      const uid = x.labels[LABEL_POD_UID];
      if (!uid) continue;
      next.set(x.id, `${uid}|${x.state}`);
      if (this.states.get(x.id) !== `${uid}|${x.state}`) changed.add(uid);
    }
    for (const [id, v] of this.states) if (!next.has(id)) changed.add(v.split('|')[0]);
    const first = this.relists === 0;
    this.states = next;
    this.relists++;
    if (!first) for (const uid of changed) this.onChange(uid);
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }
}
