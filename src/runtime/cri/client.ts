// A CRI v1 client (runtime.v1.RuntimeService and runtime.v1.ImageService) over a unix socket, with one
// promise method per RPC and a deadline on every call. The kubelet talks to containerd only through this.

import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { K8tsError } from '../../errors.js';
import { CRI_PROTO } from './api-proto.js';
import type {
  AttachOptions,
  AuthConfig,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatusResponse,
  ExecOptions,
  ExecSyncResult,
  FilesystemUsage,
  Image,
  ImageSpec,
  LinuxContainerResources,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatusResponse,
  RuntimeStatusResponse,
  VersionInfo,
} from './types.js';

/** The CRI API version the kubelet announces in Version. */
export const CRI_API_VERSION = 'v1';

/** Default deadlines. Sandbox start runs CNI plugins; image pulls can take minutes. */
export const CRI_TIMEOUTS = {
  default: 10_000,
  runPodSandbox: 60_000,
  stopPodSandbox: 60_000,
  createContainer: 30_000,
  pullImage: 5 * 60_000,
  removeImage: 60_000,
  /** Added on top of a call's own timeout (StopContainer, ExecSync). */
  slack: 10_000,
} as const;

/** A failed CRI call: the catalog code for callers, plus the gRPC status and method for logs. */
export class CriError extends K8tsError {
  readonly grpcCode: number;
  readonly method: string;
  constructor(method: string, grpcCode: number, text: string) {
    super(catalogCode(grpcCode), `CRI ${method}: ${text}`);
    this.grpcCode = grpcCode;
    this.method = method;
  }
}

function catalogCode(code: number) {
  switch (code) {
    case grpc.status.NOT_FOUND:
      return 'NotFound' as const;
    case grpc.status.ALREADY_EXISTS:
      return 'AlreadyExists' as const;
    case grpc.status.INVALID_ARGUMENT:
      return 'BadRequest' as const;
    case grpc.status.DEADLINE_EXCEEDED:
      return 'Timeout' as const;
    case grpc.status.UNAVAILABLE:
    case grpc.status.CANCELLED:
      return 'RuntimeUnavailable' as const;
    case grpc.status.FAILED_PRECONDITION:
      return 'Conflict' as const;
    default:
      return 'Internal' as const;
  }
}

/** True when err is a CRI NotFound (a sandbox, container or image that does not exist). */
export function isCriNotFound(err: unknown): boolean {
  return err instanceof CriError && err.grpcCode === grpc.status.NOT_FOUND;
}

type Unary = (
  req: unknown,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: any) => void,
) => grpc.ClientUnaryCall;

let cachedPackage: grpc.GrpcObject | undefined;

/** Parses the CRI proto once (about 40 ms); later clients reuse it. */
export function criPackage(): grpc.GrpcObject {
  if (!cachedPackage) {
    const parsed = protobuf.parse(CRI_PROTO, { keepCase: false });
    const definition = fromJSON(parsed.root.toJSON() as protobuf.INamespace, {
      longs: String,
      enums: String,
      defaults: true,
      arrays: true,
      objects: true,
    });
    cachedPackage = grpc.loadPackageDefinition(definition);
  }
  return cachedPackage;
}

function serviceCtor(name: 'RuntimeService' | 'ImageService'): grpc.ServiceClientConstructor {
  const v1 = (criPackage().runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
  return v1[name] as grpc.ServiceClientConstructor;
}

/** `unix:///abs/path` for a socket path; other targets (already with a scheme) pass through. */
export function grpcTarget(socket: string): string {
  return socket.includes('://') || socket.startsWith('unix:') ? socket : `unix://${socket}`;
}

export interface CriClientOptions {
  /** Default per-call deadline in ms (CRI_TIMEOUTS.default). */
  timeoutMs?: number;
}

export class CriClient {
  readonly socket: string;
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;
  private readonly timeoutMs: number;

  constructor(socket: string, opts: CriClientOptions = {}) {
    this.socket = socket;
    this.timeoutMs = opts.timeoutMs ?? CRI_TIMEOUTS.default;
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      'grpc.max_send_message_length': 16 * 1024 * 1024,
      // Reconnect quickly after the runtime restarts: the default back-off starts at 1 s and grows to 2 min.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    };
    const target = grpcTarget(socket);
    const creds = grpc.credentials.createInsecure();
    const Runtime = serviceCtor('RuntimeService');
    this.runtime = new Runtime(target, creds, channelOptions);
    // Share one channel between both services.
    const Images = serviceCtor('ImageService');
    this.images = new Images(target, creds, {
      ...channelOptions,
      channelOverride: this.runtime.getChannel(),
    });
  }

  close(): void {
    this.images.close();
    this.runtime.close();
  }

  private call<T>(client: grpc.Client, method: string, req: unknown, timeoutMs?: number): Promise<T> {
    const fn = (client as unknown as Record<string, Unary>)[method];
    const deadline = Date.now() + (timeoutMs ?? this.timeoutMs);
    return new Promise<T>((resolve, reject) => {
      fn.call(client, req, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(new CriError(method, err.code, err.details || err.message));
        else resolve(res as T);
      });
    });
  }

  private rt<T>(method: string, req: unknown, timeoutMs?: number): Promise<T> {
    return this.call<T>(this.runtime, method, req, timeoutMs);
  }

  private img<T>(method: string, req: unknown, timeoutMs?: number): Promise<T> {
    return this.call<T>(this.images, method, req, timeoutMs);
  }

  // ---- RuntimeService ----

  version(timeoutMs?: number): Promise<VersionInfo> {
    return this.rt('Version', { version: CRI_API_VERSION }, timeoutMs);
  }

  async status(verbose = false): Promise<RuntimeStatusResponse> {
    return this.rt('Status', { verbose });
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const res = await this.rt<{ podSandboxId: string }>(
      'RunPodSandbox',
      { config, runtimeHandler },
      CRI_TIMEOUTS.runPodSandbox,
    );
    return res.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.rt('StopPodSandbox', { podSandboxId }, CRI_TIMEOUTS.stopPodSandbox);
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.rt('RemovePodSandbox', { podSandboxId }, CRI_TIMEOUTS.stopPodSandbox);
  }

  podSandboxStatus(podSandboxId: string, verbose = false): Promise<PodSandboxStatusResponse> {
    return this.rt('PodSandboxStatus', { podSandboxId, verbose });
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    const res = await this.rt<{ items: PodSandbox[] }>('ListPodSandbox', { filter });
    return res.items;
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string> {
    const res = await this.rt<{ containerId: string }>(
      'CreateContainer',
      { podSandboxId, config, sandboxConfig },
      CRI_TIMEOUTS.createContainer,
    );
    return res.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.rt('StartContainer', { containerId }, CRI_TIMEOUTS.createContainer);
  }

  /** Sends the stop signal, waits up to timeoutSeconds, then kills. */
  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    await this.rt(
      'StopContainer',
      { containerId, timeout: timeoutSeconds },
      timeoutSeconds * 1000 + CRI_TIMEOUTS.slack,
    );
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.rt('RemoveContainer', { containerId }, CRI_TIMEOUTS.createContainer);
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    const res = await this.rt<{ containers: Container[] }>('ListContainers', { filter });
    return res.containers;
  }

  containerStatus(containerId: string, verbose = false): Promise<ContainerStatusResponse> {
    return this.rt('ContainerStatus', { containerId, verbose });
  }

  async updateContainerResources(containerId: string, linux: LinuxContainerResources): Promise<void> {
    await this.rt('UpdateContainerResources', { containerId, linux });
  }

  async reopenContainerLog(containerId: string): Promise<void> {
    await this.rt('ReopenContainerLog', { containerId });
  }

  /** Runs cmd in the container and collects its output; timeoutSeconds 0 means no limit on the runtime side. */
  execSync(containerId: string, cmd: string[], timeoutSeconds = 0): Promise<ExecSyncResult> {
    const deadline = timeoutSeconds > 0 ? timeoutSeconds * 1000 + CRI_TIMEOUTS.slack : 24 * 3600_000;
    return this.rt('ExecSync', { containerId, cmd, timeout: timeoutSeconds }, deadline);
  }

  /** The streaming-server URL for an exec session (the caller speaks SPDY/WebSocket to it). */
  async exec(opts: ExecOptions): Promise<string> {
    return (await this.rt<{ url: string }>('Exec', opts)).url;
  }

  async attach(opts: AttachOptions): Promise<string> {
    return (await this.rt<{ url: string }>('Attach', opts)).url;
  }

  async portForward(podSandboxId: string, ports: number[] = []): Promise<string> {
    return (await this.rt<{ url: string }>('PortForward', { podSandboxId, port: ports })).url;
  }

  async containerStats(containerId: string): Promise<ContainerStats | null> {
    return (await this.rt<{ stats: ContainerStats | null }>('ContainerStats', { containerId })).stats;
  }

  async listContainerStats(filter?: {
    id?: string;
    podSandboxId?: string;
    labelSelector?: Record<string, string>;
  }): Promise<ContainerStats[]> {
    return (await this.rt<{ stats: ContainerStats[] }>('ListContainerStats', { filter })).stats;
  }

  async updateRuntimeConfig(podCidr: string): Promise<void> {
    await this.rt('UpdateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr } } });
  }

  // ---- ImageService ----

  async listImages(filter?: ImageSpec): Promise<Image[]> {
    const res = await this.img<{ images: Image[] }>('ListImages', {
      filter: filter ? { image: filter } : undefined,
    });
    return res.images;
  }

  /** The image, or null when the runtime does not have it. */
  async imageStatus(image: string | ImageSpec, verbose = false): Promise<Image | null> {
    const spec = typeof image === 'string' ? { image } : image;
    const res = await this.img<{ image: Image | null }>('ImageStatus', { image: spec, verbose });
    // An absent image comes back as null, or as an empty message from some runtimes.
    return res.image?.id ? res.image : null;
  }

  /** Pulls and returns the image reference (its ID) the runtime resolved. */
  async pullImage(image: string | ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig) {
    const spec = typeof image === 'string' ? { image } : image;
    const res = await this.img<{ imageRef: string }>(
      'PullImage',
      { image: spec, auth, sandboxConfig },
      CRI_TIMEOUTS.pullImage,
    );
    return res.imageRef;
  }

  async removeImage(image: string | ImageSpec): Promise<void> {
    const spec = typeof image === 'string' ? { image } : image;
    await this.img('RemoveImage', { image: spec }, CRI_TIMEOUTS.removeImage);
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    return (await this.img<{ imageFilesystems: FilesystemUsage[] }>('ImageFsInfo', {})).imageFilesystems;
  }
}
