// Hand-written OpenAPI v3-shaped definitions: a mini Pod and Deployment with upstream's patch
// extensions, plus a MergeItem type shaped like upstream's strategic patch test type.

import type { Schema } from '../../../src/apiserver/patch/schema.js';

const ref = (name: string, extra: Schema = {}): Schema => ({
  allOf: [{ $ref: `#/components/schemas/${name}` }],
  ...extra,
});
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer', format: 'int32' };
const bool: Schema = { type: 'boolean' };
const stringMap: Schema = { type: 'object', additionalProperties: { type: 'string', default: '' } };
const mergeList = (item: Schema, key: string, extra: Schema = {}): Schema => ({
  type: 'array',
  items: item,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': [key],
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': 'merge',
  ...extra,
});

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const CORE = 'io.k8s.api.core.v1';
const APPS = 'io.k8s.api.apps.v1';

export const definitions: Record<string, Schema> = {
  [`${META}.ObjectMeta`]: {
    type: 'object',
    properties: {
      name: str,
      generateName: str,
      namespace: str,
      uid: str,
      resourceVersion: str,
      generation: { type: 'integer', format: 'int64' },
      creationTimestamp: { type: 'string', format: 'date-time' },
      labels: stringMap,
      annotations: stringMap,
      finalizers: {
        type: 'array',
        items: { type: 'string', default: '' },
        'x-kubernetes-list-type': 'set',
        'x-kubernetes-patch-strategy': 'merge',
      },
      ownerReferences: mergeList(ref(`${META}.OwnerReference`, { default: {} }), 'uid'),
      managedFields: { type: 'array', items: ref(`${META}.ManagedFieldsEntry`, { default: {} }) },
    },
  },
  [`${META}.OwnerReference`]: {
    type: 'object',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: { apiVersion: str, kind: str, name: str, uid: str, controller: bool },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${META}.ManagedFieldsEntry`]: {
    type: 'object',
    properties: {
      manager: str,
      operation: str,
      apiVersion: str,
      time: str,
      fieldsType: str,
      fieldsV1: { type: 'object' },
      subresource: str,
    },
  },
  [`${META}.LabelSelector`]: {
    type: 'object',
    properties: {
      matchLabels: stringMap,
      matchExpressions: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'atomic' },
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${CORE}.EnvVar`]: {
    type: 'object',
    required: ['name'],
    properties: {
      name: str,
      value: str,
      valueFrom: {
        type: 'object',
        properties: { fieldRef: { type: 'object', properties: { fieldPath: str } } },
      },
    },
  },
  [`${CORE}.ContainerPort`]: {
    type: 'object',
    required: ['containerPort'],
    properties: { name: str, containerPort: int, protocol: { type: 'string', default: 'TCP' } },
  },
  [`${CORE}.ResourceRequirements`]: {
    type: 'object',
    properties: { limits: stringMap, requests: stringMap },
  },
  [`${CORE}.Container`]: {
    type: 'object',
    required: ['name'],
    properties: {
      name: str,
      image: str,
      imagePullPolicy: str,
      command: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
      args: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
      env: mergeList(ref(`${CORE}.EnvVar`, { default: {} }), 'name'),
      ports: {
        ...mergeList(ref(`${CORE}.ContainerPort`, { default: {} }), 'containerPort'),
        'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      },
      resources: ref(`${CORE}.ResourceRequirements`, { default: {} }),
      volumeMounts: mergeList({ type: 'object', properties: { name: str, mountPath: str } }, 'mountPath'),
    },
  },
  [`${CORE}.Volume`]: {
    type: 'object',
    required: ['name'],
    properties: {
      name: str,
      emptyDir: { type: 'object', properties: { medium: str, sizeLimit: str } },
      configMap: { type: 'object', properties: { name: str, defaultMode: int } },
      hostPath: { type: 'object', properties: { path: str, type: str } },
    },
  },
  [`${CORE}.Toleration`]: {
    type: 'object',
    properties: { key: str, operator: str, value: str, effect: str },
  },
  [`${CORE}.PodSpec`]: {
    type: 'object',
    required: ['containers'],
    properties: {
      containers: mergeList(ref(`${CORE}.Container`, { default: {} }), 'name'),
      initContainers: mergeList(ref(`${CORE}.Container`, { default: {} }), 'name'),
      volumes: mergeList(ref(`${CORE}.Volume`, { default: {} }), 'name', {
        'x-kubernetes-patch-strategy': 'merge,retainKeys',
      }),
      tolerations: {
        type: 'array',
        items: ref(`${CORE}.Toleration`, { default: {} }),
        'x-kubernetes-list-type': 'atomic',
      },
      nodeSelector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
      restartPolicy: str,
      nodeName: str,
      hostNetwork: bool,
      terminationGracePeriodSeconds: { type: 'integer', format: 'int64' },
    },
  },
  [`${CORE}.PodCondition`]: {
    type: 'object',
    properties: { type: str, status: str, reason: str },
  },
  [`${CORE}.PodStatus`]: {
    type: 'object',
    properties: {
      phase: str,
      podIP: str,
      conditions: mergeList(ref(`${CORE}.PodCondition`, { default: {} }), 'type'),
    },
  },
  [`${CORE}.Pod`]: {
    type: 'object',
    properties: {
      apiVersion: str,
      kind: str,
      metadata: ref(`${META}.ObjectMeta`, { default: {} }),
      spec: ref(`${CORE}.PodSpec`, { default: {} }),
      status: ref(`${CORE}.PodStatus`, { default: {} }),
    },
  },
  [`${CORE}.PodTemplateSpec`]: {
    type: 'object',
    properties: {
      metadata: ref(`${META}.ObjectMeta`, { default: {} }),
      spec: ref(`${CORE}.PodSpec`, { default: {} }),
    },
  },
  [`${APPS}.RollingUpdateDeployment`]: {
    type: 'object',
    properties: {
      maxUnavailable: { 'x-kubernetes-int-or-string': true },
      maxSurge: { 'x-kubernetes-int-or-string': true },
    },
  },
  [`${APPS}.DeploymentStrategy`]: {
    type: 'object',
    properties: { type: str, rollingUpdate: ref(`${APPS}.RollingUpdateDeployment`) },
  },
  [`${APPS}.DeploymentSpec`]: {
    type: 'object',
    required: ['selector', 'template'],
    properties: {
      replicas: int,
      minReadySeconds: int,
      selector: ref(`${META}.LabelSelector`),
      template: ref(`${CORE}.PodTemplateSpec`, { default: {} }),
      strategy: ref(`${APPS}.DeploymentStrategy`, {
        default: {},
        'x-kubernetes-patch-strategy': 'retainKeys',
      }),
    },
  },
  [`${APPS}.DeploymentStatus`]: {
    type: 'object',
    properties: { replicas: int, readyReplicas: int, observedGeneration: int },
  },
  [`${APPS}.Deployment`]: {
    type: 'object',
    properties: {
      apiVersion: str,
      kind: str,
      metadata: ref(`${META}.ObjectMeta`, { default: {} }),
      spec: ref(`${APPS}.DeploymentSpec`, { default: {} }),
      status: ref(`${APPS}.DeploymentStatus`, { default: {} }),
    },
  },
  // Shaped like the MergeItem type of upstream's strategic merge patch tests.
  mergeItem: {
    type: 'object',
    properties: {
      name: str,
      value: str,
      other: str,
      mergingList: {
        type: 'array',
        items: ref('mergeItem'),
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
      nonMergingList: { type: 'array', items: ref('mergeItem') },
      mergingIntList: { type: 'array', items: int, 'x-kubernetes-patch-strategy': 'merge' },
      nonMergingIntList: { type: 'array', items: int },
      simpleMap: stringMap,
      replacingItem: { type: 'object', 'x-kubernetes-patch-strategy': 'replace' },
      retainKeysMap: ref('retainKeysMergeItem', { 'x-kubernetes-patch-strategy': 'retainKeys' }),
      retainKeysMergingList: {
        type: 'array',
        items: ref('mergeItem'),
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge,retainKeys',
      },
    },
  },
  retainKeysMergeItem: {
    type: 'object',
    properties: {
      name: str,
      value: str,
      other: str,
      simpleMap: stringMap,
      mergingIntList: { type: 'array', items: int, 'x-kubernetes-patch-strategy': 'merge' },
    },
  },
};

export const POD = `${CORE}.Pod`;
export const DEPLOYMENT = `${APPS}.Deployment`;
export const MERGE_ITEM = 'mergeItem';
