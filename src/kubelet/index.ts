// The node agent: registers the node, waits for its podCIDR, and runs a serialized worker per pod bound
// to it (spec.nodeName field selector), turning pod specs into CRI sandboxes and containers and their
// state back into pod status. Everything it knows about running pods it reads back from CRI labels, so a
// restarted kubelet adopts the containers it left running instead of starting them again.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Clock,
  consoleLogger,
  EventRecorder,
  type Logger,
  RestClient,
  realClock,
  restEventSink,
  SharedInformerFactory,
} from '../client/index.js';
import { containerdPaths } from '../runtime/containerd-config.js';
import type { CriClient } from '../runtime/cri/client.js';
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from '../runtime/images.js';
import { swapControl } from './cgroups.js';
import { EvictionManager } from './eviction/manager.js';
import { type StatsProvider as EvictionStatsProvider, hostStats } from './eviction/stats.js';
import { hardEvictionReserve, parseEvictionConfig, type Threshold } from './eviction/thresholds.js';
import { hostFacts, hostResolvConf, internalIP } from './host.js';
import { ImageGCManager, type ImageGCPolicy } from './image-gc.js';
import { LABEL_MANAGED } from './labels.js';
import { logResolver } from './logs.js';
import { instrumentRuntime, KubeletMetrics, PodStartTracker, resourceMetricsText } from './metrics.js';
import { NodeAgent } from './node-agent.js';
import { allocatable } from './node-status.js';
import { Pleg } from './pleg.js';
import { PodSyncer } from './pod-sync.js';
import { PodWorkers } from './pod-workers.js';
import { ProbeManager } from './prober/manager.js';
import { type Obj, PODS } from './refs.js';
import { listRuntimePods } from './runtime-state.js';
import { startKubeletServer } from './server.js';
import { StaticPodSource } from './static/file-source.js';
import { isMirrorPod, podFullName } from './static/manifest.js';
import { MirrorPods } from './static/mirror.js';
import { StatsProvider } from './stats.js';
import { StatusManager } from './status-manager.js';
import { streamResolver } from './streams.js';

export const DEFAULT_KUBELET_PORT = 10250;

export interface KubeletOptions {
  /** The API server, e.g. http://127.0.0.1:6443. */
  apiServer: string;
  bearerToken?: string;
  nodeName: string;
  dataDir: string;
  cri: CriClient;
  /** Configures the pod network for the node's podCIDR (NodeRuntime.setPodCIDR). */
  setPodCIDR(podCIDR: string): void;
  /** The node's address (default: the host's first non-loopback IPv4). */
  nodeIP?: string;
  /** The kubelet server's port (default 10250; 0 picks one) and bind address (default 0.0.0.0). */
  port?: number;
  bindAddress?: string;
  /** The cluster domain pods' search paths end with (default cluster.local). */
  clusterDomain?: string;
  /**
   * The nameservers of pods with dnsPolicy ClusterFirst, asked at each sandbox creation (a node learns its
   * DNS address with its podCIDR). Empty: those pods get the host's DNS, as upstream without clusterDNS.
   */
  clusterDNS?(): string[];
  /** Parent of the pods' cgroups (default /kubepods). */
  cgroupRoot?: string;
  /** Pods synced in parallel (default 64; a pod waiting out its grace period holds one). */
  workers?: number;
  /** Pods started at once (default 8: on a busy runtime, fewer at once start the first ones sooner). */
  parallelStarts?: number;
  /** Node-pressure eviction: thresholds (default upstream's hard ones), transition period, soft grace cap. */
  eviction?: {
    thresholds?: Threshold[];
    pressureTransitionPeriodMs?: number;
    maxPodGracePeriodSeconds?: number;
  };
  /** Image GC thresholds (default 85% / 80%, 2 minutes). */
  imageGC?: ImageGCPolicy;
  /** Node and pod usage (default: read from the host, CRI and cgroups). */
  stats?: EvictionStatsProvider;
  /** Static pod manifests (default `<dataDir>/manifests`; '' turns static pods off). */
  podManifestPath?: string;
  /** How often the manifest directory is read again besides watching it (default 20 s, as upstream). */
  fileCheckFrequencyMs?: number;
  clock?: Clock;
  log?: Logger;
}

export interface Kubelet {
  readonly nodeName: string;
  readonly port: number;
  readonly rest: RestClient;
  /** Resolves once the Node exists and its pod network is configured. */
  readonly ready: Promise<void>;
  stats(): {
    syncs: number;
    statusWrites: number;
    relists: number;
    evictions: number;
    imagesRemoved: number;
    staticPods: number;
    mirrorCreates: number;
  };
  /** Node, pod and container usage (the Summary API); for node-pressure checks too. */
  readonly resourceStats: StatsProvider;
  stop(): Promise<void>;
}

export async function startKubelet(opts: KubeletOptions): Promise<Kubelet> {
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? consoleLogger;
  const rest = new RestClient({
    baseUrl: opts.apiServer,
    bearerToken: opts.bearerToken,
    qps: 1000,
    burst: 1000,
    userAgent: `kubelet/${opts.nodeName}`,
  });
  const informers = new SharedInformerFactory(rest, { clock, log });
  const recorder = new EventRecorder({
    sink: restEventSink(rest),
    component: 'kubelet',
    host: opts.nodeName,
    clock,
    log,
  });
  const nodeIP = opts.nodeIP ?? internalIP();
  // Every CRI call below is counted and timed for /metrics; the scrapes themselves use the plain client.
  const rawCri = opts.cri;
  const metrics = new KubeletMetrics(runningCounts(rawCri));
  const cri = instrumentRuntime(rawCri, metrics);
  opts = { ...opts, cri };
  const resourceStats = new StatsProvider({
    cri: rawCri,
    nodeName: opts.nodeName,
    cgroupRoot: opts.cgroupRoot,
    clock,
  });
  const podStarts = new PodStartTracker(metrics, () => clock.now());
  const thresholds = opts.eviction?.thresholds ?? parseEvictionConfig({});
  const reserve = hardEvictionReserve(thresholds);
  const version = await opts.cri.version();
  const facts = hostFacts(opts.dataDir);

  const podInformer = informers.informerFor<Obj>(PODS, { fieldSelector: `spec.nodeName=${opts.nodeName}` });
  // logs, exec and port-forward name the mirror pod; the containers belong to its static pod.
  const findPod = (ns: string, name: string) => {
    const pod = podInformer.store.getByName(ns, name);
    return pod && isMirrorPod(pod) ? workers.staticPod(podFullName(pod)) : pod;
  };
  const server = await startKubeletServer({
    host: opts.bindAddress ?? '0.0.0.0',
    port: opts.port ?? DEFAULT_KUBELET_PORT,
    logs: logResolver(opts.cri, findPod),
    streams: streamResolver(opts.cri, findPod),
    metrics: {
      metrics: () => metrics.text(),
      resourceMetrics: async () => resourceMetricsText(await resourceStats.summary()),
      summary: () => resourceStats.summary(),
    },
  });
  podInformer.addEventHandler({
    onAdd: (p) => podStarts.seen(p.metadata.uid),
    onUpdate: () => {},
    onDelete: (p) => podStarts.forget(p.metadata.uid),
  });

  const agent = new NodeAgent({
    rest,
    informers,
    cri: opts.cri,
    identity: {
      name: opts.nodeName,
      internalIP: nodeIP,
      kubeletPort: server.port,
      runtimeVersion: `${version.runtimeName}://${version.runtimeVersion}`,
    },
    dataDir: opts.dataDir,
    clock,
    log,
    onPodCIDR: (cidr) => opts.setPodCIDR(cidr),
    pressure: () => eviction.conditions(),
    evictionReserve: reserve,
  });
  const status = new StatusManager(rest, log, (uid, st) => podStarts.statusWritten(uid, st.phase));
  const mirrors = new MirrorPods({
    rest,
    nodeName: opts.nodeName,
    log,
    lookup: (ns, name) => podInformer.store.getByName(ns, name),
  });
  mirrors.watch(podInformer);
  let networkUp = false;
  // A changed probe result syncs its pod (readiness into status, a failed liveness probe kills).
  const probes = new ProbeManager({
    clock,
    target: opts.cri,
    recorder,
    log,
    onChange: (uid) => workers.enqueue(uid),
  });
  const syncer = new PodSyncer({
    cri: opts.cri,
    rest,
    recorder,
    status,
    clock,
    log,
    dataDir: opts.dataDir,
    dns: hostResolvConf(),
    clusterDns: () => {
      const servers = opts.clusterDNS?.() ?? [];
      return servers.length > 0 ? { domain: opts.clusterDomain ?? 'cluster.local', servers } : undefined;
    },
    cgroupRoot: opts.cgroupRoot,
    hostIPs: () => [nodeIP],
    nodeAllocatable: () => allocatable(facts, reserve),
    parallelStarts: opts.parallelStarts,
    probes,
    memoryBackedSecrets: true,
    resources: { memoryCapacity: facts.memoryBytes, swap: swapControl() },
    admit: (pod) => eviction.admit(pod),
    podCgroups: true,
    mirrors,
    networkReady: () => networkUp,
    // A pod held by a missing ConfigMap or Secret starts as soon as it appears.
    onObjectChange: (uids) => {
      for (const uid of uids) workers.enqueue(uid);
    },
  });
  const workers = new PodWorkers(syncer, clock, log, opts.workers);
  workers.watch(podInformer);
  workers.onOrphanMirror = (mirror) => {
    mirrors
      .remove(mirror)
      .catch((err) => log.warn('orphaned mirror pod not deleted', { pod: podFullName(mirror), error: err }));
  };
  const manifestDir = opts.podManifestPath ?? join(opts.dataDir, 'manifests');
  // The default directory is made so it can be watched from the start (a named one is the admin's).
  if (opts.podManifestPath === undefined) mkdirSync(manifestDir, { recursive: true });
  const staticPods = manifestDir
    ? new StaticPodSource({
        dir: manifestDir,
        nodeName: opts.nodeName,
        clock,
        log,
        periodMs: opts.fileCheckFrequencyMs,
        onUpdate: (pods) => workers.setStaticPods(pods),
      })
    : undefined;
  // Until the API server's pods are known, the runtime wakes only pods we know (static ones): an unknown
  // uid then is not a leftover yet, just a pod the informer has not delivered.
  let apiSynced = false;
  const pleg = new Pleg(
    opts.cri,
    (uid) => {
      if (apiSynced || workers.get(uid)) workers.enqueue(uid);
    },
    clock,
    log,
  );

  const stats =
    opts.stats ??
    hostStats({
      dataDir: opts.dataDir,
      imageFsPath: containerdPaths(opts.dataDir).root,
      // The same reader on the counted runtime: eviction's CRI calls show in /metrics, the scrapes' do not.
      resources: new StatsProvider({
        cri: opts.cri,
        nodeName: opts.nodeName,
        cgroupRoot: opts.cgroupRoot,
        clock,
      }),
    });
  const imageGC = new ImageGCManager({
    cri: opts.cri,
    clock,
    log,
    imageFs: async () => (await stats.node()).imageFs,
    policy: opts.imageGC,
    protectedImages: [PAUSE_IMAGE, BUSYBOX_IMAGE],
    recorder,
    nodeRef: { kind: 'Node', name: opts.nodeName },
  });
  const eviction = new EvictionManager({
    clock,
    log,
    stats,
    thresholds,
    pressureTransitionPeriodMs: opts.eviction?.pressureTransitionPeriodMs,
    maxPodGracePeriodSeconds: opts.eviction?.maxPodGracePeriodSeconds,
    activePods: () =>
      podInformer.store
        .list()
        .filter(
          (p) =>
            p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp,
        ),
    async evict({ pod, status, message, gracePeriodSeconds }) {
      recorder.event(pod, 'Warning', 'Evicted', message);
      syncer.failPod(pod.metadata.uid, status, gracePeriodSeconds);
      workers.enqueue(pod.metadata.uid);
    },
    reclaimImages: async () => {
      await imageGC.deleteUnusedImages();
    },
    onConditionsChanged: () => void agent.updateStatus().catch(() => {}),
  });

  // Static pods need no API server: they start now, before the node is even registered.
  staticPods?.start();
  workers.start();
  pleg.start();
  syncer.volumes.start();

  let stopped = false;
  const run = (async () => {
    // The API server may not answer yet (an agent started first): keep trying.
    for (;;) {
      try {
        await agent.register();
        break;
      } catch (err) {
        if (stopped) return;
        log.warn('node registration failed, retrying', { node: opts.nodeName, error: err });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    agent.start();
    informers.start();
    if (!(await informers.waitForSync()) || stopped) return;
    apiSynced = true;
    // Pods deleted while the kubelet was down: their sandboxes are still in the runtime.
    for (const ref of await listRuntimePods(opts.cri)) if (!workers.get(ref.uid)) workers.enqueue(ref.uid);
    // Pods off the host network need the pod network: they wait until the podCIDR is known.
    await agent.waitForPodCIDR();
    networkUp = true;
    if (stopped) return;
    eviction.start();
    imageGC.start();
  })();
  run.catch((err) => log.error('kubelet failed to start', { node: opts.nodeName, error: err }));
  const ready = run.then(() => agent.waitForPodCIDR());

  return {
    nodeName: opts.nodeName,
    port: server.port,
    rest,
    ready,
    resourceStats,
    stats: () => ({
      syncs: workers.syncs,
      statusWrites: status.writes,
      relists: pleg.relists,
      evictions: eviction.evictions,
      imagesRemoved: imageGC.removed.length,
      staticPods: staticPods?.pods().length ?? 0,
      mirrorCreates: mirrors.creates,
    }),
    async stop() {
      stopped = true;
      staticPods?.stop();
      pleg.stop();
      eviction.stop();
      imageGC.stop();
      probes.stop();
      syncer.volumes.stop();
      await syncer.objects.stop();
      agent.stop();
      // A sync in the middle of a graceful stop can take its grace period; do not hold shutdown for it.
      await Promise.race([workers.stop(), new Promise((r) => setTimeout(r, 2_000).unref())]);
      await run.catch(() => {});
      await informers.stop();
      await server.close();
      await Promise.race([recorder.close(), new Promise((r) => setTimeout(r, 1_000).unref())]);
      rest.close();
    },
  };
}

/** What kubelet_running_pods and kubelet_running_containers read at scrape time, from the runtime. */
function runningCounts(cri: CriClient) {
  const labelSelector = { [LABEL_MANAGED]: 'true' };
  return {
    pods: async () =>
      (await cri.listPodSandbox({ state: { state: 'SANDBOX_READY' as const }, labelSelector })).length,
    containers: async () => {
      const out = new Map<string, number>();
      for (const c of await cri.listContainers({ labelSelector })) {
        const state = c.state.replace('CONTAINER_', '').toLowerCase();
        out.set(state, (out.get(state) ?? 0) + 1);
      }
      return out;
    },
  };
}
