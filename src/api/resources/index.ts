// Every served kind, in discovery order. Add a kind: write its file and list it here.
import type { ResourceDef } from '../types.js';
import { configMaps } from './configmap.js';
import { controllerRevisions } from './controllerrevision.js';
import { cronJobs } from './cronjob.js';
import { daemonSets } from './daemonset.js';
import { deployments } from './deployment.js';
import { jobs } from './job.js';
import { namespaces } from './namespace.js';
import { pods } from './pod.js';
import { replicaSets } from './replicaset.js';
import { statefulSets } from './statefulset.js';

export const allResources: readonly ResourceDef[] = [
  namespaces,
  pods,
  configMaps,
  deployments,
  replicaSets,
  statefulSets,
  daemonSets,
  controllerRevisions,
  jobs,
  cronJobs,
];
