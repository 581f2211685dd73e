// `appliance image build|deb`: loaded lazily by runtime/cli.ts.
import { parseArgs } from 'node:util';
import { buildImage, DEFAULT_CACHE } from './build.ts';
import { buildDeb } from './deb.ts';

export const IMAGE_USAGE = `  appliance image build --out DIR [--cache DIR] [--mirror URL] [--rebuild-base] [--size MIB]
  appliance image deb --out DIR [--cache DIR]
`;

export async function imageCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      out: { type: 'string' },
      cache: { type: 'string', default: process.env.APPLIANCE_IMAGE_CACHE ?? DEFAULT_CACHE },
      mirror: { type: 'string' },
      'rebuild-base': { type: 'boolean', default: false },
      size: { type: 'string' },
    },
  });
  const say = (line: string) => process.stderr.write(`image: ${line}\n`);
  const size = values.size === undefined ? undefined : Number(values.size);
  if ((sub !== 'build' && sub !== 'deb') || !values.out || (size !== undefined && !(Number.isInteger(size) && size >= 512))) {
    process.stderr.write(`usage:\n${IMAGE_USAGE}`);
    return 2;
  }
  if (sub === 'deb') {
    const deb = await buildDeb({ outDir: values.out, cacheDir: values.cache, say });
    process.stdout.write(`${deb.file}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('appliance image build: needs root (debootstrap and chroot)\n');
    return 1;
  }
  const r = await buildImage({
    outDir: values.out,
    cacheDir: values.cache,
    mirror: values.mirror,
    rebuildBase: values['rebuild-base'],
    minSizeMiB: size,
    say,
  });
  process.stdout.write(`${JSON.stringify({ qcow2: r.qcow2, raw: r.raw, deb: r.deb, kernel: r.kernel, seconds: r.seconds }, null, 1)}\n`);
  return 0;
}
