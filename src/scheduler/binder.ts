// DefaultBinder: binds through the pods/binding subresource, as upstream.
import type { ResourceClient } from '../client/resource.js';
import { type Binder, type Pod, Status } from './types.js';

export function defaultBinder(pods: ResourceClient): Binder {
  return {
    name: 'DefaultBinder',
    async bind(pod: Pod, nodeName: string) {
      const { namespace, name, uid } = pod.metadata;
      try {
        await pods.in(namespace).createSubresource(name, 'binding', {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace, ...(uid ? { uid } : {}) },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        });
        return undefined;
      } catch (err) {
        return Status.error((err as Error).message);
      }
    },
  };
}
