#!/usr/bin/env bash
# Installs what `appliance image build` and the image test need on Debian 12:
# debootstrap, GRUB's BIOS modules and grub-mkimage (the image's boot loader
# is written from these, nothing of the host's own boot is touched), mke2fs,
# sfdisk, qemu-img; qemu, genisoimage and an SSH client for the test.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for pair in debootstrap:debootstrap grub-mkimage:grub-pc-bin grub-mkimage:grub2-common mke2fs:e2fsprogs sfdisk:fdisk \
  qemu-img:qemu-utils qemu-system-x86_64:qemu-system-x86 genisoimage:genisoimage ssh:openssh-client dpkg-deb:dpkg \
  unshare:util-linux; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ -d /usr/lib/grub/i386-pc ] || need+=(grub-pc-bin)
if [ ${#need[@]} -gt 0 ]; then
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] || apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
