// Entry point of the `appliance` command.
import { parseArgs } from 'node:util';
import { configureManagement } from './configure-management.ts';
import type { MetadataProxyOptions } from './metadata/proxy.ts';
import { renderCommand } from './render-command.ts';
import { serve } from './serve.ts';

const USAGE = `usage:
  appliance render --config FILE --out DIR [--ifmap ge0=eth0,...]
  appliance plan --config FILE [--state DIR] [--root DIR]
  appliance serve [--listen HOST:PORT]... [--root DIR] [--status-target IP]...
                  [--metadata-connect-timeout-ms N] [--metadata-timeout-ms N] [--metadata-rate-limit BURST/RATE|off]
  appliance configure-management --mac MAC --address IP/PREFIX [--mtu N]
  appliance lab up [--payload FILE] [--prefix NAME] | lab status | lab down
  appliance image build --out DIR [--cache DIR] [--mirror URL] [--rebuild-base] [--size MIB] | image deb --out DIR
`;

/** --metadata-rate-limit BURST/PER_SECOND or off; timeouts in milliseconds */
function metadataOptions(values: Record<string, unknown>): Partial<MetadataProxyOptions> | string {
  const out: Partial<MetadataProxyOptions> = {};
  const ms = (key: string) => {
    const text = values[key];
    if (text === undefined) return undefined;
    const n = Number(text);
    return Number.isInteger(n) && n > 0 && n <= 600_000 ? n : null;
  };
  const connect = ms('metadata-connect-timeout-ms');
  const total = ms('metadata-timeout-ms');
  if (connect === null || total === null) return 'metadata timeouts must be whole milliseconds, 1..600000';
  if (connect !== undefined) out.connectTimeoutMs = connect;
  if (total !== undefined) out.totalTimeoutMs = total;
  const limit = values['metadata-rate-limit'];
  if (typeof limit === 'string') {
    if (limit === 'off') out.rateLimit = null;
    else {
      const m = /^(\d{1,6})\/(\d{1,6})$/.exec(limit);
      if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) return '--metadata-rate-limit must be BURST/PER_SECOND (e.g. 100/50) or off';
      out.rateLimit = { burst: Number(m[1]), perSecond: Number(m[2]) };
    }
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'render': {
        const { values } = parseArgs({
          args: rest,
          options: { config: { type: 'string' }, out: { type: 'string' }, ifmap: { type: 'string' } },
        });
        return await renderCommand(values);
      }
      case 'plan': {
        const { values } = parseArgs({
          args: rest,
          options: { config: { type: 'string' }, state: { type: 'string' }, root: { type: 'string' } },
        });
        // loaded only for this command
        const { planCommand } = await import('./plan-command.ts');
        return await planCommand(values);
      }
      case 'serve': {
        const { values } = parseArgs({
          args: rest,
          options: {
            listen: { type: 'string', multiple: true, default: [] },
            root: { type: 'string', default: '/var/lib/appliance' },
            'status-target': { type: 'string', multiple: true, default: [] },
            'metadata-connect-timeout-ms': { type: 'string' },
            'metadata-timeout-ms': { type: 'string' },
            'metadata-rate-limit': { type: 'string' },
          },
        });
        const metadata = metadataOptions(values);
        if (typeof metadata === 'string') {
          process.stderr.write(`${metadata}\n`);
          return 2;
        }
        // installed first: a SIGTERM during start-up convergence still shuts down cleanly
        const stopping = new Promise<void>((resolve) => {
          process.once('SIGTERM', () => resolve());
          process.once('SIGINT', () => resolve());
        });
        const { stop } = await serve({ listen: values.listen, root: values.root, statusTargets: values['status-target'], metadata });
        await stopping;
        await stop();
        return 0;
      }
      case 'configure-management': {
        const { values } = parseArgs({
          args: rest,
          options: { mac: { type: 'string' }, address: { type: 'string' }, mtu: { type: 'string' } },
        });
        return await configureManagement(values);
      }
      case 'lab': {
        const [sub, ...labArgs] = rest;
        // the lab is a test harness: not loaded for the other commands
        const [{ labDown, labUp }, { labStatus }] = await Promise.all([import('../lab/lab.ts'), import('../lab/status.ts')]);
        const { values } = parseArgs({
          args: labArgs,
          options: { payload: { type: 'string' }, prefix: { type: 'string', default: 'lab' } },
        });
        if (sub === 'up') {
          const lab = await labUp({ payload: values.payload, prefix: values.prefix, log: (l) => process.stderr.write(`lab: ${l}\n`) });
          await lab.settle();
          process.stdout.write(await labStatus(values.prefix));
          return 0;
        }
        if (sub === 'status') {
          process.stdout.write(await labStatus(values.prefix));
          return 0;
        }
        if (sub === 'down') {
          await labDown(values.prefix);
          return 0;
        }
        process.stderr.write(USAGE);
        return 2;
      }
      case 'image': {
        // the image build runs on a build machine, never in the appliance: loaded only here
        const { imageCommand } = await import('../image/cli.ts');
        return await imageCommand(rest);
      }
      default:
        process.stderr.write(USAGE);
        return command === undefined || command === '--help' ? 0 : 2;
    }
  } catch (err) {
    process.stderr.write(`appliance ${command}: ${(err as Error).message}\n`);
    return 2;
  }
}
