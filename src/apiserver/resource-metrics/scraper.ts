// Scrapes every node's kubelet /metrics/resource on a fixed period (metrics-server's --metric-resolution,
// 15 s) into a MetricsStore. Runs inside the API server, which serves metrics.k8s.io from the store.
import { request } from 'node:http';
import type { Obj } from '../../api/types.js';
import { kubeletEndpoint } from '../podlogs.js';
import { parseExposition } from './prom-text.js';
import { MetricsStore, pointsFromSamples } from './store.js';

export const DEFAULT_RESOLUTION_MS = 15_000;

/** The timer part of the client layer's Clock (a FakeClock in tests). */
export interface ScrapeClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: never): void;
}

export interface ScraperOptions {
  /** The nodes to scrape (the API server's own store). */
  listNodes(): Promise<Obj[]>;
  clock: ScrapeClock;
  /** How often to scrape (default 15 s). */
  intervalMs?: number;
  /** GETs a URL's body; default: node:http with a timeout of one period, ended early by the signal. */
  fetchText?(url: string, timeoutMs: number, signal: AbortSignal): Promise<string>;
  onError?(node: string, err: Error): void;
}

export class MetricsScraper {
  readonly store = new MetricsStore();
  readonly intervalMs: number;
  private timer?: unknown;
  private running = false;
  private current?: Promise<void>;
  /** Ends the round in progress when the scraper stops (a kubelet that does not answer holds nothing up). */
  private abort = new AbortController();
  /** Completed scrape rounds, for tests. */
  rounds = 0;

  constructor(private readonly opts: ScraperOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_RESOLUTION_MS;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  private tick(): void {
    if (!this.running) return;
    this.current = this.scrapeOnce().finally(() => {
      this.current = undefined;
      if (this.running) {
        this.timer = this.opts.clock.setTimeout(() => this.tick(), this.intervalMs);
        (this.timer as NodeJS.Timeout).unref?.();
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer as never);
    this.abort.abort();
    await this.current;
  }

  /** One round: every node in parallel; a node that fails is forgotten until it answers again. */
  async scrapeOnce(): Promise<void> {
    let nodes: Obj[];
    try {
      nodes = await this.opts.listNodes();
    } catch (err) {
      this.opts.onError?.('', err as Error);
      return;
    }
    this.store.retainNodes(new Set(nodes.map((n) => n.metadata.name as string)));
    const fetchText = this.opts.fetchText ?? httpGetText;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    const { signal } = this.abort;
    await Promise.all(
      nodes.map(async (node) => {
        const name: string = node.metadata.name;
        try {
          const { host, port } = kubeletEndpoint(node);
          const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics/resource`;
          const text = await fetchText(url, this.intervalMs, signal);
          this.store.update(name, pointsFromSamples(parseExposition(text)));
        } catch (err) {
          this.store.forgetNode(name);
          this.opts.onError?.(name, err as Error);
        }
      }),
    );
    this.rounds++;
  }
}

function httpGetText(url: string, timeoutMs: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`${url}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
