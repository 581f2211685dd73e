#!/usr/bin/env node
// Start-up of the agent as the README runs it in production, measured from
// inside the namespace it runs in:
//
//   ip netns exec NS node bench/startup-probe.mjs PORT ROOT [PATH] [LOG]
//
// spawns `unshare --uts node dist/appliance.mjs serve --root ROOT --listen
// 127.0.0.1:PORT` (its own UTS namespace, so a hostname step could never reach
// the host), polls http://127.0.0.1:PORT/PATH (default /v1/firewall/rules,
// the orchestrator's liveness probe) every 5 ms with node:http, and prints one
// JSON object: milliseconds from just before the spawn to the first answer and
// to the first 200, the agent's VmRSS then, and the number of attempts. The
// agent is stopped with SIGTERM (SIGKILL after 5 s) before the probe exits.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// the production bundle (npm run build); APPLIANCE_ENTRY may name another entry
const appliance = process.env.APPLIANCE_ENTRY ?? path.join(here, '..', 'dist', 'appliance.mjs');
const [portText, root, probePath = '/v1/firewall/rules', logFile = '/dev/null'] = process.argv.slice(2);
const port = Number(portText);
if (!(port > 0) || !root) {
  process.stderr.write('usage: startup-probe.mjs PORT ROOT [PATH] [LOG]\n');
  process.exit(2);
}
const INTERVAL_MS = 5;
const DEADLINE_MS = 30_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function attempt() {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: probePath, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
  });
}

function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

const out = openSync(logFile, 'a');
const started = performance.now();
// the node flags of the image's unit (lab/agent.ts AGENT_NODE_FLAGS)
const child = spawn(
  'unshare',
  [
    '--uts',
    '--',
    process.execPath,
    '--max-semi-space-size=1',
    '--heap-growing-percent=10',
    appliance,
    'serve',
    '--root',
    root,
    '--listen',
    `127.0.0.1:${port}`,
  ],
  {
    stdio: ['ignore', out, out],
    // the environment of the image's unit (lab/agent.ts AGENT_ENV)
    env: { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' },
    cwd: path.join(here, '..'),
  },
);
let exited = null;
child.on('exit', (code, signal) => {
  exited = { code, signal };
});

let attempts = 0;
let firstAnswer = null;
let first200 = null;
while (performance.now() - started < DEADLINE_MS && exited === null) {
  attempts += 1;
  const status = await attempt();
  const now = performance.now() - started;
  if (status !== 0 && firstAnswer === null) firstAnswer = now;
  if (status === 200) {
    first200 = now;
    break;
  }
  await sleep(INTERVAL_MS);
}
const rss = child.pid ? rssKb(child.pid) : Number.NaN;

if (exited === null) {
  child.kill('SIGTERM');
  for (let i = 0; i < 250 && exited === null; i++) await sleep(20);
  if (exited === null) child.kill('SIGKILL');
}
const round = (v) => (v === null ? null : Math.round(v * 1000) / 1000);
process.stdout.write(
  `${JSON.stringify({ first_answer_ms: round(firstAnswer), first_200_ms: round(first200), rss_kb: rss, attempts, exited_early: exited !== null && first200 === null ? exited : null })}\n`,
);
