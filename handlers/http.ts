// Small helpers for answers: JSON and text, errors as {error, issues}.
import type { Issue } from '../schema/issues.ts';
import { HttpError } from './errors.ts';
import { fetchClasses } from './fetch.ts';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' } as const;

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return jsonTextResponse(JSON.stringify(body), status, headers);
}

/** JSON already serialised (an answer kept for the next identical request) */
export function jsonTextResponse(text: string, status = 200, headers: Record<string, string> = {}): Response {
  const { Response } = fetchClasses();
  return new Response(text, { status, headers: { ...JSON_TYPE, ...headers } });
}

export function textResponse(body: string | Uint8Array<ArrayBuffer>, status = 200): Response {
  const { Response } = fetchClasses();
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

export function errorResponse(status: number, error: string, issues: Issue[] = [], headers: Record<string, string> = {}): Response {
  return jsonResponse({ error, issues }, status, headers);
}

export function httpErrorResponse(err: HttpError): Response {
  return jsonResponse(err.toJSON(), err.status);
}

function mediaType(req: Request): string {
  return (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A JSON body: 415 when not JSON, 413 over the limit (declared or streamed), 400 when malformed. */
/** @param known the body of a text parsed before (an identical re-push of a large body is not parsed again) */
export async function decodeJson(req: Request, known?: (text: string) => unknown): Promise<{ body: unknown; text: string } | Response> {
  if (mediaType(req) !== 'application/json') return errorResponse(415, 'the body must be application/json');
  const declared = Number(req.headers.get('content-length') ?? '0');
  const tooBig = () => errorResponse(413, `the body exceeds ${MAX_BODY_BYTES} bytes`);
  if (declared > MAX_BODY_BYTES) return tooBig();
  const chunks: Uint8Array[] = [];
  if (req.body) {
    const reader = req.body.getReader();
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_BODY_BYTES) {
        await reader.cancel();
        return tooBig();
      }
      chunks.push(value);
    }
  }
  // as TextDecoder would (invalid sequences replaced, a leading BOM dropped), without its copy of a large body
  const bytes =
    chunks.length === 1
      ? Buffer.from((chunks[0] as Uint8Array).buffer, chunks[0]?.byteOffset, chunks[0]?.byteLength)
      : Buffer.concat(chunks);
  const decoded = bytes.toString('utf8');
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  const before = known?.(text);
  if (before !== undefined) return { body: before, text };
  try {
    return { body: JSON.parse(text), text };
  } catch (err) {
    return errorResponse(400, `malformed JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}

export { HttpError };
