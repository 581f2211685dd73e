// `appliance image build --out DIR`: DIR/appliance.raw and DIR/appliance.qcow2,
// a Debian 12 router VM that boots by itself (GRUB, initrd) with the agent's
// package installed, plus the package itself and a manifest.
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureBase } from './base.ts';
import { buildDeb, DEB_NAME } from './deb.ts';
import { installGrubFiles, KERNEL_ARGS, makeDisk } from './disk.ts';
import { NODE_VERSION } from './node-runtime.ts';
import { IMAGE_DIR, run, type Say, since } from './run.ts';

export const DEFAULT_CACHE = '/var/cache/appliance-image';

export interface BuildOptions {
  outDir: string;
  cacheDir?: string;
  mirror?: string;
  rebuildBase?: boolean;
  /** least virtual disk size, MiB (default 2048) */
  minSizeMiB?: number;
  say?: Say;
}

export interface BuildResult {
  raw: string;
  qcow2: string;
  deb: string;
  debVersion: string;
  kernel: string;
  virtualMiB: number;
  usedMiB: number;
  qcow2Bytes: number;
  seconds: { deb: number; base: number; root: number; disk: number; qcow2: number; total: number };
}

const chroot = (root: string, script: string, logFile: string) =>
  run(['unshare', '--mount', '--propagation', 'private', '--', 'chroot', root, '/bin/sh', script], { logFile, timeoutMs: 20 * 60_000 });

export async function buildImage(opts: BuildOptions): Promise<BuildResult> {
  const say = opts.say ?? (() => {});
  const cacheDir = path.resolve(opts.cacheDir ?? DEFAULT_CACHE);
  const outDir = path.resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  await mkdir(cacheDir, { recursive: true });
  const t0 = Date.now();
  let t = t0;
  const lap = () => {
    const s = (Date.now() - t) / 1000;
    t = Date.now();
    return s;
  };

  const deb = await buildDeb({ outDir, cacheDir, say });
  const tDeb = lap();
  const base = await ensureBase({ cacheDir, mirror: opts.mirror, rebuild: opts.rebuildBase, say });
  const tBase = lap();

  const work = path.join(outDir, `.work-${process.pid}`);
  const root = path.join(work, 'root');
  const logFile = path.join(outDir, 'build.log');
  await writeFile(logFile, '');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    say('root: copy of the base layer, the agent package, image settings');
    await run(['cp', '-a', base, root]);
    await rm(path.join(root, '.appliance-base-complete'), { force: true });
    const inside = path.join(root, 'tmp', 'appliance-image');
    await mkdir(inside, { recursive: true });
    await copyFile(deb.file, path.join(inside, `${DEB_NAME}.deb`));
    await copyFile(path.join(IMAGE_DIR, 'chroot', 'finish.sh'), path.join(inside, 'finish.sh'));
    await chroot(root, '/tmp/appliance-image/finish.sh', logFile);
    await run(['cp', '-a', '--no-preserve=ownership', `${path.join(IMAGE_DIR, 'rootfs')}/.`, root]);
    await installGrubFiles(root);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format
    const packages = await run(['chroot', root, 'dpkg-query', '-W', '-f', '${Package} ${Version}\n']);
    await rm(inside, { recursive: true, force: true });
    const kernel = (await readdir(path.join(root, 'lib', 'modules'))).sort().at(-1) ?? 'unknown';
    // what the boot loader loads must be there: /vmlinuz and /initrd.img resolve inside the root
    for (const link of ['vmlinuz', 'initrd.img']) {
      await stat(path.join(root, link)).catch(() => {
        throw new Error(`the root has no /${link} (a kernel or initrd missing from the base layer: --rebuild-base)`);
      });
    }
    const tRoot = lap();

    const raw = path.join(outDir, 'appliance.raw');
    const qcow2 = path.join(outDir, 'appliance.qcow2');
    const disk = await makeDisk({ root, raw, minSizeMiB: opts.minSizeMiB ?? 2048, workDir: work, say });
    const tDisk = lap();
    say('qcow2: compressed copy of the raw disk');
    await rm(qcow2, { force: true });
    await run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', '-c', '-W', '-m', '4', raw, qcow2], { timeoutMs: 20 * 60_000 });
    const tQcow2 = lap();
    const qcow2Bytes = (await stat(qcow2)).size;

    await writeFile(
      path.join(outDir, 'appliance.manifest'),
      [
        `agent package ${DEB_NAME} ${deb.version}`,
        `node ${NODE_VERSION}`,
        `kernel ${kernel}`,
        `kernel command line ${KERNEL_ARGS}`,
        `disk ${disk.sizeMiB} MiB virtual, ${disk.usedMiB} MiB of files, qcow2 ${qcow2Bytes} bytes`,
        'packages:',
        packages.trimEnd(),
        '',
      ].join('\n'),
    );
    const total = (Date.now() - t0) / 1000;
    say(`image: ${qcow2} (${(qcow2Bytes / 2 ** 20).toFixed(0)} MiB, ${disk.sizeMiB} MiB virtual) and ${raw}, in ${since(t0)} s`);
    return {
      raw,
      qcow2,
      deb: deb.file,
      debVersion: deb.version,
      kernel,
      virtualMiB: disk.sizeMiB,
      usedMiB: disk.usedMiB,
      qcow2Bytes,
      seconds: { deb: tDeb, base: tBase, root: tRoot, disk: tDisk, qcow2: tQcow2, total },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
