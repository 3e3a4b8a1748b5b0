// Every served kind, in discovery order: groups in upstream's priority order (core, apps, events.k8s.io,
// batch, policy, rbac, apiextensions, scheduling, coordination, discovery), resources alphabetical within a group as
// upstream lists them (so `kubectl get all` prints pods, services, daemonsets, deployments, ...).
// Add a kind: write its file and list it here.
import { hardened } from '../guards.js';
import type { ResourceDef } from '../types.js';
import { clusterRoles } from './clusterrole.js';
import { clusterRoleBindings } from './clusterrolebinding.js';
import { configMaps } from './configmap.js';
import { controllerRevisions } from './controllerrevision.js';
import { cronJobs } from './cronjob.js';
import { customResourceDefinitions } from './customresourcedefinition.js';
import { daemonSets } from './daemonset.js';
import { deployments } from './deployment.js';
import { endpoints } from './endpoints.js';
import { endpointSlices } from './endpointslice.js';
import { events } from './event.js';
import { eventsV1 } from './events-v1.js';
import { jobs } from './job.js';
import { leases } from './lease.js';
import { limitRanges } from './limitrange.js';
import { namespaces } from './namespace.js';
import { nodes } from './node.js';
import { persistentVolumes } from './persistentvolume.js';
import { persistentVolumeClaims } from './persistentvolumeclaim.js';
import { pods } from './pod.js';
import { podDisruptionBudgets } from './poddisruptionbudget.js';
import { priorityClasses } from './priorityclass.js';
import { replicaSets } from './replicaset.js';
import { replicationControllers } from './replicationcontroller.js';
import { resourceQuotas } from './resourcequota.js';
import { roles } from './role.js';
import { roleBindings } from './rolebinding.js';
import { secrets } from './secret.js';
import { services } from './service.js';
import { serviceAccounts } from './serviceaccount.js';
import { statefulSets } from './statefulset.js';
import { storageClasses } from './storageclass.js';
import { tokenReviews } from './tokenreview.js';

const kinds: ResourceDef[] = [
  // core/v1
  configMaps,
  endpoints,
  events,
  limitRanges,
  namespaces,
  nodes,
  persistentVolumeClaims,
  persistentVolumes,
  pods,
  replicationControllers,
  resourceQuotas,
  secrets,
  serviceAccounts,
  services,
  // apps/v1
  controllerRevisions,
  daemonSets,
  deployments,
  replicaSets,
  statefulSets,
  // events.k8s.io/v1
  eventsV1,
  // authentication.k8s.io/v1
  tokenReviews,
  // batch/v1
  cronJobs,
  jobs,
  // policy/v1
  podDisruptionBudgets,
  // rbac.authorization.k8s.io/v1
  clusterRoleBindings,
  clusterRoles,
  roleBindings,
  roles,
  // apiextensions.k8s.io/v1
  customResourceDefinitions,
  // scheduling.k8s.io/v1
  priorityClasses,
  // coordination.k8s.io/v1
  leases,
  // discovery.k8s.io/v1
  endpointSlices,
  // storage.k8s.io/v1
  storageClasses,
];

export const allResources: readonly ResourceDef[] = kinds.map(hardened);
