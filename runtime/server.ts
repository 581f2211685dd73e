// node:http in front of the API's fetch handler (@whatwg-node/server): the
// request log, the IPv6 zone id in Host, and a 400 for a request target no URL
// can be made of. Everything else is decided by handlers/api.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServerAdapter } from '@whatwg-node/server';
import { FETCH } from './fetch.ts';
import type { Logger } from './log.ts';
import { REQUEST_ID, requestIdOf } from './request-id.ts';

export interface FetchApi {
  fetch(req: Request): Promise<Response>;
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

export function createHttpServer(api: FetchApi, log: Logger): http.Server {
  // the API's own fetch classes (runtime/fetch.ts); the abort controller is the one the
  // adapter picks for them anyway, said here so it does not compare with (and load) the global Request
  // the request id the answer carries, for the log line: the adapter hands a plain header
  // object to writeHead, which getHeader does not see
  const ids = new WeakMap<http.ServerResponse, string | null>();
  const adapter = createServerAdapter<{ res: http.ServerResponse }>(
    async (req, ctx) => {
      const answer = await api.fetch(req);
      ids.set(ctx.res, answer.headers.get(REQUEST_ID));
      return answer;
    },
    { fetchAPI: FETCH, __useCustomAbortCtrl: true },
  );
  return http.createServer((req, res) => {
    const started = performance.now();
    // the socket is gone by 'finish' when an answer was sent before the body was read
    const remote = req.socket?.remoteAddress;
    // a zone id in Host makes the WHATWG URL invalid
    const host = req.headers.host;
    if (host?.includes('%')) req.headers.host = host.replace(/%[^\]]*\]/, ']');
    res.on('finish', () => {
      log.info('http.request', {
        method: req.method,
        path: req.url?.slice(0, 200),
        status: res.statusCode,
        request_id: ids.get(res) ?? res.getHeader(REQUEST_ID),
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        remote,
      });
    });
    if (!validTarget(req.url, req.headers.host)) {
      log.warn('http.bad_target', { remote, host: String(req.headers.host ?? '').slice(0, 100) });
      res.writeHead(400, { 'content-type': 'application/json', [REQUEST_ID]: requestIdOf(null) });
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
