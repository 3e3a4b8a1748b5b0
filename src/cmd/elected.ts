// Runs a control-plane component only while this process holds its Lease in kube-system, as upstream's
// kube-controller-manager and kube-scheduler do with --leader-elect: a standby takes over within the lease
// duration (15 s) when the leader dies, at once when it stops cleanly (the lease is handed back).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LeaderElector, restLeaseClient } from '../client/leaderelection.js';
import { consoleLogger, type Logger } from '../client/log.js';
import { RestClient } from '../client/rest.js';

export interface Component {
  stop(): Promise<void>;
}

export interface ElectedOptions {
  baseUrl: string;
  /** Lease name in kube-system, e.g. kube-controller-manager. */
  lease: string;
  start(): Component;
  log?: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface Elected extends Component {
  isLeader(): boolean;
  readonly identity: string;
}

export function runElected(opts: ElectedOptions): Elected {
  const log = opts.log ?? consoleLogger;
  const rest = new RestClient({ baseUrl: opts.baseUrl });
  const identity = `${hostname()}_${randomUUID()}`;
  let component: Component | undefined;
  let stopped = false;
  const elector = new LeaderElector({
    lease: { namespace: 'kube-system', name: opts.lease },
    identity,
    client: restLeaseClient(rest),
    // Upstream's 15/10/2 s unless given (undefined must not override the elector's defaults).
    leaseDurationMs: opts.leaseDurationMs ?? 15_000,
    renewDeadlineMs: opts.renewDeadlineMs ?? 10_000,
    retryPeriodMs: opts.retryPeriodMs ?? 2_000,
    log,
    onStartedLeading() {
      component = opts.start();
    },
    onStoppedLeading() {
      const c = component;
      component = undefined;
      void c?.stop();
    },
  });
  // Campaign again after losing the lease (until stopped).
  const loop = (async () => {
    while (!stopped) {
      await elector.run().catch((err) => log.error(`${opts.lease}: leader election failed: ${err}`));
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    identity,
    isLeader: () => component !== undefined,
    async stop() {
      stopped = true;
      const c = component;
      component = undefined;
      await c?.stop();
      await elector.stop();
      await loop;
      rest.close();
    },
  };
}
