import { list } from './guards.js';
// Helpers shared by PersistentVolume and PersistentVolumeClaim (and StatefulSet claim templates).
import type { Obj } from './types.js';

export const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

/** helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, comma separated. */
export function accessModesString(modes: string[] | undefined): string {
  const m = list(modes);
  const out: string[] = [];
  if (m.includes('ReadWriteOnce')) out.push('RWO');
  if (m.includes('ReadOnlyMany')) out.push('ROX');
  if (m.includes('ReadWriteMany')) out.push('RWX');
  if (m.includes('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** The storage class of a PV or PVC: spec.storageClassName or the beta annotation. */
export function storageClassOf(o: Obj): string {
  return (
    o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? o.spec?.storageClassName ?? ''
  );
}
