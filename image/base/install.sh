#!/bin/sh
# Runs inside the new base root (chroot, in a private mount namespace that the
# build creates, so the mounts below vanish with it): installs packages.txt
# with the settings the initrd and the kernel's links depend on.
# With packages.txt, this file is the key of the cached base layer.
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys

# nothing starts inside the build
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d

# /vmlinuz and /initrd.img follow the installed kernel: the boot loader's
# configuration names them, so a kernel upgrade inside the VM still boots
printf 'do_symlinks = yes\nlink_in_boot = no\n' >/etc/kernel-img.conf
# an initrd that finds the root on any virtio, SCSI or NVMe disk of a cloud
mkdir -p /etc/initramfs-tools/conf.d
printf 'MODULES=most\nCOMPRESS=zstd\n' >/etc/initramfs-tools/conf.d/appliance.conf

apt_opts='-o Dpkg::Options::=--force-unsafe-io -o Acquire::Retries=3 -o APT::Install-Recommends=false'
# shellcheck disable=SC2086
apt-get $apt_opts update -qq
# the kernel's own hook makes no initrd (INITRD=No): one is made below, once
# shellcheck disable=SC2046,SC2086
INITRD=No apt-get $apt_opts install -y -qq $(sed 's/#.*//' /tmp/appliance-base/packages.txt)
for version in $(ls /lib/modules); do
  [ -e "/boot/initrd.img-$version" ] || update-initramfs -c -k "$version"
  # /vmlinuz and /initrd.img, now that the initrd exists
  linux-update-symlinks install "$version" "/boot/vmlinuz-$version"
done
test -e /initrd.img && test -e /vmlinuz
apt-get clean
rm -f /usr/sbin/policy-rc.d
