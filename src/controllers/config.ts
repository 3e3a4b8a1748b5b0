// Settings some controllers need beyond the shared context: what `k8ts server` flags and files provide.
import type { TokenSigner } from '../serviceaccount/tokens.js';
import type { NodeLifecycleOptions } from './nodelifecycle/options.js';
import type { PodGCOptions } from './podgc/index.js';

export interface ControllerConfig {
  /** Signs legacy service-account token Secrets; without it the token controller does not run. */
  tokenSigner?: TokenSigner;
  /** PEM of the cluster CA for `ca.crt` in token Secrets ('' while the API server speaks plain HTTP). */
  rootCA?: string;
  /** The range node podCIDRs are cut from (default 10.42.0.0/16, a /24 per node). */
  clusterCidr?: string;
  nodeLifecycle?: Partial<NodeLifecycleOptions>;
  podGC?: Partial<PodGCOptions>;
  /** Where local-path volumes are made on the nodes (`k8ts server`: `<data-dir>/storage`). */
  localPathDir?: string;
}
