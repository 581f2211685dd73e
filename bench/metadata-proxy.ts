// What the metadata proxy costs: one loopback fake upstream, asked directly and through a
// MetadataProxy listener in the same run, so machine noise affects both alike.
// Latency comes from sequential requests on keep-alive connections, direct and proxied
// alternately so that JIT warm-up and GC land on both; throughput from `concurrency`
// keep-alive clients sharing the same number of requests, in alternating halves.
// Run: node --import tsx bench/metadata-proxy.ts

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../runtime/log.ts';
import { MetadataProxy } from '../runtime/metadata/proxy.ts';

export interface PathStats {
  p50_ms: number;
  p99_ms: number;
  rps: number;
}

export interface MetadataProxyBench {
  direct: PathStats;
  proxied: PathStats;
  added_p50_ms: number;
  added_p99_ms: number;
  /** proxied rps / direct rps */
  throughput_ratio: number;
}

export interface MetadataProxyBenchOptions {
  /** Requests per measurement (each of: direct and proxied, latency and throughput). */
  requests?: number;
  concurrency?: number;
}

const PATH = '/latest/meta-data/instance-id';
// A typical metadata answer is a short document.
const BODY = JSON.stringify({ uuid: '3f1b1f3e-4c1a-4a51-9a43-4d0c7d0f8b21', hostname: 'vm-1' });

export async function benchMetadataProxy(opts: MetadataProxyBenchOptions = {}): Promise<MetadataProxyBench> {
  const requests = opts.requests ?? 2000;
  const concurrency = opts.concurrency ?? 20;
  const upstream = await startUpstream();
  // No rate limit: the bench is one source sending as fast as it can. Logging is silent
  // so that stderr speed is not measured.
  const proxy = new MetadataProxy({ logger: silentLogger, rateLimit: null });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const upstreamPort = (upstream.address() as AddressInfo).port;
    await proxy.apply({
      tenant_id: 'bench-tenant',
      upstream: { address: '127.0.0.1', port: upstreamPort },
      listeners: [
        {
          network_id: 'bench-net',
          ifname: 'ge1',
          listen_address: '127.0.0.1',
          listen_port: 0,
          ip_instance_map: { '127.0.0.1': 'bench-vm' },
        },
      ],
    });
    const proxyPort = proxy.listening()[0]?.port;
    if (proxyPort === undefined) throw new Error('the proxy did not listen');
    const warmUp = Math.min(500, requests);
    await latencies(agent, [upstreamPort, proxyPort], warmUp);
    const [directLatency = [], proxiedLatency = []] = await latencies(agent, [upstreamPort, proxyPort], requests);
    const [directSeconds = 0, proxiedSeconds = 0] = await throughput(agent, [upstreamPort, proxyPort], requests, concurrency);
    const direct = stats(directLatency, requests / directSeconds);
    const proxied = stats(proxiedLatency, requests / proxiedSeconds);
    return {
      direct,
      proxied,
      added_p50_ms: round(proxied.p50_ms - direct.p50_ms),
      added_p99_ms: round(proxied.p99_ms - direct.p99_ms),
      throughput_ratio: round(proxied.rps / direct.rps),
    };
  } finally {
    agent.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => {
      upstream.close(() => resolve());
      upstream.closeAllConnections();
    });
  }
}

async function startUpstream(): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function stats(latencies: number[], rps: number): PathStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50_ms: round(percentile(sorted, 50)), p99_ms: round(percentile(sorted, 99)), rps: Math.round(rps) };
}

/** `count` sequential requests to each port, alternating: the latencies, per port. */
async function latencies(agent: http.Agent, ports: readonly number[], count: number): Promise<number[][]> {
  const out = ports.map((): number[] => []);
  for (let i = 0; i < count; i++) {
    for (const [index, port] of ports.entries()) {
      const started = performance.now();
      await get(agent, port);
      out[index]?.push(performance.now() - started);
    }
  }
  return out;
}

/** Seconds each port takes for `count` requests at `workers` concurrency, in two alternating halves. */
async function throughput(agent: http.Agent, ports: readonly number[], count: number, workers: number): Promise<number[]> {
  const seconds = ports.map(() => 0);
  const halves = [Math.ceil(count / 2), Math.floor(count / 2)];
  for (const half of halves) {
    for (const [index, port] of ports.entries()) {
      const started = performance.now();
      await concurrent(agent, port, half, workers);
      seconds[index] = (seconds[index] ?? 0) + (performance.now() - started) / 1000;
    }
  }
  return seconds;
}

/** `count` requests shared by `workers` clients that each wait for their answer. */
async function concurrent(agent: http.Agent, port: number, count: number, workers: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await get(agent, port);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

function get(agent: http.Agent, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: PATH, agent }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} from port ${port}`));
      res.resume();
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function printTable(result: MetadataProxyBench, opts: Required<MetadataProxyBenchOptions>): void {
  const row = (name: string, s: PathStats) =>
    `${name.padEnd(9)}${s.p50_ms.toFixed(3).padStart(10)}${s.p99_ms.toFixed(3).padStart(10)}${String(s.rps).padStart(10)}`;
  console.log(`metadata proxy: ${opts.requests} requests per run, concurrency ${opts.concurrency}, loopback`);
  console.log(`${''.padEnd(9)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'req/s'.padStart(10)}`);
  console.log(row('direct', result.direct));
  console.log(row('proxied', result.proxied));
  console.log(
    `added: p50 ${result.added_p50_ms.toFixed(3)} ms, p99 ${result.added_p99_ms.toFixed(3)} ms; ` +
      `throughput ratio ${result.throughput_ratio.toFixed(2)}`,
  );
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const opts = { requests: 2000, concurrency: 20 };
  printTable(await benchMetadataProxy(opts), opts);
}
