// An EventRecorder for the kubelet as upstream names it, whose events land in `events` instead of the API.
import { EventRecorder } from '../../src/client/events.js';
import { silentLogger } from '../../src/client/log.js';

type Obj = Record<string, any>;

export function capturingKubeletRecorder(events: Obj[]): EventRecorder {
  return new EventRecorder({
    sink: {
      create: async (_ns, e) => {
        events.push(e);
        return e;
      },
      patch: async (_ns, _n, p) => p,
    },
    component: 'kubelet',
    log: silentLogger,
  });
}
