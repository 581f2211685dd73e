// The supervisor's generic hooks over the simulated host: the reload throttle
// (minReloadIntervalMs: a reload too soon after the last load is sent once the
// interval has passed, reloads meanwhile collapse into it, none is dropped) and
// afterRestart (commands run once a daemon the supervisor restarted on its own
// is ready, never for a start the plan asked for).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DaemonSpec } from '../features/kit/feature.ts';
import { FakeHost } from './host/simulated.ts';
import { memoryLogger } from './log.ts';
import { Daemon } from './supervisor.ts';

const spec = (over: Partial<DaemonSpec> = {}): DaemonSpec => ({
  name: 'keepalived',
  argv: ['keepalived', '--pid', '/r/run/k.pid', '-f', '/r/etc/k.conf'],
  pidFile: '/r/run/k.pid',
  logFile: '/r/log/k.log',
  readyFile: '/r/run/k.pid',
  staleFiles: [],
  marker: '/r/etc/k.conf',
  ...over,
});

/** The host, with every signal but the liveness probe recorded along with the file the daemon would read. */
function recording() {
  const host = new FakeHost();
  const sent: { pid: number; signal: string; at: number; conf: string | undefined }[] = [];
  const signal = host.signal.bind(host);
  host.signal = (pid, sig) => {
    if (sig !== 0) sent.push({ pid, signal: sig, at: performance.now(), conf: host.files.get('/r/etc/k.conf')?.content });
    return signal(pid, sig);
  };
  return { host, sent, hups: () => sent.filter((s) => s.signal === 'SIGHUP') };
}

const until = async (cond: () => boolean, ms: number) => {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

test('without minReloadIntervalMs every reload is sent at once', async () => {
  const { host, hups } = recording();
  const d = new Daemon(spec(), host, memoryLogger());
  await d.start();
  assert.equal([d.reload('SIGHUP'), d.reload('SIGHUP'), d.reload('SIGHUP')], ['sent', 'sent', 'sent']);
  assert.is(hups().length, 3);
  await d.stop();
});

test('reloads within the interval wait for it, collapse into one, and the last file is the one loaded', async () => {
  const { host, hups } = recording();
  const d = new Daemon(spec({ minReloadIntervalMs: 300 }), host, memoryLogger());
  await d.start();
  const started = performance.now();
  // a start is a load: a reload right after it waits too
  const answers: string[] = [];
  for (const n of [1, 2, 3]) {
    await host.writeFile('/r/etc/k.conf', `version ${n}\n`, 0o644);
    answers.push(d.reload('SIGHUP'));
  }
  assert.equal(answers, ['deferred', 'deferred', 'deferred']);
  assert.is(hups().length, 0, 'nothing sent inside the interval');
  assert.ok(await until(() => hups().length > 0, 2000), 'the owed reload is sent');
  await new Promise((r) => setTimeout(r, 400));
  assert.is(hups().length, 1, 'three reloads collapsed into one');
  const [hup] = hups();
  assert.is(hup?.conf, 'version 3\n');
  assert.ok((hup?.at ?? 0) - started >= 290, `sent after the interval (${Math.round((hup?.at ?? 0) - started)} ms)`);
  // long after the last load: at once again
  assert.is(d.reload('SIGHUP'), 'sent');
  assert.is(hups().length, 2);
  await d.stop();
});

test('a stop drops the owed reload (a start reads the files); detaching sends it at once', async () => {
  const { host, hups } = recording();
  const d = new Daemon(spec({ minReloadIntervalMs: 200 }), host, memoryLogger());
  await d.start();
  assert.is(d.reload('SIGHUP'), 'deferred');
  await d.stop();
  await new Promise((r) => setTimeout(r, 300));
  assert.is(hups().length, 0);
  assert.throws(() => d.reload('SIGHUP'), /not running/, 'a stopped daemon is a failed step, not an owed reload');

  await d.start();
  assert.is(d.reload('SIGHUP'), 'deferred');
  d.detach();
  assert.is(hups().length, 1, 'the next agent could not know a reload was owed');
});

test('afterRestart: run once a crashed daemon is restarted by the supervisor, not on a start the plan asks for', async () => {
  const { host } = recording();
  const load = ['env', 'STRONGSWAN_CONF=/r/etc/strongswan.conf', 'swanctl', '--load-all', '--file', '/r/etc/swanctl.conf'];
  const log = memoryLogger();
  // swanctl answers (in the simulated host) only while charon runs
  const charon = { name: 'charon', argv: ['env', 'A=1', 'charon-systemd', '--pid', '/r/run/k.pid'], marker: 'charon-systemd' };
  const d = new Daemon(spec({ ...charon, afterRestart: [load] }), host, log);
  // what the load found: the pid file of the process it talks to
  const seen: (string | undefined)[] = [];
  const run = host.run.bind(host);
  host.run = (argv, opts) => {
    if (argv.includes('--load-all')) seen.push(host.files.get('/r/run/k.pid')?.content.trim());
    return run(argv, opts);
  };
  await d.start();
  const loads = () => host.commands.filter((c) => c === load.join(' ')).length;
  assert.is(loads(), 0, 'the plan carries its own load after its start');
  const first = d.pid ?? 0;
  host.signal(first, 'SIGKILL');
  assert.ok(await until(() => loads() === 1, 3000), 'the load ran after the restart');
  assert.ok(d.pid !== null && d.pid !== first, 'a new process');
  assert.equal(seen, [String(d.pid)], 'the load came once the new process was ready');
  assert.ok(log.records.some((r) => r.event === 'daemon.after_restart'));
  await d.stop();
});

test.run();
