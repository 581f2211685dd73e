// Entry point of the `appliance` command.
import { parseArgs } from 'node:util';
import { configureManagement } from './configure-management.ts';
import type { MetadataProxyOptions } from './metadata/proxy.ts';
import { serve } from './serve.ts';
import { COMMAND_USAGE, USAGE, VERSION } from './usage.ts';

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

/** a bad flag or a missing argument: one line, then the command's usage, exit 2 */
function usageError(command: string | undefined, message: string): number {
  const usage = (command && COMMAND_USAGE[command]) || USAGE;
  process.stderr.write(`appliance${command ? ` ${command}` : ''}: ${message}\n${usage}`);
  return 2;
}

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!Object.hasOwn(COMMAND_USAGE, command)) return usageError(undefined, `unknown command ${JSON.stringify(command.slice(0, 60))}`);
  if (wantsHelp(rest)) {
    process.stdout.write(COMMAND_USAGE[command] as string);
    return 0;
  }
  try {
    switch (command) {
      case 'render': {
        const { values } = parseArgs({
          args: rest,
          options: { config: { type: 'string' }, out: { type: 'string' }, ifmap: { type: 'string' } },
        });
        // loaded only for this command (zod and the schema)
        const { renderCommand } = await import('./render-command.ts');
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
        if (typeof metadata === 'string') return usageError('serve', metadata);
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
      case 'diff': {
        const { values } = parseArgs({
          args: rest,
          options: { from: { type: 'string' }, to: { type: 'string' }, ifmap: { type: 'string' } },
        });
        if (!values.from || !values.to) return usageError('diff', 'needs --from and --to');
        const { diffCommand } = await import('./diff-command.ts');
        return await diffCommand({ from: values.from, to: values.to, ifmap: values.ifmap });
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
        return usageError(
          'lab',
          sub === undefined ? 'missing up, status or down' : `unknown lab command ${JSON.stringify(sub.slice(0, 60))}`,
        );
      }
      case 'image': {
        const sub = rest[0];
        if (sub !== 'build' && sub !== 'deb')
          return usageError(
            'image',
            sub === undefined ? 'missing build or deb' : `unknown image command ${JSON.stringify(sub.slice(0, 60))}`,
          );
        // the image build runs on a build machine, never in the appliance: loaded only here
        const { imageCommand } = await import('../image/cli.ts');
        return await imageCommand(rest);
      }
      default:
        return usageError(undefined, `unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    // parseArgs: an unknown flag, a flag without its value, a stray argument
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
      return usageError(command, (err as Error).message.split('\n')[0] as string);
    process.stderr.write(`appliance ${command}: ${(err as Error).message}\n`);
    return 2;
  }
}
