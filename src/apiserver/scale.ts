// The scale subresource: an autoscaling/v1 Scale view of a workload's replicas.
import { anySelectorString } from '../api/labels.js';
import type { Obj, ResourceDef } from '../api/types.js';
import { K8tsError } from '../errors.js';

function at(obj: Obj, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) cur = (cur as Obj | undefined)?.[p];
  return cur;
}

function setAt(obj: Obj, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) cur = cur[p] ??= {};
  cur[parts[parts.length - 1]] = value;
}

export function scaleOf(def: ResourceDef, obj: Obj): Obj {
  const s = def.scale!;
  const m = obj.metadata;
  const status: Obj = { replicas: Number(at(obj, s.statusReplicasPath) ?? 0) };
  const sel = s.selectorObjectPath
    ? anySelectorString(at(obj, s.selectorObjectPath))
    : s.labelSelectorPath
      ? String(at(obj, s.labelSelectorPath) ?? '')
      : '';
  if (sel) status.selector = sel;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: Number(at(obj, s.specReplicasPath) ?? 0) },
    status,
  };
}

/** Writes a Scale's spec.replicas into the parent object (with the Scale's resourceVersion precondition). */
export function applyScale(def: ResourceDef, parent: Obj, scale: Obj): Obj {
  const replicas = scale?.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new K8tsError(
      'Invalid',
      `Scale.autoscaling "${parent.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      {
        name: parent.metadata.name,
        group: 'autoscaling',
        kind: 'Scale',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'must be greater than or equal to 0',
            field: 'spec.replicas',
          },
        ],
      },
    );
  }
  setAt(parent, def.scale!.specReplicasPath, replicas);
  const rv = scale.metadata?.resourceVersion;
  if (rv) parent.metadata.resourceVersion = rv;
  return parent;
}
