// The base layer of the image: debootstrap (minbase) plus the packages of
// base/packages.txt, cached as a directory keyed on that list and on the
// script that installs it.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_DIR, run, type Say, since } from './run.ts';

export const SUITE = 'bookworm';
const BASE_DIR = path.join(IMAGE_DIR, 'base');
const COMPLETE = '.appliance-base-complete';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** The Debian 12 main entries of apt source files (deb822 .sources and one-line .list). */
export function parseAptSources(files: { name: string; text: string }[]): AptSource[] {
  const out: AptSource[] = [];
  for (const { name, text } of files) {
    if (name.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (key: string) => new RegExp(`^${key}:[ \\t]*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
        if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(stanza)) continue;
        for (const uri of field('URIs')) out.push({ uri, suites: field('Suites'), components: field('Components') });
      }
    } else if (name.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
        if (m) out.push({ uri: m[1] as string, suites: [m[2] as string], components: (m[3] as string).split(/\s+/) });
      }
    }
  }
  return out
    .map((s) => ({ ...s, suites: s.suites.filter((x) => x === SUITE || x.startsWith(`${SUITE}-`)) }))
    .filter((s) => s.suites.length > 0 && s.components.includes('main'))
    .map((s) => ({ ...s, components: ['main'] }));
}

/** This machine's Debian 12 apt sources. */
export async function hostAptSources(): Promise<AptSource[]> {
  const names: string[] = ['/etc/apt/sources.list'];
  for (const f of await readdir('/etc/apt/sources.list.d').catch(() => [] as string[])) names.push(path.join('/etc/apt/sources.list.d', f));
  return parseAptSources(await Promise.all(names.map(async (name) => ({ name, text: await readFile(name, 'utf8').catch(() => '') }))));
}

/** The image's apt sources: the given mirror, else this machine's Debian 12 sources. */
export async function imageAptSources(mirror?: string): Promise<AptSource[]> {
  const host = await hostAptSources();
  if (mirror) {
    const security = host.filter((s) => s.suites.some((x) => x.endsWith('-security')));
    return [{ uri: mirror, suites: [SUITE, `${SUITE}-updates`], components: ['main'] }, ...security];
  }
  if (!host.some((s) => s.suites.includes(SUITE))) throw new Error(`no apt source for ${SUITE} on this machine: pass --mirror URL`);
  return host;
}

export function sourcesList(sources: AptSource[]): string {
  return `${sources.flatMap((s) => s.suites.map((suite) => `deb ${s.uri} ${suite} ${s.components.join(' ')}`)).join('\n')}\n`;
}

/** The cache key: the package list and the script that installs it. */
export async function baseKey(): Promise<string> {
  const h = createHash('sha256').update(`${SUITE} amd64 minbase\n`);
  for (const f of ['packages.txt', 'install.sh']) h.update(await readFile(path.join(BASE_DIR, f)));
  return h.digest('hex').slice(0, 16);
}

export interface BaseOptions {
  cacheDir: string;
  mirror?: string;
  rebuild?: boolean;
  say: Say;
}

/** The cached base root for the current package list, built when missing. */
export async function ensureBase(opts: BaseOptions): Promise<string> {
  const key = await baseKey();
  const dir = path.join(opts.cacheDir, `base-${key}`);
  if (!opts.rebuild && existsSync(path.join(dir, COMPLETE))) {
    opts.say(`base layer ${key}: cached in ${dir}`);
    return dir;
  }
  const t0 = Date.now();
  await mkdir(opts.cacheDir, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  const logFile = `${dir}.log`;
  await rm(tmp, { recursive: true, force: true });
  await writeFile(logFile, '');
  const sources = await imageAptSources(opts.mirror);
  const main = sources.find((s) => s.suites.includes(SUITE)) as AptSource;
  opts.say(`base layer ${key}: debootstrap ${SUITE} (minbase) from ${main.uri}; log in ${logFile}`);
  try {
    await buildBase(tmp, sources, main, logFile);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await writeFile(path.join(tmp, COMPLETE), `${new Date().toISOString()}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  // older bases are of no further use
  for (const name of await readdir(opts.cacheDir)) {
    if (name.startsWith('base-') && !name.startsWith(`base-${key}`))
      await rm(path.join(opts.cacheDir, name), { recursive: true, force: true });
  }
  opts.say(`base layer ${key}: built in ${since(t0)} s`);
  return dir;
}

async function buildBase(tmp: string, sources: AptSource[], main: AptSource, logFile: string): Promise<void> {
  await run(
    ['unshare', '--mount', '--propagation', 'private', '--', 'debootstrap', '--variant=minbase', '--arch=amd64', SUITE, tmp, main.uri],
    { logFile, timeoutMs: 20 * 60_000 },
  );
  await writeFile(path.join(tmp, 'etc', 'apt', 'sources.list'), sourcesList(sources));
  // name resolution for apt inside the root during the build only
  await rm(path.join(tmp, 'etc', 'resolv.conf'), { force: true });
  await copyFile('/etc/resolv.conf', path.join(tmp, 'etc', 'resolv.conf'));
  const work = path.join(tmp, 'tmp', 'appliance-base');
  await mkdir(work, { recursive: true });
  for (const f of ['packages.txt', 'install.sh']) await copyFile(path.join(BASE_DIR, f), path.join(work, f));
  await run(['unshare', '--mount', '--propagation', 'private', '--', 'chroot', tmp, '/bin/sh', '/tmp/appliance-base/install.sh'], {
    logFile,
    timeoutMs: 30 * 60_000,
  });
  await rm(work, { recursive: true, force: true });
  await rm(path.join(tmp, 'etc', 'resolv.conf'), { force: true });
}
