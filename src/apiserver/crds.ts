// The CRD controller inside the API server (upstream's naming, establishing and finalizing
// controllers in one): it accepts a CRD's names, marks it Established once its custom resources are
// served, registers those resources in the server's registry, and on deletion removes every custom
// resource before it lets the CRD go (finalizer customresourcecleanup.apiextensions.k8s.io).
// It reads CRDs from the watch cache, so the CRDs in the store are served again after a restart.
import { customResourceDefs } from '../api/crd/custom-resource.js';
import { hardened } from '../api/guards.js';
import type { Registry } from '../api/registry.js';
import { CRD_CLEANUP_FINALIZER } from '../api/resources/customresourcedefinition.js';
import type { Obj, ResourceDef } from '../api/types.js';
import { isK8tsError } from '../errors.js';
import { type ApiContext, deleteObject, updateObject } from './handlers.js';
import { timestamp } from './metadata.js';

/** How long to wait before looking again at a CRD whose custom resources are still being deleted. */
const CLEANUP_RETRY_MS = 500;

interface Served {
  /** Spec and accepted names the registered entries were built from. */
  fingerprint: string;
  defs: ResourceDef[];
}

export class CustomResourceController {
  private readonly served = new Map<string, Served>();
  private chain: Promise<void> = Promise.resolve();
  private readonly pending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly registry: Registry,
    private readonly crds: ResourceDef,
  ) {}

  /** Serves every CRD in the store, then follows changes. */
  async start(): Promise<void> {
    const cache = this.ctx.store.cache(this.crds);
    await cache.ready();
    const from = cache.revision;
    for (const obj of cache.list()) {
      // One bad CRD must not keep the server from starting: it is retried like any other failure.
      await this.reconcile(obj.metadata.name).catch((err) => {
        console.error(`crd controller: ${obj.metadata.name}: ${(err as Error).message}`);
        this.enqueue(obj.metadata.name, CLEANUP_RETRY_MS);
      });
    }
    this.unsubscribe = cache.subscribe(from, (events) => {
      for (const e of events) this.enqueue(e.object.metadata?.name);
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves once every reconcile queued so far has run (for tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(name: string | undefined, delayMs = 0): void {
    if (!name || this.stopped) return;
    if (delayMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.enqueue(name);
      }, delayMs);
      t.unref();
      this.timers.add(t);
      return;
    }
    if (this.pending.has(name)) return;
    this.pending.add(name);
    this.chain = this.chain.then(async () => {
      this.pending.delete(name);
      if (this.stopped) return;
      try {
        await this.reconcile(name);
      } catch (err) {
        if (this.stopped) return;
        console.error(`crd controller: ${name}: ${(err as Error).message}`);
        this.enqueue(name, CLEANUP_RETRY_MS);
      }
    });
  }

  private async reconcile(name: string): Promise<void> {
    const crd = await this.ctx.store.tryGet(this.crds, undefined, name);
    if (!crd) {
      this.unserve(name);
      return;
    }
    if (crd.metadata.deletionTimestamp) {
      await this.finalize(crd);
      return;
    }
    const conflict = this.namesConflict(crd);
    const status = desiredStatus(crd, conflict, this.ctx.now());
    if (!conflict) this.serve(name, { ...crd, status });
    else this.unserve(name);
    await this.writeStatus(name, status);
  }

  /** A plural or kind already served in the CRD's group by something else, as upstream's naming controller checks. */
  private namesConflict(crd: Obj): string | undefined {
    const { group, names } = crd.spec;
    const mine = new Set(this.served.get(crd.metadata.name)?.defs ?? []);
    for (const def of this.registry.resources) {
      if (def.group !== group || mine.has(def)) continue;
      if (def.plural === names.plural) return `"${names.plural}" is already in use`;
      if (def.kind === names.kind) return `"${names.kind}" is already in use`;
      if (names.singular && def.singular === names.singular) return `"${names.singular}" is already in use`;
      for (const s of names.shortNames ?? [])
        if (def.shortNames?.includes(s)) return `"${s}" is already in use`;
    }
    return undefined;
  }

  private serve(name: string, crd: Obj): void {
    const fingerprint = JSON.stringify([crd.spec, crd.status.acceptedNames]);
    const current = this.served.get(name);
    if (current?.fingerprint === fingerprint) return;
    const defs = customResourceDefs(crd).map(hardened);
    if (current) this.registry.remove(current.defs);
    this.registry.add(defs);
    this.served.set(name, { fingerprint, defs });
  }

  private unserve(name: string): void {
    const current = this.served.get(name);
    if (!current) return;
    this.registry.remove(current.defs);
    this.served.delete(name);
  }

  private async writeStatus(name: string, status: Obj): Promise<void> {
    await updateObject(
      this.ctx,
      { def: this.crds, name },
      (current) => {
        current.status = mergeConditions(current.status, status, this.ctx.now());
        return current;
      },
      { dryRun: false, subresource: 'status', manager: 'k8ts-apiextensions-controller' },
    ).catch((err) => {
      if (!isK8tsError(err, 'NotFound')) throw err;
    });
  }

  /** Deletes every custom resource of a terminating CRD, then removes the cleanup finalizer. */
  private async finalize(crd: Obj): Promise<void> {
    const name = crd.metadata.name;
    if (!(crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) return;
    const terminating = {
      ...crd.status,
      conditions: setCondition(
        crd.status?.conditions,
        {
          type: 'Terminating',
          status: 'True',
          reason: 'InstanceDeletionInProgress',
          message: 'CustomResource deletion is in progress',
        },
        this.ctx.now(),
      ),
    };
    await this.writeStatus(name, terminating);
    // Upstream still serves reads and deletes of a terminating CRD's resources, but no new ones.
    for (const d of this.served.get(name)?.defs ?? [])
      d.refusesCreate = 'create not allowed while custom resource definition is terminating';
    const def = customResourceDefs(crd, { allVersions: true })[0];
    if (def) {
      const { items } = await this.ctx.store.list(def, undefined, undefined);
      for (const o of items) {
        await deleteObject(
          this.ctx,
          { def, namespace: o.metadata.namespace, name: o.metadata.name },
          { dryRun: false },
        ).catch((err) => {
          if (!isK8tsError(err, 'NotFound')) throw err;
        });
      }
      const left = await this.ctx.store.list(def, undefined, undefined);
      if (left.items.length > 0) {
        // Some are held by their own finalizers: look again later.
        this.enqueue(name, CLEANUP_RETRY_MS);
        return;
      }
    }
    this.unserve(name);
    await updateObject(
      this.ctx,
      { def: this.crds, name },
      (current) => {
        current.metadata.finalizers = (current.metadata.finalizers ?? []).filter(
          (f: string) => f !== CRD_CLEANUP_FINALIZER,
        );
        return current;
      },
      { dryRun: false, manager: 'k8ts-apiextensions-controller' },
    ).catch((err) => {
      if (!isK8tsError(err, 'NotFound')) throw err;
    });
  }
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** Sets one condition, keeping its lastTransitionTime when the status did not change. */
function setCondition(conditions: Condition[] | undefined, c: Condition, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: c.type,
    status: c.status,
    lastTransitionTime:
      prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : timestamp(now),
    reason: c.reason,
    message: c.message,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** The status the controller wants: accepted names and the NamesAccepted and Established conditions. */
function desiredStatus(crd: Obj, conflict: string | undefined, now: Date): Obj {
  const status: Obj = { ...(crd.status ?? {}) };
  let conditions: Condition[] = status.conditions ?? [];
  if (conflict) {
    conditions = setCondition(
      conditions,
      { type: 'NamesAccepted', status: 'False', reason: 'NameConflict', message: conflict },
      now,
    );
    conditions = setCondition(
      conditions,
      { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' },
      now,
    );
  } else {
    const n = crd.spec.names;
    status.acceptedNames = {
      plural: n.plural,
      singular: n.singular,
      ...(n.shortNames?.length ? { shortNames: n.shortNames } : {}),
      kind: n.kind,
      listKind: n.listKind,
      ...(n.categories?.length ? { categories: n.categories } : {}),
    };
    conditions = setCondition(
      conditions,
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
      now,
    );
    conditions = setCondition(
      conditions,
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
      now,
    );
  }
  status.conditions = conditions;
  status.storedVersions ??= [];
  return status;
}

/** The desired status over the current one (conditions merged by type, storedVersions kept). */
function mergeConditions(current: Obj | undefined, desired: Obj, now: Date): Obj {
  let conditions = current?.conditions ?? [];
  for (const c of desired.conditions ?? []) conditions = setCondition(conditions, c, now);
  const out: Obj = { ...(current ?? {}), conditions };
  if (desired.acceptedNames) out.acceptedNames = desired.acceptedNames;
  return out;
}
