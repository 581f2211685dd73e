#!/bin/sh
# Runs inside a copy of the base root (chroot, private mount namespace) on
# every image build: installs the agent's package and makes the image
# anonymous (no host keys, no machine id, no logins).
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d

dpkg -i /tmp/appliance-image/appliance-agent.deb

# no password login anywhere: root is locked, users come from the user data
usermod -p '*' root
# made at first boot: SSH host keys (cloud-init), the machine id (systemd)
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
# UTC
ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime
echo Etc/UTC >/etc/timezone
# the image is replaced, not upgraded in place: no periodic apt runs
systemctl disable apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || true
# a persistent journal
mkdir -p /var/log/journal
# nothing of the build stays
rm -f /usr/sbin/policy-rc.d
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/lib/dpkg/*-old /var/log/apt/* /var/log/dpkg.log
rm -rf /var/lib/cloud/*
