// A throwaway HTTP server for tests that need real kubectl to read our discovery and OpenAPI
// documents before the real API server exists: /version, legacy discovery, /openapi/v2 (JSON and
// protobuf), /openapi/v3. Writes are recorded and echoed; GETs of objects come from `objects`.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveOpenAPIv2, serveOpenAPIv3 } from '../../src/api/openapi-serve.js';
import { apiVersionOf, type Registry } from '../../src/api/registry.js';

export interface RecordedRequest {
  method: string;
  url: string;
  contentType?: string;
  body: string;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Objects answered to GET, keyed by URL path. */
  objects: Map<string, unknown>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startFakeServer(reg: Registry): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const objects = new Map<string, unknown>();
  const resourceList = (group: string, version: string) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: reg.inGroupVersion(group, version).map((r) => ({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    })),
  });
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const u = new URL(req.url ?? '/', 'http://localhost');
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      contentType: req.headers['content-type'],
      body,
    });
    const json = (o: unknown, code = 200) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(o));
    };
    const p = u.pathname;
    if (p === '/version')
      return json({ major: '1', minor: '33', gitVersion: 'v1.33.0', platform: 'linux/amd64' });
    if (p === '/api')
      return json({
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host }],
      });
    if (p === '/apis') {
      const groups = reg
        .groupVersions()
        .filter((gv) => gv.group !== '')
        .map((gv) => {
          const v = { groupVersion: apiVersionOf(gv), version: gv.version };
          return { name: gv.group, versions: [v], preferredVersion: v };
        });
      return json({ kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const disc = p.match(/^\/api\/(v1)$|^\/apis\/([^/]+)\/([^/]+)$/);
    if (disc) return json(disc[1] ? resourceList('', disc[1]) : resourceList(disc[2], disc[3]));
    if (p === '/openapi/v2' || p.startsWith('/openapi/v3')) {
      const r =
        p === '/openapi/v2'
          ? serveOpenAPIv2(reg, req.headers.accept, req.headers['if-none-match'])
          : serveOpenAPIv3(
              reg,
              p.slice('/openapi/v3'.length),
              u.searchParams.get('hash') ?? undefined,
              req.headers['if-none-match'],
            );
      res.writeHead(r.status, r.headers);
      res.end(r.body);
      return;
    }
    const obj = objects.get(p);
    if (obj && (req.method === 'GET' || req.method === 'PATCH')) return json(obj);
    if (req.method === 'POST') return json(JSON.parse(body), 201);
    return json(
      {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: 'not found',
      },
      404,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    objects,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
