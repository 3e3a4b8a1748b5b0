// The Priority admission plugin, as upstream's: on pod create, spec.priorityClassName resolves to the
// class's value (spec.priority) and preemptionPolicy; with no name, the globalDefault class applies (the
// lowest-valued one if a race left several), else priority 0. A PriorityClass may only be marked
// globalDefault while no other class is. The two system classes exist from the start.
import type { Obj, ResourceDef } from '../api/types.js';
import { K8tsError } from '../errors.js';
import type { ApiContext } from './handlers.js';

export const SYSTEM_PRIORITY_CLASSES = [
  {
    name: 'system-node-critical',
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: 'system-cluster-critical',
    value: 2000000000,
    description:
      'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/** Priority of a pod when no class is named and no class is the global default. */
export const DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS = 0;

/** `pods "web" is forbidden: <why>` (`pods is forbidden: ...` when the name is not known yet). */
function forbidden(resource: string, name: string | undefined, why: string): K8tsError {
  const message = name ? `${resource} "${name}" is forbidden: ${why}` : `${resource} is forbidden: ${why}`;
  return new K8tsError('Forbidden', message, { name: name || undefined, kind: resource });
}

async function defaultClass(ctx: ApiContext, def: ResourceDef): Promise<Obj | undefined> {
  const { items } = await ctx.store.list(def, undefined, undefined);
  let best: Obj | undefined;
  for (const pc of items) if (pc.globalDefault && (!best || pc.value < best.value)) best = pc;
  return best;
}

/**
 * Resolves a new pod's priority. `requestedName` is the name the client sent (empty when it asked for
 * a generated one), used in the Forbidden message as upstream, which admits before naming.
 */
export async function admitPodPriority(ctx: ApiContext, pod: Obj, requestedName?: string): Promise<void> {
  const def = ctx.priorityClasses;
  if (!def) return;
  pod.spec ??= {};
  const spec = pod.spec;
  let priority: number;
  let policy: string | undefined;
  if (!spec.priorityClassName) {
    const dpc = await defaultClass(ctx, def);
    if (dpc) {
      spec.priorityClassName = dpc.metadata.name;
      priority = dpc.value ?? 0;
      policy = dpc.preemptionPolicy;
    } else {
      priority = DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS;
      policy = 'PreemptLowerPriority';
    }
  } else {
    const pc = await ctx.store.tryGet(def, undefined, String(spec.priorityClassName));
    if (!pc)
      throw forbidden(
        'pods',
        requestedName,
        `no PriorityClass with name ${spec.priorityClassName} was found`,
      );
    priority = pc.value ?? 0;
    policy = pc.preemptionPolicy;
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
    throw forbidden(
      'pods',
      requestedName,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
    );
  }
  spec.priority = priority;
  if (policy) {
    if (spec.preemptionPolicy != null && spec.preemptionPolicy !== policy) {
      throw forbidden(
        'pods',
        requestedName,
        `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
      );
    }
    spec.preemptionPolicy = policy;
  }
}

/** Only one PriorityClass may be the global default. */
export async function admitPriorityClass(ctx: ApiContext, pc: Obj, old?: Obj): Promise<void> {
  const def = ctx.priorityClasses;
  if (!def || !pc.globalDefault) return;
  const dpc = await defaultClass(ctx, def);
  if (!dpc) return;
  if (!old || dpc.metadata.name !== pc.metadata?.name) {
    throw forbidden(
      'priorityclasses.scheduling.k8s.io',
      pc.metadata?.name,
      `PriorityClass ${dpc.metadata.name} is already marked as default. Only one default can exist`,
    );
  }
}
