#!/usr/bin/env bash
# Installs the Debian packages that building, the demo and the tests use,
# skipping the apt round trip when everything is already there.
set -euo pipefail
packages=(make gcc libc6-dev clang busybox-static iproute2 iputils-ping runc crun hyperfine
  uidmap tmux qemu-system-x86 cpio xz-utils util-linux procps psmisc kmod file)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "system-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
