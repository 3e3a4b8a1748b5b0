// The ServiceAccount admission plugin on pod create, as upstream's plugin/pkg/admission/serviceaccount:
// spec.serviceAccountName defaults to `default`, and unless the pod or its ServiceAccount opts out with
// automountServiceAccountToken: false, every container gets the projected API access volume (a bound
// token the kubelet requests and refreshes, the kube-root-ca.crt ConfigMap's ca.crt, the namespace).
// A mirror pod is left alone but refused when it names a service account, secrets or a token projection
// (`pods "x" is forbidden: a mirror pod may not reference service accounts`). Unlike upstream, a pod whose ServiceAccount does not exist (yet) is not
// refused: the kubelet's token request fails (FailedMount) until the service account controller made it.
import {
  defaultServiceAccountName,
  mountServiceAccountToken,
  shouldAutomountToken,
} from '../api/podspec/admission.js';
import { mirrorPodAdmissionError } from '../api/podspec/mirror.js';
import type { Obj } from '../api/types.js';
import { isK8tsError, K8tsError } from '../errors.js';
import type { ApiContext } from './handlers.js';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export async function admitPodServiceAccount(ctx: ApiContext, pod: Obj): Promise<void> {
  pod.spec ??= {};
  if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
    const why = mirrorPodAdmissionError(pod.spec);
    if (why) {
      const name = pod.metadata?.name;
      const message = name ? `pods "${name}" is forbidden: ${why}` : `pods is forbidden: ${why}`;
      throw new K8tsError('Forbidden', message, { name: name || undefined, kind: 'pods' });
    }
    return;
  }
  defaultServiceAccountName(pod.spec);
  let sa: Obj | undefined;
  if (ctx.serviceAccounts && pod.spec.automountServiceAccountToken === undefined) {
    try {
      sa = await ctx.store.get(ctx.serviceAccounts, pod.metadata.namespace, pod.spec.serviceAccountName);
    } catch (err) {
      if (!isK8tsError(err, 'NotFound')) throw err;
    }
  }
  if (shouldAutomountToken(pod.spec, sa)) mountServiceAccountToken(pod.spec);
}
