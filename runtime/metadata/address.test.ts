// Source address canonicalisation.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAddress } from '../../schema/syntax.ts';
import { canonicalAddress, clientAddress } from './address.ts';

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

test('canonicalAddress agrees with the schema on every address the schema accepts', () => {
  for (const text of ['10.0.0.1', '2001:DB8::1', 'fe80:0:0:0:0:0:0:1', '::', '::1', '1:2:3:4:5:6:7:8', '1:0:0:2::3', '::1.2.3.4']) {
    const schema = parseAddress(text)?.address;
    assert.ok(schema !== undefined, text);
    assert.is(canonicalAddress(text), schema, text);
  }
  for (const text of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':1', '1:', '256.0.0.1']) {
    assert.is(canonicalAddress(text), null, text);
  }
});

test('canonicalAddress keeps a zone id after the canonical address', () => {
  assert.is(canonicalAddress('FE80::0001%eth0'), 'fe80::1%eth0');
  assert.is(canonicalAddress('fe80::1%'), null);
  assert.is(canonicalAddress('%eth0'), null);
});

test.run();
