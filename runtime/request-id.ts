// Every API request gets an id: the caller's `x-request-id` when it is a short
// safe token, a fresh one otherwise. The handlers see it as a request header
// (the apply log line carries it), the answer carries it back, and the
// http.request log line reads it from the answer.
import { randomUUID } from 'node:crypto';
import { FETCH } from './fetch.ts';

export const REQUEST_ID = 'x-request-id';
const SAFE = /^[A-Za-z0-9._:-]{1,64}$/;

export interface FetchApi {
  fetch(req: Request): Promise<Response>;
}

export function requestIdOf(incoming: string | null): string {
  return incoming !== null && SAFE.test(incoming) ? incoming : randomUUID();
}

function withHeader(res: Response, id: string): Response {
  try {
    res.headers.set(REQUEST_ID, id);
    return res;
  } catch {
    // an immutable Response: copied with the header
    const headers = new FETCH.Headers(res.headers);
    headers.set(REQUEST_ID, id);
    return new FETCH.Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}

export function withRequestIds(api: FetchApi): FetchApi {
  return {
    fetch: async (req) => {
      const id = requestIdOf(req.headers.get(REQUEST_ID));
      let inner = req;
      try {
        req.headers.set(REQUEST_ID, id);
      } catch {
        const headers = new FETCH.Headers(req.headers);
        headers.set(REQUEST_ID, id);
        inner = new FETCH.Request(req, { headers });
      }
      return withHeader(await api.fetch(inner), id);
    },
  };
}
