// Start-up: `node dist/appliance.mjs serve` (the production bundle) (the way the README runs the
// agent) in a network namespace made for it, with an empty root, measured by
// bench/startup-probe.mjs from inside that namespace: time from the spawn to
// the first 200 of the liveness probe, and the resident memory then.
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../lab/paths.ts';
import { RealHost as Host } from '../runtime/host/real.ts';
import { progress, round, type Summary, summarize } from './stats.ts';

const PROBE = path.join(REPO, 'bench', 'startup-probe.mjs');
const PORT = 5000;

interface ProbeOutput {
  first_answer_ms: number | null;
  first_200_ms: number | null;
  rss_kb: number;
  attempts: number;
  exited_early: unknown;
}

export interface StartupBench {
  runs: number;
  /** the first run, reported apart: it may pay for cold file caches */
  first_run_ms: number | null;
  first_200_ms: Summary;
  first_answer_ms: Summary;
  idle_rss_mb: Summary;
  failures: number;
  /** where the start-up goes: a bare `node -e`, and importing runtime/cli.ts through tsx (as scripts/appliance.mjs does) */
  breakdown: { node_bare_ms: Summary; node_bare_rss_mb: Summary; import_cli_ms: Summary; import_cli_rss_mb: Summary };
}

/** Wall time of a short node process, from this process, and the RSS it printed last. */
async function nodeRun(host: Host, args: string[]): Promise<{ ms: number; rssMb: number }> {
  const started = performance.now();
  const r = await host.run([process.execPath, ...args], { timeoutMs: 30_000 });
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.trim().slice(0, 500)}`);
  const bytes = Number(r.stdout.trim().split('\n').pop());
  return { ms, rssMb: bytes / 2 ** 20 };
}

async function breakdown(host: Host, runs: number): Promise<StartupBench['breakdown']> {
  const bare: { ms: number; rssMb: number }[] = [];
  const cli: { ms: number; rssMb: number }[] = [];
  const printRss = 'console.log(process.memoryUsage().rss)';
  const cliTs = JSON.stringify(path.join(REPO, 'runtime', 'cli.ts'));
  const tsxApi = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const importCli = `import(${tsxApi}).then((m) => { m.register(); return import(${cliTs}); }).then(() => { ${printRss}; process.exit(0); })`;
  for (let i = 0; i < runs; i++) {
    bare.push(await nodeRun(host, ['-e', printRss]));
    cli.push(await nodeRun(host, ['-e', importCli]));
  }
  return {
    node_bare_ms: summarize(
      bare.map((x) => x.ms),
      1,
    ),
    node_bare_rss_mb: summarize(
      bare.map((x) => x.rssMb),
      1,
    ),
    import_cli_ms: summarize(
      cli.map((x) => x.ms),
      1,
    ),
    import_cli_rss_mb: summarize(
      cli.map((x) => x.rssMb),
      1,
    ),
  };
}

export async function benchStartup(opts: { prefix: string; runs: number }): Promise<StartupBench> {
  const host = new Host();
  const ns = `${opts.prefix}-su`;
  const base = path.join(os.tmpdir(), `appliance-bench-${opts.prefix}`);
  await host.run(['ip', 'netns', 'del', ns]);
  const add = await host.run(['ip', 'netns', 'add', ns]);
  if (add.exitCode !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr.trim()}`);
  try {
    await host.run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    const results: ProbeOutput[] = [];
    for (let i = 0; i <= opts.runs; i++) {
      const root = path.join(base, `run${i}`);
      await rm(root, { recursive: true, force: true });
      await mkdir(root, { recursive: true, mode: 0o755 });
      const r = await host.run(
        ['ip', 'netns', 'exec', ns, process.execPath, PROBE, String(PORT), root, '/v1/firewall/rules', path.join(base, `agent${i}.log`)],
        {
          timeoutMs: 60_000,
        },
      );
      if (r.exitCode !== 0) throw new Error(`startup-probe failed (${r.exitCode}): ${r.stderr.trim().slice(0, 1000)}`);
      results.push(JSON.parse(r.stdout) as ProbeOutput);
      progress(`startup: run ${i + 1}/${opts.runs + 1}: first 200 after ${results[results.length - 1]?.first_200_ms ?? '-'} ms`);
    }
    progress('startup: node alone, and importing the CLI through tsx');
    const parts = await breakdown(host, 3);
    const [first, ...rest] = results;
    const ok = rest.filter((x) => x.first_200_ms !== null);
    return {
      runs: rest.length,
      first_run_ms: first?.first_200_ms ?? null,
      first_200_ms: summarize(
        ok.map((x) => x.first_200_ms as number),
        1,
      ),
      first_answer_ms: summarize(
        ok.map((x) => x.first_answer_ms as number),
        1,
      ),
      idle_rss_mb: summarize(
        ok.map((x) => round(x.rss_kb / 1024, 1)),
        1,
      ),
      failures: rest.length - ok.length,
      breakdown: parts,
    };
  } finally {
    // an agent left behind by a probe that timed out
    const pids = await host.run(['ip', 'netns', 'pids', ns]);
    for (const pid of pids.stdout.split('\n').filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await host.run(['ip', 'netns', 'del', ns]);
    await rm(base, { recursive: true, force: true });
  }
}
