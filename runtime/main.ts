// Entry point of the bundled agent (dist/appliance.mjs).
import { main } from './cli.ts';

process.exitCode = await main(process.argv.slice(2));
