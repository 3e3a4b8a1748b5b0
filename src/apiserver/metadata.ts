// Object metadata rules shared by every kind: names, uid, timestamps, generation.
import { randomInt, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Obj, ResourceDef } from '../api/types.js';

let lastSecond = Number.NaN;
let lastText = '';

/** RFC 3339 with second precision, as metav1.Time serializes (formatted once per second: every write asks). */
export function timestamp(now: Date): string {
  const second = Math.floor(now.getTime() / 1000);
  if (second !== lastSecond) {
    lastText = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastText;
}

// Upstream's generateName suffix alphabet avoids vowels and confusable characters.
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(base: string): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  // Keep the result within 63 characters as upstream does (base truncated to 58).
  return base.slice(0, 58) + s;
}

/**
 * Kinds whose controllers report status.observedGeneration get metadata.generation, bumped on every
 * change of the desired state (upstream's workload, batch and policy strategies, and EndpointSlices, whose
 * controllers use it to tell their own writes from stale caches); other kinds have none.
 */
export function tracksGeneration(def: Pick<ResourceDef, 'group' | 'kind' | 'generation'>): boolean {
  return (
    def.generation === true ||
    ['apps', 'batch', 'policy', 'networking.k8s.io', 'autoscaling', 'discovery.k8s.io'].includes(def.group) ||
    def.kind === 'ReplicationController'
  );
}

/** Sets the system fields of a new object. */
export function initMetadata(obj: Obj, def: ResourceDef, now: Date): void {
  const m = obj.metadata;
  m.uid = randomUUID();
  m.creationTimestamp = timestamp(now);
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
  if (tracksGeneration(def)) m.generation = 1;
  else delete m.generation;
}

/** Everything except metadata and status: what a generation bump tracks. */
function desiredState(obj: Obj): Obj {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/** Copies system fields from the stored object and bumps generation when the desired state changed. */
export function carryMetadata(updated: Obj, old: Obj, def: ResourceDef): void {
  const m = updated.metadata;
  const o = old.metadata;
  m.uid = o.uid;
  m.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
  if (tracksGeneration(def)) {
    const gen = o.generation ?? 1;
    m.generation = isDeepStrictEqual(desiredState(updated), desiredState(old)) ? gen : gen + 1;
  } else delete m.generation;
}

/** True when two versions differ in anything but resourceVersion and managedFields timestamps. */
export function sameObject(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => {
    const { resourceVersion: _r, managedFields: _f, ...meta } = o.metadata ?? {};
    return { ...o, metadata: meta };
  };
  return isDeepStrictEqual(strip(a), strip(b));
}
