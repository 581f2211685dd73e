// Unit tests of the metadata proxy's request mapping and rate limiting: no sockets.
import { EventEmitter } from 'node:events';
import type { ClientRequest } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../log.ts';
import {
  armConnectTimeout,
  ConnectTimeout,
  canonicalAddress,
  clientAddress,
  forwardHeaders,
  MetadataProxy,
  originForm,
  RateLimiter,
  responseHeaders,
  TokenBucket,
  upstreamUrl,
} from './proxy.ts';

const identity = { source: '10.0.0.5', instanceId: 'vm-5', tenantId: 'tenant-1', networkId: 'net-1' };

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

test('canonicalAddress normalises text and rejects non-addresses', () => {
  assert.is(canonicalAddress('10.0.0.5'), '10.0.0.5');
  assert.is(canonicalAddress('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.is(canonicalAddress('2001:db8::0001'), '2001:db8::1');
  assert.is(canonicalAddress('::ffff:10.0.0.5'), '10.0.0.5');
  assert.is(canonicalAddress('::FFFF:a00:5'), '10.0.0.5');
  assert.is(canonicalAddress('10'), null);
  assert.is(canonicalAddress('010.0.0.5'), null);
  assert.is(canonicalAddress('vm-5'), null);
});

test('clientAddress strips the IPv4-mapped prefix', () => {
  assert.is(clientAddress('::ffff:127.0.0.5'), '127.0.0.5');
  assert.is(clientAddress('127.0.0.5'), '127.0.0.5');
  assert.is(clientAddress('fd00::5'), 'fd00::5');
  assert.is(clientAddress(undefined), '');
});

test('forwardHeaders sets the identity headers', () => {
  const out = forwardHeaders({ accept: 'text/plain' }, identity);
  assert.equal(out, {
    accept: 'text/plain',
    'x-forwarded-for': '10.0.0.5',
    'x-instance-id': 'vm-5',
    'x-tenant-id': 'tenant-1',
    'x-quantum-network-id': 'net-1',
    'x-neutron-network-id': 'net-1',
  });
});

test('forwardHeaders replaces identity headers a VM tries to set', () => {
  const out = forwardHeaders(
    {
      'x-forwarded-for': '6.6.6.6',
      'x-instance-id': 'someone-else',
      'x-instance-id-signature': 'forged',
      'x-tenant-id': 'other-tenant',
      'x-quantum-network-id': 'other-net',
      'x-neutron-network-id': 'other-net',
      forwarded: 'for=6.6.6.6',
      'x-real-ip': '6.6.6.6',
    },
    identity,
  );
  assert.is(out['x-forwarded-for'], '10.0.0.5');
  assert.is(out['x-instance-id'], 'vm-5');
  assert.is(out['x-tenant-id'], 'tenant-1');
  assert.is(out['x-quantum-network-id'], 'net-1');
  assert.is(out['x-neutron-network-id'], 'net-1');
  assert.is(out['x-instance-id-signature'], undefined);
  assert.is(out.forwarded, undefined);
  assert.is(out['x-real-ip'], undefined);
});

test('forwardHeaders drops hop-by-hop headers, including those Connection names', () => {
  const out = forwardHeaders(
    {
      connection: 'keep-alive, X-Trace-Hop',
      'keep-alive': 'timeout=5',
      'x-trace-hop': '1',
      'transfer-encoding': 'chunked',
      'content-length': '12',
      te: 'trailers',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic eA==',
      host: '169.254.169.254',
      expect: '100-continue',
      'content-type': 'application/json',
      'user-agent': 'cloud-init',
    },
    identity,
  );
  for (const name of [
    'connection',
    'keep-alive',
    'x-trace-hop',
    'transfer-encoding',
    'content-length',
    'te',
    'upgrade',
    'proxy-authorization',
    'host',
    'expect',
  ]) {
    assert.is(out[name], undefined, name);
  }
  assert.is(out['content-type'], 'application/json');
  assert.is(out['user-agent'], 'cloud-init');
});

test('responseHeaders relays type, length and location only', () => {
  const out = responseHeaders({
    'content-type': 'application/json',
    'content-length': '2',
    location: '/latest/',
    'set-cookie': ['a=b'],
    server: 'orchestrator',
    connection: 'keep-alive',
  });
  assert.equal(out, { 'content-type': 'application/json', 'content-length': '2', location: '/latest/' });
});

test('TokenBucket grants a burst, then refills at the rate', () => {
  const bucket = new TokenBucket({ burst: 2, perSecond: 4 }, 1000);
  assert.is(bucket.take(1000), 0);
  assert.is(bucket.take(1000), 0);
  assert.is(bucket.take(1000), 250); // one token every 250 ms
  assert.is(bucket.take(1100), 150);
  assert.is(bucket.take(1250), 0);
  assert.is(bucket.isFull(1250), false);
  assert.is(bucket.isFull(1750), true);
});

test('TokenBucket ignores a clock that steps back', () => {
  const bucket = new TokenBucket({ burst: 1, perSecond: 1 }, 5000);
  assert.is(bucket.take(5000), 0);
  assert.is(bucket.take(1000), 1000);
  assert.is(bucket.take(6000), 0);
});

test('RateLimiter answers Retry-After seconds per key', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 2, perSecond: 0.5 }, () => now);
  assert.is(limiter.check('a'), 0);
  assert.is(limiter.check('a'), 0);
  assert.is(limiter.check('a'), 2);
  assert.is(limiter.check('b'), 0, 'keys are independent');
  now = 1500;
  assert.is(limiter.check('a'), 1, 'rounded up, never 0');
  now = 2000;
  assert.is(limiter.check('a'), 0);
});

test('RateLimiter bounds the keys it tracks', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 1, perSecond: 1 }, () => now, 2);
  limiter.check('a');
  limiter.check('b');
  limiter.check('c'); // no bucket is idle yet: the oldest (a) goes
  assert.is(limiter.size, 2);
  assert.is(limiter.check('b'), 1, 'b kept its state');
  now = 10_000; // every bucket is full again: all are dropped to make room
  limiter.check('d');
  assert.is(limiter.size, 1);
});

test('RateLimiter rejects a budget that allows nothing', () => {
  assert.throws(() => new RateLimiter({ burst: 0, perSecond: 1 }, () => 0), /burst/);
  assert.throws(() => new RateLimiter({ burst: 1, perSecond: 0 }, () => 0), /perSecond/);
});

test('MetadataProxy rejects non-positive limits', () => {
  assert.throws(() => new MetadataProxy({ logger: silentLogger, totalTimeoutMs: 0 }), /totalTimeoutMs/);
  assert.throws(() => new MetadataProxy({ logger: silentLogger, connectTimeoutMs: -1 }), /connectTimeoutMs/);
  assert.throws(() => new MetadataProxy({ logger: silentLogger, maxBodyBytes: Number.NaN }), /maxBodyBytes/);
});

/** A stand-in for a ClientRequest and its socket: only what armConnectTimeout uses. */
function fakeRequest(connecting: boolean) {
  const socket = Object.assign(new EventEmitter(), { connecting });
  const destroyed: unknown[] = [];
  const request = Object.assign(new EventEmitter(), { destroy: (error: unknown) => destroyed.push(error) });
  return { socket, request, destroyed, asClientRequest: request as unknown as ClientRequest };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

test('forwardHeaders drops header names with underscores, which some servers fold into identity headers', () => {
  const out = forwardHeaders({ x_instance_id: 'victim', x_tenant_id: 'other', x_forwarded_for: '10.9.9.9', accept: '*/*' }, identity);
  assert.equal(
    Object.keys(out).filter((k) => k.includes('_')),
    [],
  );
  assert.is(out['x-instance-id'], 'vm-5');
  assert.is(out.accept, '*/*');
});

test.run();
