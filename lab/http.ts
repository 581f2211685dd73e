// HTTP from inside a namespace with curl, the way the orchestrator's client
// calls the agent: no `Expect: 100-continue`, HEAD reads no body, the status,
// headers and body of the last response block.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inNs } from './netns.ts';

export interface Reply {
  /** 0 when no answer came (refused, unreachable, timed out): `error` then says why */
  status: number;
  /** lowercase names; the last response block (after any 100 Continue) */
  headers: Record<string, string>;
  body: string;
  /** seconds, as curl measured them */
  seconds: number;
  /** curl's own message when it failed */
  error?: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected freely
  json(): any;
}

export interface RequestOptions {
  /** request body (string or Buffer) */
  body?: string | Buffer;
  /** the Content-Type header; null sends none; default application/json when there is a body */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** send the body chunked, without Content-Length */
  chunked?: boolean;
  timeoutS?: number;
  /** the source address or interface (curl --interface) */
  localAddress?: string;
}

let counter = 0;

/** An HTTP request made with curl inside `ns`; `scratch` is a directory for curl's files. */
export async function curl(ns: string, scratch: string, method: string, url: string, opts: RequestOptions = {}): Promise<Reply> {
  counter += 1;
  const base = path.join(scratch, `curl-${process.pid}-${counter}`);
  const files = { head: `${base}.h`, body: `${base}.b`, input: `${base}.in` };
  const timeoutS = opts.timeoutS ?? 60;
  const argv = ['curl', '-sS', '-g', '--max-time', String(timeoutS), '-D', files.head];
  argv.push('-o', method === 'HEAD' ? '/dev/null' : files.body, '-w', '%{http_code} %{time_total}', '-H', 'Expect:');
  if (method === 'HEAD') argv.push('-I');
  else argv.push('-X', method);
  for (const [k, v] of Object.entries(opts.headers ?? {})) argv.push('-H', `${k}: ${v}`);
  if (opts.body !== undefined) {
    await writeFile(files.input, opts.body);
    argv.push('--data-binary', `@${files.input}`);
    const type = opts.contentType === undefined ? 'application/json' : opts.contentType;
    argv.push('-H', type === null ? 'Content-Type:' : `Content-Type: ${type}`);
    if (opts.chunked) argv.push('-H', 'Transfer-Encoding: chunked');
  } else if (opts.contentType) {
    argv.push('-H', `Content-Type: ${opts.contentType}`);
  }
  if (opts.localAddress) argv.push('--interface', opts.localAddress);
  argv.push(url);
  try {
    const r = await inNs(ns, argv, { timeoutMs: timeoutS * 1000 + 2000 });
    const [code, seconds] = r.stdout.trim().split(' ');
    const status = Number(code) || 0;
    const rawHeaders = existsSync(files.head) ? await readFile(files.head, 'latin1') : '';
    const blocks = rawHeaders.split(/\r?\n\r?\n/).filter((b) => b.trim());
    const headers: Record<string, string> = {};
    for (const line of (blocks.at(-1) ?? '').split(/\r?\n/).slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const error = status === 0 ? r.stderr.trim() || `curl exited with ${r.exitCode}` : undefined;
    const body = status === 0 ? (error ?? '') : existsSync(files.body) ? await readFile(files.body, 'utf8') : '';
    return {
      status,
      headers,
      body,
      seconds: Number(seconds),
      error,
      json: () => {
        try {
          return JSON.parse(body);
        } catch {
          throw new Error(`${method} ${url} answered ${status} with a body that is not JSON: ${body.slice(0, 500)}`);
        }
      },
    };
  } finally {
    await Promise.all(Object.values(files).map((f) => rm(f, { force: true })));
  }
}
