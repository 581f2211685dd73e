// The metrics made from log lines: the metadata proxy's requests and latency,
// daemon exits, and the tap passing every line on unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLogger } from './log.ts';
import { Metrics } from './metrics.ts';

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('metadata requests by status (rate-limited and refused included) and their latency; daemon exits', async () => {
  const metrics = new Metrics();
  const inner = memoryLogger();
  const log = metrics.tap(inner);
  log.info('metadata.request', { network_id: 'n', status: 200, duration_ms: 12.5 });
  log.warn('metadata.request', { network_id: 'n', status: 429, duration_ms: 0.1 });
  log.warn('metadata.request', { network_id: 'n', status: 413, duration_ms: 0.2, error: 'too large' });
  log.warn('daemon.exited', { daemon: 'bird6', pid: 7, code: 1 });
  log.info('something.else', { x: 1 });
  assert.equal(
    inner.records.map((r) => r.event),
    ['metadata.request', 'metadata.request', 'metadata.request', 'daemon.exited', 'something.else'],
  );
  const text = await metrics.text();
  assert.is(sample(text, 'appliance_metadata_requests_total{status="200"}'), 1);
  assert.is(sample(text, 'appliance_metadata_requests_total{status="429"}'), 1);
  assert.is(sample(text, 'appliance_metadata_requests_total{status="413"}'), 1);
  assert.is(sample(text, 'appliance_metadata_request_duration_seconds_count'), 3);
  assert.is(sample(text, 'appliance_metadata_request_duration_seconds_bucket{le="0.01"}'), 2);
  assert.is(sample(text, 'appliance_daemon_exits_total{daemon="bird6"}'), 1);
});

test('apply lines: outcome from status and failure, plan steps by kind, reloads by daemon', async () => {
  const metrics = new Metrics();
  metrics.observe('apply', {
    status: 200,
    duration_ms: 40,
    plan: { 'write-file': 2, 'signal:dnsmasq': 1, 'run:bird6': 1, 'daemon:bird6:restart': 1 },
    filesWritten: 2,
  });
  metrics.observe('apply', { status: 500, failure: 'check', duration_ms: 5, plan: { check: 3 } });
  const text = await metrics.text();
  assert.is(sample(text, 'appliance_apply_total{outcome="ok"}'), 1);
  assert.is(sample(text, 'appliance_apply_total{outcome="check_failed"}'), 1);
  assert.is(sample(text, 'appliance_plan_steps_total{kind="signal"}'), 1);
  assert.is(sample(text, 'appliance_plan_steps_total{kind="check"}'), 3);
  assert.is(sample(text, 'appliance_daemon_reloads_total{daemon="dnsmasq"}'), 1);
  assert.is(sample(text, 'appliance_daemon_reloads_total{daemon="bird6"}'), 1);
  assert.is(sample(text, 'appliance_files_written_total'), 2);
});

test('requests made before prom-client is loaded are counted by the first scrape', async () => {
  const metrics = new Metrics();
  // the first observation starts the import; these all land before it finishes
  for (let i = 0; i < 3; i++) metrics.request('/v1/firewall/rules', 'GET', 200, 0.002);
  metrics.request('/v1/system/config', 'PUT', 422, 0.03);
  const text = await metrics.text();
  assert.is(sample(text, 'appliance_http_requests_total{route="/v1/firewall/rules",method="GET",status="200"}'), 3);
  assert.is(sample(text, 'appliance_http_requests_total{route="/v1/system/config",method="PUT",status="422"}'), 1);
  metrics.request('/v1/firewall/rules', 'GET', 200, 0.002);
  assert.is(sample(await metrics.text(), 'appliance_http_requests_total{route="/v1/firewall/rules",method="GET",status="200"}'), 4);
});

test.run();
