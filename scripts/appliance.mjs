#!/usr/bin/env node
// The `appliance` command: loads the TypeScript sources through tsx in this
// same process (no extra parent process in front of signals).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../runtime/cli.ts');
process.exitCode = await main(process.argv.slice(2));
