#!/usr/bin/env node
// HTTP load from inside a namespace (run with `ip netns exec NS node bench/load-client.mjs ...`).
//
//   node bench/load-client.mjs URL CONCURRENCY COUNT [--warmup N]
//       COUNT GETs of URL shared by CONCURRENCY keep-alive clients that each
//       wait for their answer before sending the next.
//   node bench/load-client.mjs URL CONCURRENCY 0 --during-put PUT_URL BODY_FILE[,BODY_FILE...]
//       sends PUTs of the BODY_FILEs (application/json), one after the other,
//       and, while they run, GETs URL back to back from CONCURRENCY clients;
//       stops when the last PUT answers.
//
// Prints one JSON object on stdout: the latency of every GET in milliseconds,
// in the order they completed, their statuses, wall time and request rate.
// IPv6 URLs need brackets: http://[fd00::1]:5000/v1/.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const usage = 'usage: load-client.mjs URL CONCURRENCY COUNT [--warmup N] [--during-put PUT_URL BODY_FILE[,BODY_FILE...]]';
const args = process.argv.slice(2);
const positional = [];
let warmup = 0;
let during = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--warmup') warmup = Number(args[++i]);
  else if (a === '--during-put') {
    during = {
      url: args[i + 1],
      bodies: String(args[i + 2])
        .split(',')
        .map((f) => readFileSync(f)),
    };
    i += 2;
  } else positional.push(a);
}
const [url, concText, countText] = positional;
const concurrency = Number(concText);
const count = Number(countText ?? 0);
if (!url || !(concurrency > 0) || !(count >= 0) || (count === 0 && !during)) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const TIMEOUT_MS = 60_000;

function request(target, { method = 'GET', body, useAgent = agent } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const headers = body ? { 'content-type': 'application/json', 'content-length': body.length } : {};
    const req = http.request(new URL(target), { method, agent: useAgent, headers, timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      res.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    if (body) req.write(body);
    req.end();
  });
}

/** n clients; each sends while keepGoing() says so (checked before each request, or after with atLeastOnce). */
async function workers(n, keepGoing, onResult, atLeastOnce = false) {
  const worker = async () => {
    if (atLeastOnce) onResult(await request(url));
    while (keepGoing()) {
      onResult(await request(url));
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
}

for (let i = 0; i < warmup; i++) await request(url);

const latencies = [];
const statuses = {};
const record = (r) => {
  latencies.push(Math.round(r.ms * 1000) / 1000);
  statuses[r.status] = (statuses[r.status] ?? 0) + 1;
};

const started = performance.now();
let put = null;
if (during) {
  let done = false;
  const putAgent = new http.Agent({ keepAlive: false });
  const puts = (async () => {
    const out = [];
    for (const body of during.bodies) {
      const r = await request(during.url, { method: 'PUT', body, useAgent: putAgent });
      out.push({ status: r.status, wall_ms: Math.round(r.ms * 1000) / 1000 });
    }
    done = true;
    return out;
  })();
  // every client sends at least one probe, even if the PUTs are quick
  await workers(concurrency, () => !done, record, true);
  put = await puts;
} else {
  let sent = 0;
  await workers(concurrency, () => sent++ < count, record);
}
const wall = performance.now() - started;
agent.destroy();
const ok = statuses[200] ?? 0;
process.stdout.write(
  `${JSON.stringify({
    url,
    concurrency,
    requests: latencies.length,
    ok,
    errors: latencies.length - ok,
    statuses,
    wall_ms: Math.round(wall * 1000) / 1000,
    rps: Math.round((latencies.length / wall) * 1000 * 10) / 10,
    put,
    latencies_ms: latencies,
  })}\n`,
);
