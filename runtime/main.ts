// Entry point of the bundled agent (dist/appliance.mjs). For `serve`, the
// command helper starts first (runtime/host/early.ts), then the agent's
// modules load while it boots.
const args = process.argv.slice(2);
if (args[0] === 'serve') (await import('./host/early.ts')).startHelperEarly();
const { main } = await import('./cli.ts');
process.exitCode = await main(args);
