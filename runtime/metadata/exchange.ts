// One request's state, its body, and the answers the proxy makes itself.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { DeadlineExceeded } from './errors.ts';
import { hasBody } from './headers.ts';
import type { Route } from './listeners.ts';

/** One request's state, shared by the steps that handle it. */
export interface Exchange {
  readonly route: Route;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly source: string;
  readonly instanceId: string | undefined;
  readonly started: number;
  /** Aborted on the total timeout or when the client goes away. */
  readonly signal: AbortSignal;
  /** First failure seen, for the log line. */
  error?: string;
}

export type BodyResult = { kind: 'ok'; body: Buffer | null } | { kind: 'too-large' } | { kind: 'timeout' } | { kind: 'gone' };

/**
 * Buffers the request body, up to limit bytes. Buffering (metadata bodies are small)
 * means the upstream never sees a partial body and a retry can resend it.
 */
export function readBody(req: IncomingMessage, limit: number, signal: AbortSignal): Promise<BodyResult> {
  if (!hasBody(req.headers)) return Promise.resolve({ kind: 'ok', body: null });
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else finish({ kind: 'too-large' });
    };
    const onEnd = () => finish({ kind: 'ok', body: Buffer.concat(chunks, size) });
    const onGone = () => finish({ kind: 'gone' });
    const onAbort = () => finish(signal.reason instanceof DeadlineExceeded ? { kind: 'timeout' } : { kind: 'gone' });
    req.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onGone);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
  });
}

/**
 * Answers a request locally without reading its body. If the client sent one, the
 * connection is closed after the answer instead of reading the (possibly huge) rest.
 */
export function answerLocally(ex: Exchange, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  const close = hasBody(ex.req.headers) && !ex.req.readableEnded ? { connection: 'close' } : {};
  sendText(ex.res, status, text, { ...headers, ...close });
}

/** Reports a failure: a short text answer, or a cut connection if the answer had begun. */
export function fail(ex: Exchange, status: number, text: string): void {
  if (ex.res.headersSent) ex.res.destroy();
  else sendText(ex.res, status, text);
}

function sendText(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
