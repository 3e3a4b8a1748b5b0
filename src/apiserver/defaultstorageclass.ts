// The DefaultStorageClass admission plugin on PersistentVolumeClaim create (upstream's
// plugin/pkg/admission/storage/storageclass/setdefault): a claim that names no class (storageClassName unset,
// not "", and no beta annotation) gets the default StorageClass, the newest one when several are marked.
import { isDefaultStorageClass } from '../api/resources/storageclass.js';
import type { Obj } from '../api/types.js';
import type { ApiContext } from './handlers.js';

export async function admitDefaultStorageClass(ctx: ApiContext, pvc: Obj): Promise<void> {
  if (!ctx.storageClasses) return;
  if (pvc.spec?.storageClassName != null) return;
  if (pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
  const { items } = await ctx.store.list(ctx.storageClasses, undefined, undefined);
  let best: Obj | undefined;
  for (const sc of items) {
    if (!isDefaultStorageClass(sc)) continue;
    const t = Date.parse(sc.metadata?.creationTimestamp ?? '') || 0;
    const b = Date.parse(best?.metadata?.creationTimestamp ?? '') || 0;
    if (!best || t > b || (t === b && sc.metadata.name < best.metadata.name)) best = sc;
  }
  if (best) {
    pvc.spec ??= {};
    pvc.spec.storageClassName = best.metadata.name;
  }
}
