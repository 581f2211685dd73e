// Option checking.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../log.ts';
import { MetadataProxy } from './proxy.ts';

test('MetadataProxy rejects non-positive limits', () => {
  assert.throws(() => new MetadataProxy({ logger: silentLogger, totalTimeoutMs: 0 }), /totalTimeoutMs/);
  assert.throws(() => new MetadataProxy({ logger: silentLogger, connectTimeoutMs: -1 }), /connectTimeoutMs/);
  assert.throws(() => new MetadataProxy({ logger: silentLogger, maxBodyBytes: Number.NaN }), /maxBodyBytes/);
});

test('MetadataProxy rejects connection caps that admit nothing', () => {
  assert.throws(() => new MetadataProxy({ logger: silentLogger, maxConnections: 0 }), /maxConnections/);
  assert.throws(() => new MetadataProxy({ logger: silentLogger, maxConnectionsPerListener: -1 }), /maxConnectionsPerListener/);
  assert.throws(() => new MetadataProxy({ logger: silentLogger, maxConnectionsPerSource: 0 }), /maxConnectionsPerSource/);
  assert.throws(() => new MetadataProxy({ logger: silentLogger, idleTimeoutUnderPressureMs: Number.NaN }), /idleTimeoutUnderPressureMs/);
});

test.run();
