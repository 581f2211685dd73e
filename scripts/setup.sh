#!/usr/bin/env bash
# Installs what the agent, the lab and the tests need on Debian 12: the
# daemons and tools from Debian's packages, the npm packages from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  iproute2 iptables dnsmasq-base bird conntrack iputils-arping iputils-ping \
  keepalived conntrackd isc-dhcp-client curl procps util-linux kmod ca-certificates \
  strongswan-swanctl charon-systemd libstrongswan-standard-plugins libcharon-extra-plugins >/dev/null
# the appliance image's build tools and its test's qemu (image/setup.sh)
bash image/setup.sh
npm ci --no-audit --no-fund --loglevel=error
# the production form of the agent: dist/appliance.mjs
npm run build --silent
