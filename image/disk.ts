// The disk: one MBR partition holding an ext4 file system made straight
// from the root directory (mke2fs -d, no mount), and GRUB for BIOS boot in
// the MBR and the gap before the partition, written the way grub-bios-setup
// writes them (no loop device: the build needs no block device at all).
import { open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, type Say } from './run.ts';

export const ROOT_LABEL = 'approot';
const GRUB_DIR = '/usr/lib/grub/i386-pc';
const SECTOR = 512;
const PART_START = 2048; // sectors: 1 MiB, the usual alignment and room for GRUB's core image
/** The kernel command line of the image: serial console first (the cloud's console log), the reference's virtio_net.gso=0. */
export const KERNEL_ARGS = `root=LABEL=${ROOT_LABEL} ro console=tty0 console=ttyS0,115200n8 virtio_net.gso=0 net.ifnames=0 biosdevname=0`;

export function grubCfg(): string {
  return `# Router appliance boot loader configuration (written by the image build).
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
set default=0
menuentry 'Router appliance (Debian 12)' {
  search --no-floppy --label --set=root ${ROOT_LABEL}
  linux /vmlinuz ${KERNEL_ARGS}
  initrd /initrd.img
}
`;
}

/** Copies GRUB's modules into the root and writes its configuration (the modules must match grub-mkimage's core). */
export async function installGrubFiles(root: string): Promise<void> {
  const dir = path.join(root, 'boot', 'grub');
  await run(['mkdir', '-p', path.join(dir, 'i386-pc')]);
  await run(['cp', '-r', `${GRUB_DIR}/.`, path.join(dir, 'i386-pc')]);
  await writeFile(path.join(dir, 'grub.cfg'), grubCfg());
}

export interface DiskOptions {
  root: string;
  raw: string;
  /** the least virtual size of the disk in MiB; grown to fit the root with room to spare */
  minSizeMiB: number;
  workDir: string;
  say: Say;
}

export async function makeDisk(opts: DiskOptions): Promise<{ sizeMiB: number; usedMiB: number }> {
  const usedKiB = Number((await run(['du', '-sk', '--one-file-system', opts.root])).split(/\s/)[0]);
  const usedMiB = Math.ceil(usedKiB / 1024);
  const fsMiB = Math.max(opts.minSizeMiB - 1, Math.ceil((usedMiB * 1.3 + 256) / 64) * 64);
  const sizeMiB = fsMiB + 1;
  await rm(opts.raw, { force: true });
  await writeFile(opts.raw, '');
  await truncate(opts.raw, sizeMiB * 1024 * 1024);
  await run(['sfdisk', '--quiet', '--no-reread', '--no-tell-kernel', opts.raw], {
    input: `label: dos\nstart=${PART_START}, type=83, bootable\n`,
  });
  opts.say(`disk: ext4 of ${fsMiB} MiB from ${usedMiB} MiB of files`);
  await run([
    'mke2fs',
    '-q',
    '-t',
    'ext4',
    '-L',
    ROOT_LABEL,
    // features GRUB 2.06 reads
    '-O',
    '^metadata_csum_seed,^orphan_file',
    '-E',
    `offset=${PART_START * SECTOR},nodiscard`,
    '-d',
    opts.root,
    opts.raw,
    `${fsMiB * 1024}k`,
  ]);
  await installBootLoader(opts.raw, opts.workDir);
  return { sizeMiB, usedMiB };
}

/**
 * GRUB for BIOS: its core image (with the disk, MBR and ext4 drivers) in the
 * sectors after the MBR, and its boot sector in the MBR, keeping the partition
 * table. grub-mkimage already fills the core's block list for a core that
 * starts at sector 1 (sector 2 onwards after its first sector); the boot
 * sector's default core location is sector 1.
 */
async function installBootLoader(raw: string, workDir: string): Promise<void> {
  const core = path.join(workDir, 'core.img');
  await run([
    'grub-mkimage',
    '--format=i386-pc',
    `--directory=${GRUB_DIR}`,
    `--output=${core}`,
    '--prefix=(hd0,msdos1)/boot/grub',
    'biosdisk',
    'part_msdos',
    'ext2',
    'search_label',
  ]);
  const coreImg = await readFile(core);
  if (coreImg.length > (PART_START - 1) * SECTOR)
    throw new Error(`GRUB's core image (${coreImg.length} bytes) does not fit before the partition`);
  const bootImg = await readFile(path.join(GRUB_DIR, 'boot.img'));
  if (bootImg.length !== SECTOR) throw new Error(`unexpected ${GRUB_DIR}/boot.img size ${bootImg.length}`);
  const fh = await open(raw, 'r+');
  try {
    const mbr = Buffer.alloc(SECTOR);
    await fh.read(mbr, 0, SECTOR, 0);
    // GRUB's code up to the disk signature; the partition table and 0x55AA stay
    const sector = Buffer.concat([bootImg.subarray(0, 0x1b8), mbr.subarray(0x1b8)]);
    // the core's first sector (64-bit LBA at 0x5c) is 1, as in boot.img
    sector.writeBigUInt64LE(1n, 0x5c);
    // a hard disk: the drive check's jump becomes two NOPs (as grub-bios-setup does), so a
    // BIOS that passes a floppy drive number still reads this disk
    if (sector[0x66] === 0xeb) sector.fill(0x90, 0x66, 0x68);
    await fh.write(sector, 0, SECTOR, 0);
    await fh.write(coreImg, 0, coreImg.length, SECTOR);
  } finally {
    await fh.close();
  }
}
