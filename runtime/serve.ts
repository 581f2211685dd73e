// `appliance serve`: the API first (GETs answer at once), then convergence to
// the persisted configuration; without --listen the API follows the
// management address.
import type http from 'node:http';
import { nicLinks } from '../features/kit/facts.ts';
import { isLinkLocal } from '../schema/syntax.ts';
import { Agent } from './agent.ts';
import { apiFront } from './front.ts';
import { takeEarlyHelper } from './host/early.ts';
import type { HostPort } from './host/port.ts';
import { RealHost } from './host/real.ts';
import { jsonLogger, type Logger } from './log.ts';
import { MetadataProxy, type MetadataProxyOptions } from './metadata/proxy.ts';
import { Metrics } from './metrics.ts';
import { createHttpServer, type ListenAddress, listen, parseListen } from './server.ts';

export const API_PORT = 5000;

export interface ServeOptions {
  listen: string[];
  root: string;
  statusTargets: string[];
  metadata?: Partial<MetadataProxyOptions>;
  log?: Logger;
  host?: HostPort;
}

export async function serve(opts: ServeOptions): Promise<{ agent: Agent; stop: () => Promise<void> }> {
  const log = opts.log ?? jsonLogger;
  const fixed: ListenAddress[] = [];
  for (const text of opts.listen) {
    const at = parseListen(text);
    if (!at) throw new Error(`bad --listen ${JSON.stringify(text)}: expected HOST:PORT or [IPV6]:PORT`);
    fixed.push(at);
  }
  const metrics = new Metrics();
  let host = opts.host;
  if (!host) {
    const real = new RealHost([], takeEarlyHelper());
    // the command helper boots (a bare node) while the agent starts: the first GET /v1/firewall/rules does not wait for it
    real.warm();
    host = real;
  }
  const agent = new Agent({
    host,
    root: opts.root,
    log,
    statusTargets: opts.statusTargets,
    metrics,
    metadata: new MetadataProxy({ logger: metrics.tap(log), ...opts.metadata }),
  });
  const api = apiFront(agent);
  // the kept configuration answers GET from the first request, before convergence
  await agent.restore();
  const servers = new Map<string, http.Server>();
  const key = (at: ListenAddress) => `[${at.host}]:${at.port}`;

  const bind = async (at: ListenAddress) => {
    const server = createHttpServer(api, log);
    server.keepAliveTimeout = 5000;
    await listen(server, at);
    servers.set(key(at), server);
    agent.state.apiAddresses = [...new Set([...agent.state.apiAddresses, at.host])];
    log.info('http.listening', { address: at.host, port: at.port });
  };
  for (const at of fixed) await bind(at);

  let timer: NodeJS.Timeout | null = null;
  if (fixed.length === 0) {
    const follow = async () => {
      try {
        const wanted = await managementListen(agent);
        for (const at of wanted)
          if (!servers.has(key(at))) await bind(at).catch((err) => log.warn('http.bind_failed', { address: at.host, error: String(err) }));
        for (const [k, server] of servers) {
          if (!wanted.some((at) => key(at) === k)) {
            server.close();
            servers.delete(k);
            agent.state.apiAddresses = [...servers.keys()].map((x) => x.slice(1, x.lastIndexOf(']')));
            log.info('http.unbound', { address: k });
          }
        }
      } catch (err) {
        log.warn('http.follow_failed', { error: String(err) });
      }
    };
    await follow();
    timer = setInterval(follow, 2000);
    timer.unref();
  }

  await agent.start();

  const stop = async () => {
    if (timer) clearInterval(timer);
    await Promise.all(
      [...servers.values()].map(
        (s) =>
          new Promise((r) => {
            s.close(r);
            s.closeAllConnections();
          }),
      ),
    );
    await agent.close();
  };
  return { agent, stop };
}

/** The management network's addresses once configured, else the global addresses of ge0. */
async function managementListen(agent: Agent): Promise<ListenAddress[]> {
  const links = await agent.host.links();
  const mgt = agent.model?.management;
  const addresses = mgt
    ? mgt.addresses.map((a) => a.address)
    : (nicLinks({ links })[0]?.addresses ?? []).filter((a) => !isLinkLocal(a.address)).map((a) => a.address);
  const present = new Set(links.flatMap((l) => l.addresses.map((a) => a.address)));
  return addresses.filter((a) => present.has(a)).map((host) => ({ host, port: API_PORT }));
}
