// The command helper: the same answers as running the command directly (exit
// code, output, input, timeout, a missing program), many at once, and a helper
// that dies answers its commands as failed and is replaced.

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnHelper } from './helper-source.ts';
import { BACKGROUND_NICE, URGENT_NICE } from './port.ts';
import { runHere } from './run-here.ts';
import { Spawner } from './spawner.ts';

test('exit codes, stdout, stderr and input come back as the command gave them', async () => {
  const s = new Spawner();
  try {
    const r = await s.run(['sh', '-c', 'read x; echo "got $x"; echo oops >&2; exit 3'], { input: 'abc\n' });
    assert.equal(r, {
      argv: ['sh', '-c', 'read x; echo "got $x"; echo oops >&2; exit 3'],
      exitCode: 3,
      stdout: 'got abc\n',
      stderr: 'oops\n',
      timedOut: false,
    });
    const missing = await s.run(['/nonexistent/program']);
    assert.is(missing.exitCode, -1);
    assert.match(missing.stderr, /ENOENT/);
  } finally {
    s.close();
  }
});

test('a command over its time is killed and marked as timed out', async () => {
  const s = new Spawner();
  try {
    const started = Date.now();
    const r = await s.run(['sleep', '5'], { timeoutMs: 150 });
    assert.ok(r.timedOut);
    assert.is(r.exitCode, -1);
    assert.ok(Date.now() - started < 4000);
  } finally {
    s.close();
  }
});

test("a background command runs at the lower priority, others at the agent's own", async () => {
  const s = new Spawner();
  // the priority is set just after the fork: the command reads its niceness a moment later
  const niceness = ['sh', '-c', 'sleep 0.3; cut -d" " -f19 /proc/$$/stat'];
  try {
    const [low, normal] = await Promise.all([s.run(niceness, { background: true }), s.run(niceness)]);
    const own = os.getPriority();
    assert.is(Number(low.stdout.trim()), Math.min(19, own + BACKGROUND_NICE));
    assert.is(Number(normal.stdout.trim()), own);
  } finally {
    s.close();
  }
});

/** whether this process may raise priorities (CAP_SYS_NICE, bit 23 of its effective capabilities) */
function mayRaisePriority(): boolean {
  const caps = /CapEff:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return caps !== undefined && (BigInt(`0x${caps}`) & (1n << 23n)) !== 0n;
}

test('an urgent command runs ahead of the agent where it may raise priorities, else at its own; in every path', async () => {
  const niceness = ['sh', '-c', 'sleep 0.3; cut -d" " -f19 /proc/$$/stat'];
  const own = os.getPriority();
  const urgent = mayRaisePriority() ? Math.max(-20, own + URGENT_NICE) : own;
  const s = new Spawner();
  try {
    // sent while the helper boots: forked by the agent itself
    const early = await s.run(niceness, { urgent: true });
    await s.whenReady();
    const [helped, normal] = await Promise.all([s.run(niceness, { urgent: true }), s.run(niceness)]);
    assert.is(Number(early.stdout.trim()), urgent, 'forked by the agent');
    assert.is(Number(helped.stdout.trim()), urgent, 'forked by the helper');
    assert.is(Number(normal.stdout.trim()), own);
  } finally {
    s.close();
  }
  // without a helper (execa, from the agent)
  const here = await runHere(niceness, niceness, { urgent: true });
  assert.is(Number(here.stdout.trim()), urgent, 'run without the helper');
  const low = await runHere(niceness, niceness, { background: true });
  assert.is(Number(low.stdout.trim()), Math.min(19, own + BACKGROUND_NICE), 'a background command without the helper');
});

test('commands sent while the helper boots are run by the agent itself, later ones by the helper', async () => {
  const s = new Spawner();
  try {
    const parent = async () => Number((await s.run(['sh', '-c', 'echo $PPID'])).stdout.trim());
    assert.is(await parent(), process.pid);
    await s.whenReady();
    const helper = await parent();
    assert.ok(helper > 1 && helper !== process.pid);
    assert.is(await parent(), helper);
    assert.is(s.starts, 1);
  } finally {
    s.close();
  }
});

test('a helper started before the Spawner (runtime/main.ts) is the one it uses', async () => {
  const early = spawnHelper();
  const s = new Spawner(early);
  try {
    await s.whenReady();
    assert.is(Number((await s.run(['sh', '-c', 'echo $PPID'])).stdout.trim()), early.pid);
    assert.is(s.starts, 1);
  } finally {
    s.close();
  }
});

test('an early helper that is already gone is replaced', async () => {
  const early = spawnHelper();
  await new Promise((r) => early.once('spawn', r));
  early.kill('SIGKILL');
  await new Promise((r) => early.once('exit', r));
  const s = new Spawner(early);
  try {
    await s.whenReady();
    const pid = Number((await s.run(['sh', '-c', 'echo $PPID'])).stdout.trim());
    assert.ok(pid !== early.pid && pid !== process.pid);
  } finally {
    s.close();
  }
});

/** a stand-in helper whose output and end the test writes */
function fakeHelper(): ChildProcess & { stdout: PassThrough } {
  const child = Object.assign(new EventEmitter(), {
    pid: 999_999,
    exitCode: null,
    signalCode: null,
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    kill: () => true,
    ref: () => {},
    unref: () => {},
  });
  return child as unknown as ChildProcess & { stdout: PassThrough };
}

test('the output of a helper that died is ignored: it cannot crash the agent or speak for the next helper', async () => {
  const dead = fakeHelper();
  const s = new Spawner(dead);
  try {
    dead.stdout.write('{"id":0}\n');
    await s.whenReady();
    const inFlight = s.run(['true']);
    dead.emit('close', null, 'SIGKILL');
    assert.match((await inFlight).stderr, /command runner exited/);
    // the next command starts a real helper; the dead one's half-written reply arrives late
    const next = s.run(['echo', 'after']);
    dead.stdout.write('{"id":1,"exitCode":0,"stdout":"part of a long');
    dead.stdout.write(' listing"}\n{"id":0}\n');
    assert.is((await next).stdout, 'after\n');
    await s.whenReady();
    assert.is((await s.run(['echo', 'again'])).stdout, 'again\n');
    assert.is(s.starts, 2);
  } finally {
    s.close();
  }
});

test('a line that is not a reply retires the helper, and its commands fail rather than hang', async () => {
  const odd = fakeHelper();
  const s = new Spawner(odd);
  try {
    odd.stdout.write('{"id":0}\n');
    await s.whenReady();
    const r = s.run(['true']);
    odd.stdout.write('Segmentation fault\n');
    assert.match((await r).stderr, /something other than a reply/);
    assert.is((await s.run(['echo', 'fresh'])).stdout, 'fresh\n');
  } finally {
    s.close();
  }
});

test('helpers that keep ending before they are ready are given up on (three in a row)', async () => {
  let made = 0;
  const s = new Spawner(null, () => {
    made += 1;
    return spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: ['pipe', 'pipe', 'inherit'] });
  });
  for (let i = 0; i < 3; i++) {
    // run by the agent itself while the helper "boots"; the helper then ends
    assert.is((await s.run(['echo', String(i)])).stdout, `${i}\n`);
    await s.whenReady();
  }
  assert.is(made, 3);
  assert.not.ok(s.available, 'a fourth helper would be started');
});

test('many commands at once each get their own answer, from one helper', async () => {
  const s = new Spawner();
  try {
    const all = await Promise.all(Array.from({ length: 30 }, (_, i) => s.run(['sh', '-c', `echo ${i}; exit ${i % 4}`])));
    all.forEach((r, i) => {
      assert.is(r.stdout, `${i}\n`);
      assert.is(r.exitCode, i % 4);
    });
    assert.is(s.starts, 1);
  } finally {
    s.close();
  }
});

test('a helper that dies answers its commands as failed (never runs them twice) and is replaced', async () => {
  const s = new Spawner();
  try {
    await s.whenReady();
    const pid = Number((await s.run(['sh', '-c', 'echo $PPID'])).stdout.trim());
    assert.ok(pid > 1 && pid !== process.pid);
    const inFlight = s.run(['sleep', '5']);
    process.kill(pid, 'SIGKILL');
    const r = await inFlight;
    assert.is(r.exitCode, -1);
    assert.match(r.stderr, /command runner exited/);
    assert.is((await s.run(['echo', 'again'])).stdout, 'again\n');
    assert.is(s.starts, 2);
  } finally {
    s.close();
  }
});

test.run();
