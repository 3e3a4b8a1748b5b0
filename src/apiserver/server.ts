// The API server: routes requests to discovery, health, OpenAPI and the resource handlers.
import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { serveOpenAPIv2, serveOpenAPIv3 } from '../api/openapi-serve.js';
import { apiVersionOf, registry as defaultRegistry, type Registry } from '../api/registry.js';
import type { Obj, ResourceDef } from '../api/types.js';
import { K8tsError } from '../errors.js';
import { generateSigningKeys } from '../serviceaccount/keys.js';
import { DEFAULT_ISSUER, TokenSigner } from '../serviceaccount/tokens.js';
import type { Backend } from '../storage/backend.js';
import { responseForUpgrade } from '../streams/upgrade-proxy.js';
import { bindPod } from './binding.js';
import { bootstrapKubernetesService, bootstrapNamespaces, bootstrapPriorityClasses } from './bootstrap.js';
import { CustomResourceController } from './crds.js';
import {
  aggregatedDiscovery,
  aggregatedDiscoveryVersion,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  type DiscoverySource,
  withServedGroups,
} from './discovery.js';
import { evictPod } from './eviction.js';
import { checkFields, duplicatesIn, fieldValidationMode } from './fieldcheck.js';
import {
  type ApiContext,
  createObject,
  deleteObject,
  listObjects,
  parseDeleteOptions,
  replaceObject,
  type Target,
  updateObject,
  type WriteOptions,
} from './handlers.js';
import { attachWarnings, decodeBody, mediaType, readBody, sendError, sendJson } from './http.js';
import { InflightLimiter, type InflightLimits } from './inflight.js';
import { resourcePrefix } from './keys.js';
import { ApiServerMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
import { proxyToNode } from './nodeproxy.js';
import { ObjectStore, qualifiedResource } from './objectstore.js';
import { applyPatch, type PatchRequest, patchDocument } from './patch.js';
import { servePodLog } from './podlogs.js';
import { type PodStream, servePodStream } from './podstreams.js';
import { parseRequest, type ResourceRequest } from './requestinfo.js';
import { METRICS_GROUP, METRICS_RESOURCES, serveResourceMetrics } from './resource-metrics/api.js';
import { MetricsScraper, type ScrapeClock } from './resource-metrics/scraper.js';
import { applyScale, scaleOf } from './scale.js';
import { listJson, objectJson } from './serialized.js';
import { ServiceAccountTokens, type TokenLifetimePolicy } from './serviceaccounttoken.js';
import { ServiceAllocator } from './serviceips.js';
import { parseIncludeObject, toTable, wantsTable } from './tables.js';
import { serveWatch } from './watch.js';

export interface ApiServerOptions {
  backend: Backend;
  registry?: Registry;
  now?: () => Date;
  /** IPv4 CIDR for Service cluster IPs (default 10.43.0.0/16). */
  serviceCidr?: string;
  /** Max concurrent non-watch requests before 429 (upstream defaults: 400 read-only, 200 mutating). */
  inflight?: InflightLimits;
  /** Watches end after a random 1x..2x of this many seconds (upstream's --min-request-timeout, 1800). */
  minRequestTimeoutSeconds?: number;
  /** Build info reported by /version. */
  version?: Record<string, string>;
  /** Signs and checks service-account tokens; default: a key generated in memory on first use. */
  tokenSigner?: TokenSigner;
  /** Lifetime rules for issued tokens (extension of the kubelet's tokens, a maximum). */
  tokenLifetime?: TokenLifetimePolicy;
  /** How often the kubelets' resource metrics are scraped for metrics.k8s.io (default 15 s). */
  metricResolutionMs?: number;
  /** Drives the metrics scrape period (tests: a FakeClock). */
  clock?: ScrapeClock;
}

export const KUBE_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0-k8ts' };

export class ApiServer {
  readonly registry: Registry;
  readonly store: ObjectStore;
  readonly ctx: ApiContext;
  private server?: Server;
  private readonly inflight: InflightLimiter;
  private readonly minRequestTimeout: number;
  private readonly versionInfo: object;
  private readonly tokens: ServiceAccountTokens;
  /** Serves the custom resources of established CRDs (absent when the registry has no CRD kind). */
  readonly crds?: CustomResourceController;
  readonly metrics: ApiServerMetrics;
  /** Scrapes the kubelets' resource metrics for metrics.k8s.io (kubectl top). */
  readonly resourceMetrics: MetricsScraper;
  private readonly discovery: DiscoverySource;

  constructor(opts: ApiServerOptions) {
    // Each server gets its own copy: the custom resources it serves come and go with its CRDs.
    this.registry = (opts.registry ?? defaultRegistry()).fork();
    this.store = new ObjectStore(opts.backend);
    this.inflight = new InflightLimiter(opts.inflight);
    this.metrics = new ApiServerMetrics({
      inflight: this.inflight,
      storage: { counts: () => storedObjectCounts(this.registry, opts.backend) },
    });
    this.minRequestTimeout = opts.minRequestTimeoutSeconds ?? 1800;
    this.discovery = withServedGroups(this.registry, METRICS_RESOURCES);
    const namespaces = this.registry.lookup('', 'v1', 'namespaces');
    if (!namespaces) throw new Error('the registry has no namespaces resource');
    this.ctx = {
      store: this.store,
      now: opts.now ?? (() => new Date()),
      namespaces,
      pdbs: this.registry.lookup('policy', 'v1', 'poddisruptionbudgets'),
      pods: this.registry.lookup('', 'v1', 'pods'),
      priorityClasses: this.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses'),
      serviceAccounts: this.registry.lookup('', 'v1', 'serviceaccounts'),
      persistentVolumeClaims: this.registry.lookup('', 'v1', 'persistentvolumeclaims'),
      storageClasses: this.registry.lookup('storage.k8s.io', 'v1', 'storageclasses'),
    };
    const nodes = this.registry.lookup('', 'v1', 'nodes');
    this.resourceMetrics = new MetricsScraper({
      clock: opts.clock ?? { setTimeout, clearTimeout },
      intervalMs: opts.metricResolutionMs,
      listNodes: async () =>
        nodes ? (await listObjects(this.ctx, { def: nodes }, new URLSearchParams())).items : [],
    });
    const services = this.registry.lookup('', 'v1', 'services');
    if (services) {
      this.ctx.serviceIps = {
        def: services,
        allocator: new ServiceAllocator(this.store, services, { serviceCidr: opts.serviceCidr }),
      };
    }
    const crdDef = this.registry.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    if (crdDef) this.crds = new CustomResourceController(this.ctx, this.registry, crdDef);
    let signer = opts.tokenSigner;
    this.tokens = new ServiceAccountTokens(
      this.ctx,
      this.registry,
      () => (signer ??= new TokenSigner(generateSigningKeys())),
      [signer?.issuer ?? DEFAULT_ISSUER],
      opts.tokenLifetime,
    );
    this.versionInfo = {
      ...KUBE_VERSION,
      gitCommit: 'k8ts',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: `node${process.versions.node}`,
      compiler: 'tsc',
      platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      ...opts.version,
    };
  }

  /** Creates the namespaces that always exist. */
  async start(): Promise<void> {
    await bootstrapNamespaces(this.ctx);
    await bootstrapPriorityClasses(this.ctx);
    await this.crds?.start();
  }

  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    await this.start();
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void this.handle(req, res));
    // exec, attach and port-forward upgrade the connection: they go through the same handler, with a
    // response on the raw socket for errors.
    this.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      const res = new ServerResponse(req);
      responseForUpgrade(req, socket, head, res);
      void this.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.resourceMetrics.start();
    const advertise = advertiseAddress(addr.address);
    if (this.ctx.serviceIps) {
      await bootstrapKubernetesService(
        this.ctx,
        this.registry.lookup('', 'v1', 'endpoints'),
        this.ctx.serviceIps.allocator.firstIp,
        advertise,
        addr.port,
        this.registry.lookup('discovery.k8s.io', 'v1', 'endpointslices'),
      );
    }
    return addr;
  }

  async close(): Promise<void> {
    this.crds?.stop();
    await this.resourceMetrics.stop();
    this.store.stop();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const info = parseRequest(req.method ?? 'GET', url.pathname, url.searchParams);
      if (info.type === 'other') {
        this.serveOther(req, res, url);
        return;
      }
      const started = performance.now();
      const contentType = req.headers['content-type'];
      const longRunning = info.verb === 'watch' || LONG_RUNNING_SUBRESOURCES.has(info.subresource ?? '');
      const endLongRunning = longRunning ? this.metrics.longRunningStarted(info, contentType) : undefined;
      res.once('close', () => {
        endLongRunning?.();
        const dryRun = url.search.includes('dryRun=');
        const served = res.statusCode !== 404 || this.serves(info);
        this.metrics.observe(
          info,
          contentType,
          dryRun,
          res.statusCode,
          (performance.now() - started) / 1000,
          served,
        );
      });
      if (longRunning) {
        // Long-running requests do not hold an in-flight slot (upstream's longRunningRequestCheck).
        await this.serveResource(req, res, info, url.searchParams);
        return;
      }
      const release = this.inflight.acquire(info.verb !== 'get' && info.verb !== 'list');
      res.once('close', release);
      try {
        await this.serveResource(req, res, info, url.searchParams);
      } finally {
        release();
      }
    } catch (err) {
      sendError(res, err);
    }
  }

  /** Whether the request names a resource this server has (else its metrics labels are blanked). */
  private serves(info: ResourceRequest): boolean {
    if (this.registry.lookup(info.group, info.version, info.resource)) return true;
    return METRICS_RESOURCES.some(
      (d) => d.group === info.group && d.version === info.version && d.plural === info.resource,
    );
  }

  private serveOther(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const parts = path.split('/').filter(Boolean);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw notFoundPath(path);
    if (path === '/version') {
      sendJson(res, 200, this.versionInfo);
      return;
    }
    if (path === '/metrics') {
      void this.metrics.text().then((text) => {
        res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE });
        res.end(text);
      });
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/openapi/v2' || path === '/openapi/v3' || path.startsWith('/openapi/v3/')) {
      const ifNoneMatch = req.headers['if-none-match'];
      const out =
        path === '/openapi/v2'
          ? serveOpenAPIv2(this.registry, req.headers.accept, ifNoneMatch)
          : serveOpenAPIv3(
              this.registry,
              path.slice('/openapi/v3'.length),
              url.searchParams.get('hash') ?? undefined,
              ifNoneMatch,
            );
      res.writeHead(
        out.status,
        out.body ? { ...out.headers, 'content-length': out.body.length } : out.headers,
      );
      res.end(out.body);
      return;
    }
    const aggregated =
      (path === '/api' || path === '/apis') && aggregatedDiscoveryVersion(req.headers.accept);
    if (aggregated) {
      const body = aggregatedDiscovery(this.discovery, path === '/api', aggregated);
      sendJson(res, 200, body, {
        'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${aggregated};as=APIGroupDiscoveryList`,
        Vary: 'Accept',
      });
      return;
    }
    if (path === '/api') {
      sendJson(res, 200, apiVersions(req.socket.localAddress + ':' + req.socket.localPort));
      return;
    }
    if (path === '/apis') {
      sendJson(res, 200, apiGroupList(this.discovery));
      return;
    }
    if (parts[0] === 'api' && parts.length === 2) {
      if (!this.discovery.groupVersions().some((gv) => gv.group === '' && gv.version === parts[1]))
        throw notFoundPath(path);
      sendJson(res, 200, apiResourceList(this.discovery, '', parts[1]));
      return;
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = apiGroup(this.discovery, parts[1]);
      if (!g) throw notFoundPath(path);
      sendJson(res, 200, g);
      return;
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      if (!this.discovery.groupVersions().some((gv) => gv.group === parts[1] && gv.version === parts[2])) {
        throw notFoundPath(path);
      }
      sendJson(res, 200, apiResourceList(this.discovery, parts[1], parts[2]));
      return;
    }
    throw notFoundPath(path);
  }

  private async serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    info: ResourceRequest,
    query: URLSearchParams,
  ): Promise<void> {
    const def = this.registry.lookup(info.group, info.version, info.resource);
    if (!def && info.group === METRICS_GROUP && this.ctx.pods) {
      const nodes = this.registry.lookup('', 'v1', 'nodes')!;
      const src = { ctx: this.ctx, nodes, pods: this.ctx.pods, store: this.resourceMetrics.store };
      sendJson(res, 200, await serveResourceMetrics(src, info, query));
      return;
    }
    if (!def) throw notFoundPath(new URL(req.url ?? '/', 'http://x').pathname);
    const t: Target = { def, namespace: def.namespaced ? info.namespace : undefined, name: info.name };
    if (def.namespaced && info.namespace === undefined && info.verb !== 'list' && info.verb !== 'watch') {
      throw notFoundPath(new URL(req.url ?? '/', 'http://x').pathname);
    }
    const dryRun = query.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All')) {
      throw new K8tsError(
        'BadRequest',
        `dryRun may only be "All", not ${JSON.stringify(dryRun.find((d) => d !== 'All'))}`,
      );
    }
    const opts: WriteOptions = {
      dryRun: dryRun.length > 0,
      manager: query.get('fieldManager') || managerFromUserAgent(req.headers['user-agent']),
      warnings: [],
    };
    attachWarnings(res, opts.warnings!);
    const table = wantsTable(req.headers.accept) ? parseIncludeObject(query.get('includeObject')) : undefined;
    const ctx = this.ctx;

    if (info.subresource) {
      await this.serveSubresource(req, res, info, t, query, opts);
      return;
    }
    if (def.group === 'authentication.k8s.io' && def.kind === 'TokenReview') {
      // A review is answered, never stored.
      if (info.verb !== 'create' || t.name !== undefined)
        throw new K8tsError(
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      sendJson(res, 201, await this.tokens.review(body));
      return;
    }
    switch (info.verb) {
      case 'get': {
        const obj = await ctx.store.get(def, t.namespace, t.name!);
        if (table) this.sendObject(res, 200, def, obj, table);
        else sendJson(res, 200, objectJson(obj));
        return;
      }
      case 'list': {
        const { list, items } = await listObjects(ctx, t, query);
        if (table) {
          sendJson(res, 200, toTable(def, items, table, list.metadata));
          return;
        }
        sendJson(res, 200, listJson(list));
        return;
      }
      case 'watch':
        await serveWatch(
          this.store,
          {
            def,
            namespace: t.namespace,
            name: t.name,
            query,
            table,
            minRequestTimeoutSeconds: this.minRequestTimeout,
          },
          res,
        );
        return;
      case 'create': {
        if (t.name !== undefined)
          throw new K8tsError('MethodNotAllowed', `POST is not supported on a named ${def.kind}`);
        const body = await decodeWrite(req, def, query, opts);
        const obj = await createObject(ctx, t, body, opts);
        this.sendObject(res, 201, def, obj);
        return;
      }
      case 'update': {
        const body = await decodeWrite(req, def, query, opts);
        const obj = await replaceObject(ctx, t, body, opts);
        this.sendObject(res, 200, def, obj);
        return;
      }
      case 'patch': {
        const obj = await applyPatch(ctx, t, await patchRequest(req, query), opts);
        this.sendObject(res, 200, def, obj);
        return;
      }
      case 'delete': {
        const raw = await readBody(req);
        const body = raw.length > 0 ? decodeBody(raw, 'application/json') : undefined;
        const out = await deleteObject(ctx, t, parseDeleteOptions(body, query));
        if (out.deleted && !returnsDeletedObject(def)) {
          sendJson(res, 200, successStatus(def, out.object));
          return;
        }
        this.sendObject(res, out.deleted ? 200 : 202, def, out.object);
        return;
      }
      case 'deletecollection': {
        const raw = await readBody(req);
        const body = raw.length > 0 ? decodeBody(raw, 'application/json') : undefined;
        const delOpts = parseDeleteOptions(body, query);
        const { list, items } = await listObjects(ctx, t, query);
        const deleted: Obj[] = [];
        for (const o of items) {
          const out = await deleteObject(
            ctx,
            { def, namespace: o.metadata.namespace, name: o.metadata.name },
            delOpts,
          ).catch((err) => {
            if (err instanceof K8tsError && err.code === 'NotFound') return undefined;
            throw err;
          });
          if (out) deleted.push(out.object);
        }
        sendJson(res, 200, { ...list, items: deleted });
        return;
      }
      default:
        throw new K8tsError(
          'MethodNotAllowed',
          `the server does not allow this method on the requested resource`,
        );
    }
  }

  private async serveSubresource(
    req: IncomingMessage,
    res: ServerResponse,
    info: ResourceRequest,
    t: Target,
    query: URLSearchParams,
    opts: WriteOptions,
  ): Promise<void> {
    const { def } = t;
    const sub = info.subresource!;
    const served =
      def.subresources?.includes(sub as never) || (sub === 'finalize' && def.kind === 'Namespace');
    if (!served || t.name === undefined) {
      throw notFoundPath(new URL(req.url ?? '/', 'http://x').pathname);
    }
    const ctx = this.ctx;
    if (sub === 'finalize' && info.verb === 'update' && def.kind === 'Namespace') {
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      const obj = await replaceObject(ctx, t, body, { ...opts, subresource: 'finalize' });
      this.sendObject(res, 200, def, obj);
      return;
    }
    if (sub === 'status') {
      if (info.verb === 'get') {
        this.sendObject(res, 200, def, await ctx.store.get(def, t.namespace, t.name));
        return;
      }
      if (info.verb === 'update') {
        const body = await decodeWrite(req, def, query, opts);
        this.sendObject(res, 200, def, await replaceObject(ctx, t, body, { ...opts, subresource: 'status' }));
        return;
      }
      if (info.verb === 'patch') {
        const obj = await applyPatch(ctx, t, await patchRequest(req, query), {
          ...opts,
          subresource: 'status',
        });
        this.sendObject(res, 200, def, obj);
        return;
      }
    }
    if (sub === 'scale' && def.scale) {
      if (info.verb === 'get') {
        sendJson(res, 200, scaleOf(def, await ctx.store.get(def, t.namespace, t.name)));
        return;
      }
      if (info.verb === 'update' || info.verb === 'patch') {
        const raw = await readBody(req);
        const updated = await updateObject(
          ctx,
          t,
          (current) => applyScale(def, current, scaleBody(t, current, info.verb, req, raw)),
          opts,
        );
        sendJson(res, 200, scaleOf(def, updated));
        return;
      }
    }
    if (sub === 'eviction' && info.verb === 'create') {
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      await evictPod(ctx, t, body, query);
      sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      return;
    }
    if (sub === 'token' && info.verb === 'create' && def.kind === 'ServiceAccount') {
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      const warnings: string[] = [];
      const issued = await this.tokens.request(t.namespace!, t.name, body, warnings);
      if (warnings.length > 0) attachWarnings(res, warnings);
      sendJson(res, 201, issued);
      return;
    }
    if (sub === 'binding' && info.verb === 'create') {
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      await bindPod(ctx, t, body, opts);
      sendJson(res, 201, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        code: 201,
      });
      return;
    }
    if (def.kind === 'Node' && sub === 'proxy') {
      await proxyToNode(ctx, def, t.name, info.rest, req, res);
      return;
    }
    if (def.kind === 'Pod' && sub === 'log' && info.verb === 'get') {
      const nodes = this.registry.lookup('', 'v1', 'nodes');
      if (!nodes) throw new K8tsError('ServiceUnavailable', 'the registry has no nodes resource');
      await servePodLog(ctx, { pods: def, nodes, namespace: t.namespace!, name: t.name }, query, req, res);
      return;
    }
    if (def.kind === 'Pod' && NODE_STREAMS.has(sub) && (info.verb === 'get' || info.verb === 'create')) {
      const nodes = this.registry.lookup('', 'v1', 'nodes');
      if (!nodes) throw new K8tsError('ServiceUnavailable', 'the registry has no nodes resource');
      const target = {
        pods: def,
        nodes,
        namespace: t.namespace!,
        name: t.name,
        subresource: sub as PodStream,
      };
      await servePodStream(ctx, target, query, req);
      return;
    }
    throw new K8tsError(
      'MethodNotAllowed',
      `${info.verb} is not supported on ${qualifiedResource(def)}/${sub}`,
    );
  }

  private sendObject(
    res: ServerResponse,
    status: number,
    def: ResourceDef,
    obj: Obj,
    table?: ReturnType<typeof parseIncludeObject>,
  ): void {
    if (table) {
      sendJson(res, status, toTable(def, [obj], table, { resourceVersion: obj.metadata?.resourceVersion }));
      return;
    }
    sendJson(res, status, obj);
  }
}

function scaleBody(t: Target, current: Obj, verb: string, req: IncomingMessage, raw: Buffer): Obj {
  if (verb === 'update') return decodeBody(raw, req.headers['content-type']) as Obj;
  // A patch on /scale applies to the Scale object, not to the parent.
  return patchDocument(t, scaleOf(t.def, current), mediaType(req.headers['content-type']), raw);
}

/** Upstream names a manager after the user agent's program when no fieldManager is given. */
function managerFromUserAgent(ua: string | undefined): string {
  return (ua ?? 'unknown').split('/')[0].slice(0, 128) || 'unknown';
}

/** Decodes a create/update body and applies fieldValidation to it. */
async function decodeWrite(
  req: IncomingMessage,
  def: ResourceDef,
  query: URLSearchParams,
  opts: WriteOptions,
): Promise<unknown> {
  const mode = fieldValidationMode(query);
  const raw = await readBody(req);
  const body = decodeBody(raw, req.headers['content-type']);
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    checkFields(def, body as Obj, duplicatesIn(raw, req.headers['content-type']), mode, opts.warnings);
  }
  return body;
}

async function patchRequest(req: IncomingMessage, query: URLSearchParams): Promise<PatchRequest> {
  const validation = fieldValidationMode(query);
  return { contentType: req.headers['content-type'], raw: await readBody(req), query, validation };
}

/** Upstream returns a Status for immediate deletes of most kinds. */
function returnsDeletedObject(_def: ResourceDef): boolean {
  return false;
}

function successStatus(def: ResourceDef, obj: Obj): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: obj.metadata?.name,
      group: def.group || undefined,
      kind: def.plural,
      uid: obj.metadata?.uid,
    },
  };
}

/**
 * The address other nodes and pods would use to reach this server: Endpoints may not hold loopback
 * addresses, so a loopback or wildcard bind advertises the host's first non-loopback IPv4 address.
 */
function advertiseAddress(bound: string): string | undefined {
  if (bound !== '0.0.0.0' && bound !== '::' && !bound.startsWith('127.') && bound !== '::1') return bound;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Pod subresources proxied to the node agent as upgraded streams; `log` is proxied as plain HTTP. */
const NODE_STREAMS = new Set(['exec', 'attach', 'portforward']);

/** Subresources whose requests may stay open indefinitely. */
const LONG_RUNNING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

/** apiserver_storage_objects: how many objects each stored resource holds, as upstream names them. */
async function storedObjectCounts(reg: Registry, backend: Backend): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const def of reg.resources) {
    if (def.sharedStorage || (def.verbs && !def.verbs.includes('list'))) continue;
    const { count } = await backend.list(resourcePrefix(def), { limit: 1 });
    out.set(def.group ? `${def.plural}.${def.group}` : def.plural, count);
  }
  return out;
}

function notFoundPath(path: string): K8tsError {
  return new K8tsError('NotFound', `the server could not find the requested resource (${path})`);
}

export { apiVersionOf };
