// An in-memory CRI runtime for the kubelet's sync tests: sandboxes and containers with labels, states and
// exit codes that the test drives (exit(), kill the sandbox), and a log of the calls the kubelet made.
import type { CriClient } from '../../src/runtime/cri/client.js';
import type { ContainerConfig, ContainerState, PodSandboxConfig } from '../../src/runtime/cri/types.js';

interface FakeSandbox {
  id: string;
  config: PodSandboxConfig;
  ready: boolean;
  createdAt: number;
  ip: string;
}

interface FakeContainer {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  logPath: string;
}

const ns = (ms: number) => (ms ? `${BigInt(ms) * 1_000_000n}` : '0');
const matches = (labels: Record<string, string>, sel?: Record<string, string>) =>
  Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);

export class FakeCri {
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: string[] = [];
  private seq = 0;

  constructor(private readonly now: () => number) {}

  asClient(): CriClient {
    return this as unknown as CriClient;
  }

  /** The process in a container ends with this code. */
  exit(id: string, exitCode: number): void {
    const c = this.containers.get(id)!;
    c.state = 'CONTAINER_EXITED';
    c.exitCode = exitCode;
    c.finishedAt = this.now();
  }

  running(): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.state === 'CONTAINER_RUNNING');
  }

  async version() {
    return { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1.0', runtimeApiVersion: 'v1' };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = `sb${++this.seq}`;
    this.calls.push(`RunPodSandbox ${config.metadata.name} attempt=${config.metadata.attempt}`);
    this.sandboxes.set(id, {
      id,
      config,
      ready: true,
      createdAt: this.now() + this.seq,
      ip: `10.42.0.${this.seq}`,
    });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    this.calls.push(`StopPodSandbox ${id}`);
    s.ready = false;
    for (const c of this.containers.values())
      if (c.sandboxId === id && c.state === 'CONTAINER_RUNNING') this.exit(c.id, 137);
  }

  async removePodSandbox(id: string): Promise<void> {
    if (!this.sandboxes.delete(id)) return;
    this.calls.push(`RemovePodSandbox ${id}`);
    for (const c of [...this.containers.values()]) if (c.sandboxId === id) this.containers.delete(c.id);
  }

  async podSandboxStatus(id: string) {
    const s = this.sandboxes.get(id)!;
    return { status: { id, network: { ip: s.ip, additionalIps: [] } }, info: {} };
  }

  async listPodSandbox(filter?: { labelSelector?: Record<string, string> }) {
    return [...this.sandboxes.values()]
      .filter((s) => matches(s.config.labels ?? {}, filter?.labelSelector))
      .map((s) => ({
        id: s.id,
        metadata: { ...s.config.metadata, attempt: s.config.metadata.attempt ?? 0 },
        state: s.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
        createdAt: ns(s.createdAt),
        labels: s.config.labels ?? {},
        annotations: {},
        runtimeHandler: '',
      }));
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const id = `c${++this.seq}`;
    this.calls.push(`CreateContainer ${config.metadata.name} attempt=${config.metadata.attempt}`);
    this.containers.set(id, {
      id,
      sandboxId,
      config,
      state: 'CONTAINER_CREATED',
      createdAt: this.now() + this.seq,
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      logPath: `/logs/${config.logPath}`,
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.containers.get(id)!;
    this.calls.push(`StartContainer ${c.config.metadata.name}`);
    c.state = 'CONTAINER_RUNNING';
    c.startedAt = this.now();
  }

  async stopContainer(id: string, timeout: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`StopContainer ${c.config.metadata.name} timeout=${timeout}`);
    if (c.state === 'CONTAINER_RUNNING') this.exit(id, 143);
  }

  async removeContainer(id: string): Promise<void> {
    if (this.containers.delete(id)) this.calls.push(`RemoveContainer ${id}`);
  }

  async listContainers(filter?: { labelSelector?: Record<string, string> }) {
    return [...this.containers.values()]
      .filter((c) => matches(c.config.labels ?? {}, filter?.labelSelector))
      .map((c) => ({
        id: c.id,
        podSandboxId: c.sandboxId,
        metadata: { name: c.config.metadata.name, attempt: c.config.metadata.attempt ?? 0 },
        image: c.config.image,
        imageRef: 'sha256:fake',
        state: c.state,
        createdAt: ns(c.createdAt),
        labels: c.config.labels ?? {},
        annotations: c.config.annotations ?? {},
      }));
  }

  async containerStatus(id: string) {
    const c = this.containers.get(id)!;
    return {
      status: {
        id,
        metadata: { name: c.config.metadata.name, attempt: c.config.metadata.attempt ?? 0 },
        state: c.state,
        createdAt: ns(c.createdAt),
        startedAt: ns(c.startedAt),
        finishedAt: ns(c.finishedAt),
        exitCode: c.exitCode,
        image: c.config.image,
        imageRef: 'sha256:fake',
        reason: c.state === 'CONTAINER_EXITED' ? (c.exitCode === 0 ? 'Completed' : 'Error') : '',
        message: '',
        labels: c.config.labels ?? {},
        annotations: c.config.annotations ?? {},
        mounts: [],
        logPath: c.logPath,
        resources: null,
      },
      info: {},
    };
  }

  async imageStatus(image: string) {
    return {
      id: `sha256:${image.length}`,
      repoTags: [image],
      repoDigests: [],
      size: '1',
      uid: null,
      username: '',
      spec: null,
      pinned: false,
    };
  }

  async pullImage(image: string) {
    return `sha256:${image.length}`;
  }
}
