// PLACEHOLDER until the `kubelogs` branch lands: that branch owns this file (the kubelet's HTTP server for
// container logs). This stand-in keeps the agreed signature so the kubelet can start it and advertise its
// port; it answers 503 to everything. Take the kubelogs version of this file when merging.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KubeletServerOptions {
  host: string;
  port: number;
  logs: {
    resolve(
      namespace: string,
      podName: string,
      container: string,
      previous: boolean,
    ): Promise<string | undefined>;
  };
}

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const server = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('the kubelet log server is not built yet\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
