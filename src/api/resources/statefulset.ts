import {
  ageColumn,
  ageOf,
  col,
  containerCells,
  containersColumn,
  imagesColumn,
  nameColumn,
} from '../columns.js';
import { child, forbidden, invalid, notSupported, required } from '../field.js';
import { list } from '../guards.js';
import { defaultPersistentVolumeClaimSpec, defaultPodTemplate } from '../podspec/defaults.js';
import { semanticEqual } from '../semantic.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { validateDNS1123Label, validateNonnegativeField } from '../validation.js';
import { validateSelectorAndTemplate } from '../workloads.js';
import { validateClaimSpec } from './persistentvolumeclaim.js';

function defaults(obj: Obj): void {
  obj.spec ??= {};
  const spec = obj.spec;
  spec.podManagementPolicy ||= 'OrderedReady';
  spec.updateStrategy ??= {};
  if (!spec.updateStrategy.type) {
    spec.updateStrategy.type = 'RollingUpdate';
    spec.updateStrategy.rollingUpdate ??= {};
  }
  if (spec.updateStrategy.type === 'RollingUpdate' && spec.updateStrategy.rollingUpdate)
    spec.updateStrategy.rollingUpdate.partition ??= 0;
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ||= 'Retain';
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ||= 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(spec.template);
  for (const pvc of list(spec.volumeClaimTemplates)) {
    if (!pvc || typeof pvc !== 'object') continue;
    pvc.spec ??= {};
    defaultPersistentVolumeClaimSpec(pvc.spec);
    pvc.status ??= {};
    pvc.status.phase ||= 'Pending';
  }
}

function validate(obj: Obj): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  const pmp = spec.podManagementPolicy;
  if (!pmp) errs.push(required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel')
    errs.push(invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = spec.updateStrategy ?? {};
  switch (us.type ?? '') {
    case '':
      errs.push(required('spec.updateStrategy'));
      break;
    case 'OnDelete':
      if (us.rollingUpdate)
        errs.push(
          invalid(
            'spec.updateStrategy.rollingUpdate',
            us.rollingUpdate,
            "only allowed for updateStrategy 'RollingUpdate'",
          ),
        );
      break;
    case 'RollingUpdate':
      if (us.rollingUpdate) {
        errs.push(
          ...validateNonnegativeField(
            us.rollingUpdate.partition,
            'spec.updateStrategy.rollingUpdate.partition',
          ),
        );
      }
      break;
    default:
      errs.push(invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (retention)
    for (const f of ['whenDeleted', 'whenScaled'])
      if (retention[f] !== undefined && !['Retain', 'Delete'].includes(retention[f]))
        errs.push(
          notSupported(child('spec.persistentVolumeClaimRetentionPolicy', f), retention[f], [
            'Retain',
            'Delete',
          ]),
        );
  errs.push(...validateNonnegativeField(spec.replicas, 'spec.replicas'));
  errs.push(...validateNonnegativeField(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (spec.ordinals) errs.push(...validateNonnegativeField(spec.ordinals.start, 'spec.ordinals.start'));
  if (spec.serviceName) errs.push(...validateDNS1123Label(spec.serviceName, 'spec.serviceName'));
  errs.push(
    ...validateSelectorAndTemplate(spec, 'spec', 'statefulset', { activeDeadlineKind: 'StatefulSet' }),
  );
  list(spec.volumeClaimTemplates).forEach((pvc: any, i: number) => {
    const p = `spec.volumeClaimTemplates[${i}]`;
    if (!pvc?.metadata?.name) errs.push(required(`${p}.metadata.name`, 'name or generateName is required'));
    errs.push(...validateClaimSpec(pvc?.spec, `${p}.spec`));
  });
  return errs;
}

const updatableFields = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

function validateUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validate(obj);
  const a = { ...(obj.spec ?? {}) };
  const b = { ...(old.spec ?? {}) };
  for (const f of updatableFields) {
    delete a[f];
    delete b[f];
  }
  if (!semanticEqual(a, b))
    errs.push(
      forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  return errs;
}

export const statefulSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  schemaName: 'io.k8s.api.apps.v1.StatefulSet',
  subresources: ['status', 'scale'],
  defaults,
  validate,
  validateUpdate,
  scale: {
    specReplicasPath: 'spec.replicas',
    statusReplicasPath: 'status.replicas',
    selectorObjectPath: 'spec.selector',
  },
  table: {
    columns: [
      nameColumn,
      col('Ready', 'Number of the pod with ready state'),
      ageColumn,
      containersColumn,
      imagesColumn,
    ],
    cells(o, now) {
      const [names, images] = containerCells(o.spec?.template?.spec?.containers);
      return [
        o.metadata?.name,
        `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
        ageOf(o, now),
        names,
        images,
      ];
    },
  },
};
