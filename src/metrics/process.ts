// The process_* and nodejs_* Prometheus series (CPU, memory, open files, event loop lag, GC), collected
// once per process however many components (API server, kubelet) serve /metrics from it.
import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The content type of the Prometheus text format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
