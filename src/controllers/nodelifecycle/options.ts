// Node lifecycle timings and eviction rates, with upstream kube-controller-manager's defaults.
export interface NodeLifecycleOptions {
  /** How often node health is checked (--node-monitor-period, 5 s). */
  nodeMonitorPeriodMs: number;
  /** Silence after which a node's conditions turn Unknown (--node-monitor-grace-period, 50 s). */
  nodeMonitorGracePeriodMs: number;
  /** The same for a node that never posted a Ready condition (--node-startup-grace-period, 60 s). */
  nodeStartupGracePeriodMs: number;
  /** NoExecute tainting rate per zone in nodes/s (--node-eviction-rate, 0.1). */
  evictionLimiterQPS: number;
  /** The rate in a partially disrupted zone of a large cluster (--secondary-node-eviction-rate, 0.01). */
  secondaryEvictionLimiterQPS: number;
  /** Zones with more nodes than this count as large (--large-cluster-size-threshold, 50). */
  largeClusterSizeThreshold: number;
  /** Fraction of not-Ready nodes (at least 3) making a zone partially disrupted (--unhealthy-zone-threshold, 0.55). */
  unhealthyZoneThreshold: number;
}

export const DEFAULT_NODE_LIFECYCLE: NodeLifecycleOptions = {
  nodeMonitorPeriodMs: 5_000,
  nodeMonitorGracePeriodMs: 50_000,
  nodeStartupGracePeriodMs: 60_000,
  evictionLimiterQPS: 0.1,
  secondaryEvictionLimiterQPS: 0.01,
  largeClusterSizeThreshold: 50,
  unhealthyZoneThreshold: 0.55,
};
