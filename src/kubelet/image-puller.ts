// Makes a container's image present per its pull policy (upstream's image manager): Never uses only what
// is there, IfNotPresent pulls when missing, Always pulls every time, except k8ts's built-in images
// (k8ts.local/...), which no registry serves and are always present. Failed pulls back off per pod and
// image (10 s doubling to 5 min): ErrImagePull first, ImagePullBackOff while backing off.
import type { Clock, EventRecorder } from '../client/index.js';
import type { CriClient } from '../runtime/cri/client.js';
import type { PodSandboxConfig } from '../runtime/cri/types.js';
import { Backoff } from './backoff.js';
import type { Obj } from './refs.js';

export const LOCAL_REGISTRY = 'k8ts.local/';

export class ImageError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The policy the API server defaults: Always for :latest or no tag, IfNotPresent otherwise. */
export function pullPolicy(container: Obj): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const image: string = container.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.split('/').pop() ?? '';
  const tag = last.includes(':') ? last.split(':').pop() : '';
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}

export class ImagePuller {
  readonly backoff: Backoff;

  constructor(
    private readonly cri: CriClient,
    private readonly recorder: EventRecorder,
    private readonly clock: Clock,
  ) {
    this.backoff = new Backoff(clock);
  }

  /** Ensures the image is present and returns the runtime's reference to it. */
  async ensure(pod: Obj, container: Obj, sandbox: PodSandboxConfig): Promise<string> {
    const image: string = container.image ?? '';
    if (!image) throw new ImageError('InvalidImageName', `Failed to apply default image tag "${image}"`);
    const policy = pullPolicy(container);
    const present = await this.cri.imageStatus(image);
    const alwaysLocal = image.startsWith(LOCAL_REGISTRY);
    if (present && (policy !== 'Always' || alwaysLocal)) {
      this.recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return present.id;
    }
    if (policy === 'Never' || (alwaysLocal && !present)) {
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      this.recorder.event(pod, 'Warning', 'ErrImageNeverPull', msg);
      throw new ImageError('ErrImageNeverPull', msg);
    }
    const key = `${pod.metadata.uid}_${image}`;
    const held = this.backoff.inBackoffSinceUpdate(key);
    if (held.inBackoff) {
      const msg = `Back-off pulling image "${image}"`;
      this.recorder.event(pod, 'Normal', 'BackOff', msg);
      throw new ImageError('ImagePullBackOff', msg, held.remainingMs);
    }
    this.recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const t0 = this.clock.now();
    try {
      const ref = await this.cri.pullImage(image, undefined, sandbox);
      const took = this.clock.now() - t0;
      const size = (await this.cri.imageStatus(ref).catch(() => null))?.size ?? '0';
      this.recorder.event(
        pod,
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${seconds(took)} (${seconds(took)} including waiting). Image size: ${size} bytes.`,
      );
      return ref;
    } catch (err) {
      const delay = this.backoff.next(key, this.clock.now());
      const msg = `Failed to pull image "${image}": ${(err as Error).message}`;
      this.recorder.event(pod, 'Warning', 'Failed', msg);
      this.recorder.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      throw new ImageError('ErrImagePull', msg, delay);
    }
  }
}
