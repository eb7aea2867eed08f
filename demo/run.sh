#!/usr/bin/env bash
# The README's demo: the seed workflow end to end with the built tools.
#   1. a busybox root filesystem in a bundle
#   2. `oci-spec init` for the default config, patched with the seed's
#      runtime-spec 1.0.0-rc1 fragments (flat capability list, read-only root,
#      tmpfs /tmp, bind /data, RLIMIT_NOFILE, noNewPrivileges, netns by path)
#   3. a network namespace with a veth pair on a bridge (198.18.0.0/15 only)
#   4. `oci-run run` — the container prints what it sees; the host pings it
# Everything it makes is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/dist/bin
export PATH="$bin:$PATH"
work=$(mktemp -d /tmp/oci-tools-demo.XXXXXX)
bundle=$work/bundle
netns=oci-demo-$$
bridge=ocidemo$$
id=oci-demo-$$
root=$work/state

cleanup() {
  oci-run --root "$root" delete --force "$id" 2>/dev/null || true
  ip link del "$bridge" 2>/dev/null || true
  ip netns del "$netns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

bash scripts/busybox-rootfs.sh "$bundle/rootfs"
mkdir -p "$work/volume" "$work/hooks"
# The seed's three hooks: each appends what it saw (its argv and the state on stdin) to a log.
for h in prestart notify-start cleanup; do
  printf '#!/bin/sh\necho "%s: argv=$*  state=$(cat)" >> %s/hooks.log\n' "$h" "$work" > "$work/hooks/$h.sh"
  chmod +x "$work/hooks/$h.sh"
done
cp demo/inside.sh "$bundle/rootfs/inside.sh"

say "oci-spec init --terminal=false -- sh /inside.sh > config.json"
oci-spec init --terminal=false -- sh /inside.sh > "$bundle/config.json"
say "oci-spec patch -p seed-patch.json --bundle bundle --in-place   # the seed's rc1 fragments"
sed -e "s#VOLUME#$work/volume#" -e "s#NETNS#/var/run/netns/$netns#" -e "s#HOOKS#$work/hooks#g" demo/seed-patch.json > "$work/patch.json"
oci-spec patch -p "$work/patch.json" --bundle "$bundle" --in-place
say "oci-spec get /process/capabilities --bundle bundle   # rc1 flat list, as written"
oci-spec get /process/capabilities --bundle "$bundle" | tr -d '\n '; echo
say "oci-spec upgrade --bundle bundle | oci-spec get /process/capabilities   # what oci-run will apply"
oci-spec upgrade --bundle "$bundle" | oci-spec get /process/capabilities | tr -d '\n '; echo
say "oci-spec validate --bundle bundle"
oci-spec validate --bundle "$bundle" && echo valid

say "ip netns add $netns; bridge $bridge 198.18.0.1/24 <-> veth 198.18.0.2/24 in the netns"
ip netns add "$netns"
ip link add "$bridge" type bridge
ip addr add 198.18.0.1/24 dev "$bridge"
ip link set "$bridge" up
ip link add "v$$h" type veth peer name "v$$c"
ip link set "v$$h" master "$bridge" up
ip link set "v$$c" netns "$netns"
ip -n "$netns" addr add 198.18.0.2/24 dev "v$$c"
ip -n "$netns" link set "v$$c" up
ip -n "$netns" link set lo up

say "oci-run run --bundle bundle $id"
oci-run --root "$root" run --bundle "$bundle" "$id"
say "cat volume/hello.txt   # written by the container through the /data bind"
cat "$work/volume/hello.txt"
say "cat hooks.log   # prestart at create, poststart after start, poststop at delete"
cat "$work/hooks.log"

say "oci-run run -d …; ping the container's address; oci-run list; kill; delete"
oci-spec set /process/args '["sleep","30"]' --bundle "$bundle" --in-place
oci-run --root "$root" run -d --bundle "$bundle" "$id"
ping -c 2 -W 2 198.18.0.2
oci-run --root "$root" list
oci-run --root "$root" state "$id"; echo
oci-run --root "$root" kill "$id" KILL
for _ in $(seq 50); do [ "$(oci-run --root "$root" state "$id" | grep -o '"status": "[a-z]*"')" = '"status": "stopped"' ] && break; sleep 0.1; done
oci-run --root "$root" delete "$id"
echo; echo "demo done: everything it made is being removed"
