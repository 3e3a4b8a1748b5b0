import { ageColumn, ageOf, col, nameColumn, wide } from '../columns.js';
import { forbidden } from '../field.js';
import { list } from '../guards.js';
import { podSummary, podWideCells } from '../pod-status.js';
import { addDefaultTolerationSeconds, defaultServiceAccountName } from '../podspec/admission.js';
import { defaultPodSpec } from '../podspec/defaults.js';
import { isMirrorPodObject, validateMirrorPodCreate, validateMirrorPodUpdate } from '../podspec/mirror.js';
import { validatePodSpecUpdate } from '../podspec/update.js';
import { validatePodSpec } from '../podspec/validation.js';
import { computePodQOS } from '../qos.js';
import type { Obj, ResourceDef } from '../types.js';

/** Priorities of the built-in system classes, which exist without a PriorityClass object lookup. */
const systemPriorities: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

function prepareForCreate(pod: Obj): void {
  pod.spec ??= {};
  pod.status = { phase: 'Pending', qosClass: computePodQOS(pod) };
  if (list(pod.spec.schedulingGates).length > 0)
    pod.status.conditions = [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
        lastProbeTime: null,
        lastTransitionTime: null,
      },
    ];
  // What the Priority admission plugin (src/apiserver/priority.ts) sets, for registries used without it.
  const pcn = pod.spec.priorityClassName;
  if (pod.spec.priority === undefined) {
    if (!pcn) pod.spec.priority = 0;
    else if (pcn in systemPriorities) pod.spec.priority = systemPriorities[pcn];
  }
  if (pod.spec.priority !== undefined) pod.spec.preemptionPolicy ??= 'PreemptLowerPriority';
  // A mirror pod's spec stays what its manifest says: no service account (upstream's admission skips it).
  if (!isMirrorPodObject(pod)) defaultServiceAccountName(pod.spec);
  addDefaultTolerationSeconds(pod.spec);
}

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  schemaName: 'io.k8s.api.core.v1.Pod',
  subresources: [
    'status',
    'binding',
    'log',
    'exec',
    'attach',
    'portforward',
    'eviction',
    'ephemeralcontainers',
    'resize',
  ],
  defaults(obj) {
    obj.spec ??= {};
    defaultPodSpec(obj.spec, true);
  },
  validate(obj) {
    const errs = [...validatePodSpec(obj.spec, 'spec', { isPod: true }), ...validateMirrorPodCreate(obj)];
    if (list(obj.spec?.ephemeralContainers).length > 0)
      errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
    return errs;
  },
  validateUpdate(obj, old) {
    return [
      ...validatePodSpec(obj.spec, 'spec', { isPod: true }),
      ...validateMirrorPodUpdate(obj, old),
      ...validatePodSpecUpdate(obj, old),
    ];
  },
  prepareForCreate,
  prepareForUpdate(obj, old) {
    // Ephemeral containers change only through the ephemeralcontainers subresource.
    obj.spec ??= {};
    if (old.spec?.ephemeralContainers) obj.spec.ephemeralContainers = old.spec.ephemeralContainers;
    else delete obj.spec.ephemeralContainers;
    // The Priority admission plugin keeps what it resolved at create when an update leaves it out.
    if (obj.spec.priority == null && old.spec?.priority != null) obj.spec.priority = old.spec.priority;
    if (obj.spec.preemptionPolicy == null && old.spec?.preemptionPolicy != null)
      obj.spec.preemptionPolicy = old.spec.preemptionPolicy;
  },
  fieldSelectors: {
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '',
    'spec.schedulerName': (o) => o.spec?.schedulerName ?? '',
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': (o) => String(o.spec?.hostNetwork === true),
    'status.phase': (o) => o.status?.phase ?? '',
    'status.podIP': (o) => o.status?.podIPs?.[0]?.ip ?? '',
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName ?? '',
  },
  table: {
    columns: [
      nameColumn,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col(
        'Restarts',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      ageColumn,
      wide(
        'IP',
        'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      ),
      wide('Node', 'NodeName indicates in which node this pod is scheduled.'),
      wide('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.'),
      wide('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.'),
    ],
    cells(o, now) {
      const s = podSummary(o, now);
      return [o.metadata?.name, s.ready, s.status, s.restarts, ageOf(o, now), ...podWideCells(o)];
    },
  },
};
