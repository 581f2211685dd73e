// Entry point of the `appliance` command.
import { parseArgs } from 'node:util';
import { configureManagement } from './configure-management.ts';
import { renderCommand } from './render-command.ts';
import { labDown, labStatus, labUp } from './lab/lab.ts';
import { serve } from './serve.ts';

const USAGE = `usage:
  appliance render --config FILE --out DIR [--ifmap ge0=eth0,...]
  appliance serve [--listen HOST:PORT]... [--root DIR] [--status-target IP]...
  appliance configure-management --mac MAC --address IP/PREFIX [--mtu N]
  appliance lab up [--payload FILE] [--prefix NAME] | lab status | lab down
`;

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
      case 'serve': {
        const { values } = parseArgs({
          args: rest,
          options: {
            listen: { type: 'string', multiple: true, default: [] },
            root: { type: 'string', default: '/var/lib/appliance' },
            'status-target': { type: 'string', multiple: true, default: [] },
          },
        });
        const { stop } = await serve({ listen: values.listen, root: values.root, statusTargets: values['status-target'] });
        await new Promise<void>((resolve) => {
          const done = () => resolve();
          process.once('SIGTERM', done);
          process.once('SIGINT', done);
        });
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
      default:
        process.stderr.write(USAGE);
        return command === undefined || command === '--help' ? 0 : 2;
    }
  } catch (err) {
    process.stderr.write(`appliance ${command}: ${(err as Error).message}\n`);
    return 2;
  }
}
