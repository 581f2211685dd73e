// The upstream URL and the connect timeout: no sockets.
import { EventEmitter } from 'node:events';
import type { ClientRequest } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectTimeout } from './errors.ts';
import { armConnectTimeout, originForm, upstreamUrl } from './upstream.ts';

/** A stand-in for a ClientRequest and its socket: only what armConnectTimeout uses. */
function fakeRequest(connecting: boolean) {
  const socket = Object.assign(new EventEmitter(), { connecting });
  const destroyed: unknown[] = [];
  const request = Object.assign(new EventEmitter(), { destroy: (error: unknown) => destroyed.push(error) });
  return { socket, request, destroyed, asClientRequest: request as unknown as ClientRequest };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('upstreamUrl brackets IPv6 literals only', () => {
  assert.is(upstreamUrl('192.168.25.30', 9697, '/latest/meta-data/'), 'http://192.168.25.30:9697/latest/meta-data/');
  assert.is(upstreamUrl('fdca:3ba5:a17a:acda::1', 9697, '/'), 'http://[fdca:3ba5:a17a:acda::1]:9697/');
  assert.is(upstreamUrl('::1', 80, '/a?b=c&d'), 'http://[::1]:80/a?b=c&d');
  assert.is(upstreamUrl('orchestrator.example', 9697, '/x'), 'http://orchestrator.example:9697/x');
});

test('upstreamUrl keeps path and query verbatim', () => {
  assert.is(upstreamUrl('10.0.0.1', 1, '/a/../b/%2F?x=1&x=2#f'), 'http://10.0.0.1:1/a/../b/%2F?x=1&x=2#f');
  assert.is(upstreamUrl('10.0.0.1', 1, '//other.host/p'), 'http://10.0.0.1:1//other.host/p');
});

test('originForm reduces absolute-form targets to path and query', () => {
  assert.is(originForm('/latest?x=1'), '/latest?x=1');
  assert.is(originForm('http://169.254.169.254/latest/meta-data?x=1'), '/latest/meta-data?x=1');
  assert.is(originForm('http://evil.example'), '/');
  assert.is(originForm('*'), '/');
  assert.is(originForm(''), '/');
});

test('armConnectTimeout destroys a request whose connection is not made in time', async () => {
  const fake = fakeRequest(true);
  armConnectTimeout(fake.asClientRequest, 10);
  fake.request.emit('socket', fake.socket);
  await sleep(30);
  assert.is(fake.destroyed.length, 1);
  assert.instance(fake.destroyed[0], ConnectTimeout);
});

test('armConnectTimeout stands down once connected, and for pooled sockets', async () => {
  const connected = fakeRequest(true);
  armConnectTimeout(connected.asClientRequest, 10);
  connected.request.emit('socket', connected.socket);
  connected.socket.emit('connect');
  const pooled = fakeRequest(false);
  armConnectTimeout(pooled.asClientRequest, 10);
  pooled.request.emit('socket', pooled.socket);
  await sleep(30);
  assert.is(connected.destroyed.length, 0);
  assert.is(pooled.destroyed.length, 0);
});

test.run();
