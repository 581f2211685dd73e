// The headers sent upstream and relayed back: no sockets.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forwardHeaders, responseHeaders } from './headers.ts';

const identity = { source: '10.0.0.5', instanceId: 'vm-5', tenantId: 'tenant-1', networkId: 'net-1' };

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
