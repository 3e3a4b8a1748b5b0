// What the service account and root CA controllers make in every namespace. Pods mount the API access
// volume (ServiceAccount admission) and a kubelet cannot start them without these, so tests that run
// pods through a kubelet without the controller manager create them first.
import type { RestClient } from '../../src/client/rest.js';

export async function createNamespaceBasics(rest: RestClient, namespace: string): Promise<void> {
  await rest
    .resource<Record<string, unknown>>({
      group: '',
      version: 'v1',
      plural: 'serviceaccounts',
      namespaced: true,
      kind: 'ServiceAccount',
    })
    .in(namespace)
    .create({ metadata: { name: 'default' } });
  await rest
    .resource<Record<string, unknown>>({
      group: '',
      version: 'v1',
      plural: 'configmaps',
      namespaced: true,
      kind: 'ConfigMap',
    })
    .in(namespace)
    .create({ metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': '' } });
}
