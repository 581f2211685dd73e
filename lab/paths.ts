// Where the lab finds the project and keeps its state.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** the repository: lab/ in the source tree, dist/ when bundled into dist/appliance.mjs */
export const REPO = path.dirname(here);
/** the lab hosts' small network services (lab/echo.mjs) */
export const ECHO = path.join(REPO, 'lab', 'echo.mjs');
/** the `appliance` command, through tsx */
export const APPLIANCE = path.join(REPO, 'scripts', 'appliance.mjs');
export const DEFAULT_PAYLOAD = testdataPayload('seed-example');

/** A golden case's PUT body: test/cases/<name>/input.json. */
export function testdataPayload(name: string): string {
  return path.join(REPO, 'test', 'cases', name, 'input.json');
}

/** A lab's directory: lab.json, logs, the agent's root, the DHCP clients' state. */
export function labDir(prefix: string): string {
  return path.join(os.tmpdir(), 'appliance-lab', prefix);
}
