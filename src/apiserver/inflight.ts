// Max-in-flight limits, as upstream's --max-requests-inflight (400) and --max-mutating-requests-inflight
// (200): past the limit a request gets 429 with Retry-After instead of queueing without bound.
// Watches are long-running and not counted.
import { K8tsError } from '../errors.js';

export interface InflightLimits {
  readOnly: number;
  mutating: number;
}

export const DEFAULT_INFLIGHT: InflightLimits = { readOnly: 400, mutating: 200 };

export class InflightLimiter {
  private readOnly = 0;
  private mutating = 0;

  constructor(private readonly limits: InflightLimits = DEFAULT_INFLIGHT) {}

  /** Requests holding a slot now (apiserver_current_inflight_requests). */
  inflight(): { readOnly: number; mutating: number } {
    return { readOnly: this.readOnly, mutating: this.mutating };
  }

  /** Reserves a slot or throws TooManyRequests; call the returned function when the request ends. */
  acquire(isMutating: boolean): () => void {
    if (isMutating ? this.mutating >= this.limits.mutating : this.readOnly >= this.limits.readOnly) {
      throw new K8tsError('TooManyRequests', 'Too many requests, please try again later.', {
        retryAfterSeconds: 1,
      });
    }
    if (isMutating) this.mutating++;
    else this.readOnly++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (isMutating) this.mutating--;
      else this.readOnly--;
    };
  }
}
