// The REST API: itty-router's AutoRouter behind @whatwg-node/server on
// node:http. Every path answers with and without a trailing slash, without
// redirects; other methods on a known path get 405 with Allow.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServerAdapter } from '@whatwg-node/server';
import { AutoRouter, type IRequest, json, text } from 'itty-router';
import { HttpError } from '../handlers/errors.ts';
import { configResponse } from '../handlers/v1/config.ts';
import { WELCOME } from '../handlers/v1/root.ts';
import { statusResponse, statusTargets } from '../handlers/v1/status.ts';
import { interfaceResponse, interfacesResponse } from '../handlers/v1/system.ts';
import type { Agent } from './agent.ts';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const PROBE_TIMEOUT_MS = 2500;

type Handler = (req: IRequest) => Promise<Response> | Response;

const TEXT = { headers: { 'content-type': 'text/plain; charset=utf-8' } };

async function readBody(req: IRequest): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `the body exceeds ${MAX_BODY_BYTES} bytes`);
  if (!req.body) return '';
  const reader = (req.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new HttpError(413, `the body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function mediaType(req: IRequest): string {
  return (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

async function putConfig(agent: Agent, req: IRequest): Promise<Response> {
  if (mediaType(req) !== 'application/json') {
    throw new HttpError(415, 'the body must be application/json');
  }
  const raw = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new HttpError(400, `malformed JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  const dry = String(req.query.dry_run ?? '');
  const outcome = await agent.put(body, dry === '1' || dry === 'true', raw);
  return json(outcome.body, { status: outcome.status });
}

async function probe(agent: Agent, family: 4 | 6, target: string): Promise<boolean> {
  const argv = ['ping', family === 6 ? '-6' : '-4', '-n', '-c', '1', '-W', '2', target];
  const r = await agent.host.run(argv, { timeoutMs: PROBE_TIMEOUT_MS });
  return r.exitCode === 0;
}

async function status(agent: Agent): Promise<Response> {
  const targets = statusTargets(agent.statusTargets, agent.model);
  const [v4, v6] = await Promise.all([
    Promise.all(targets.v4.map((t) => probe(agent, 4, t))),
    Promise.all(targets.v6.map((t) => probe(agent, 6, t))),
  ]);
  return json(statusResponse({ v4, v6 }));
}

/** Probes arriving together share one listing: 50 liveness probes need not start 100 processes. */
function sharedFirewallListing(agent: Agent): () => Promise<string> {
  let inflight: Promise<string> | null = null;
  return () => {
    inflight ??= listFirewall(agent).finally(() => {
      inflight = null;
    });
    return inflight;
  };
}

async function listFirewall(agent: Agent): Promise<string> {
  const [v4, v6] = await Promise.all([
    agent.host.run(['iptables', '-w', '2', '-L', '-n'], { timeoutMs: PROBE_TIMEOUT_MS }),
    agent.host.run(['ip6tables', '-w', '2', '-L', '-n'], { timeoutMs: PROBE_TIMEOUT_MS }),
  ]);
  if (v4.exitCode !== 0 || v6.exitCode !== 0) {
    agent.log.error('firewall.list_failed', { v4: v4.stderr.trim(), v6: v6.stderr.trim() });
    throw new HttpError(500, 'listing the firewall rules failed');
  }
  return `${v4.stdout}${v6.stdout}`;
}

export function buildRouter(agent: Agent) {
  const firewall = sharedFirewallListing(agent);
  const router = AutoRouter({
    catch: (err: unknown) => {
      if (err instanceof HttpError) return json(err.toJSON(), { status: err.status });
      agent.log.error('http.internal_error', { error: String(err), stack: (err as Error)?.stack });
      return json({ error: 'internal error', issues: [] }, { status: 500 });
    },
    missing: () => json({ error: 'not found', issues: [] }, { status: 404 }),
  });

  const routes: [string, Record<string, Handler>][] = [
    ['/v1', { GET: () => text(WELCOME, TEXT) }],
    ['/v1/base', { GET: () => text(WELCOME, TEXT) }],
    ['/v1/status', { GET: () => status(agent) }],
    ['/v1/firewall/rules', { GET: async () => text(await firewall(), TEXT) }],
    ['/v1/system/interfaces', { GET: async () => json(interfacesResponse({ links: await agent.links() }, agent.descriptions())) }],
    [
      '/v1/system/interface/:ifname',
      {
        GET: async (req) => json(interfaceResponse({ links: await agent.links() }, String(req.params.ifname), agent.descriptions())),
      },
    ],
    ['/v1/system/config', { GET: () => json(configResponse(agent.appliedBody)), PUT: (req) => putConfig(agent, req) }],
  ];
  for (const [path, methods] of routes) {
    const allowed = Object.keys(methods);
    if (methods.GET) allowed.push('HEAD');
    router.all(path, (req: IRequest) => {
      const handler = methods[req.method === 'HEAD' ? 'GET' : req.method];
      if (!handler) {
        return json(
          { error: `method ${req.method} is not allowed here`, issues: [] },
          { status: 405, headers: { allow: allowed.join(', ') } },
        );
      }
      return handler(req);
    });
  }
  return router;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** HOST:PORT, [v6]:PORT or [fe80::1%eth0]:PORT */
export function parseListen(text: string): ListenAddress | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] as string, port };
}

function validTarget(url: string | undefined, host: string | undefined): boolean {
  try {
    new URL(url ?? '/', `http://${host ?? 'localhost'}`);
    return true;
  } catch {
    return false;
  }
}

export function createHttpServer(agent: Agent): http.Server {
  const router = buildRouter(agent);
  const adapter = createServerAdapter(async (req: Request) => {
    try {
      return await router.fetch(req as unknown as IRequest);
    } catch (err) {
      agent.log.error('http.internal_error', { error: String(err) });
      return json({ error: 'internal error', issues: [] }, { status: 500 });
    }
  });
  return http.createServer((req, res) => {
    const started = performance.now();
    // the socket is gone by 'finish' when an answer was sent before the body was read
    const remote = req.socket?.remoteAddress;
    // a zone id in Host makes the WHATWG URL invalid
    const host = req.headers.host;
    if (host?.includes('%')) req.headers.host = host.replace(/%[^\]]*\]/, ']');
    res.on('finish', () => {
      agent.log.info('http.request', {
        method: req.method,
        path: req.url?.slice(0, 200),
        status: res.statusCode,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        remote,
      });
    });
    if (!validTarget(req.url, req.headers.host)) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'bad request target or Host header', issues: [] }));
      return;
    }
    void adapter(req, res);
  });
}

export function listen(server: http.Server, at: ListenAddress): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host: at.host, port: at.port }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
