#!/usr/bin/env bash
# Times oci-spec as whole processes next to `runc spec` (and `crun spec` when
# installed) in the same hyperfine run, then prints medians and ratios.
#   - init:     `oci-spec init` (stdout) and `oci-spec init --bundle` (writes a
#               file, as `runc spec` does) vs `runc spec --bundle`
#   - validate: `oci-spec validate` of a typical config (runc's default plus a
#               few mounts, a hook and an rlimit) vs the same `runc spec`
# Targets (issue 2): both at most 2x `runc spec`.
#
# Uses the compiled binary: $OCI_TOOLS_BIN_DIR/oci-spec, default dist/bin (make build).
# Usage: bench/spec.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runs=200
[ "${1:-}" = "--runs" ] && runs=$2

bin_dir=${OCI_TOOLS_BIN_DIR:-$repo/dist/bin}
oci_spec=$bin_dir/oci-spec
[ -x "$oci_spec" ] || { echo "bench/spec.sh: $oci_spec not found; run 'make build' or set OCI_TOOLS_BIN_DIR" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench/spec.sh: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
runc=$(command -v runc) || { echo "bench/spec.sh: runc is not installed (apt-get install runc)" >&2; exit 1; }
crun=$(command -v crun || true)

work=$(mktemp -d /tmp/oci-spec-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/runc" "$work/crun" "$work/ours"

# The typical config: runc's default plus what a real workload adds.
"$oci_spec" init --terminal=false -- /bin/sh -c 'exec app' \
  | "$oci_spec" patch '[
      {"op":"add","path":"/mounts/-","value":{"destination":"/data","type":"bind","source":"/srv/data","options":["rbind","rw"]}},
      {"op":"add","path":"/mounts/-","value":{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","mode=1777","size=65536k"]}},
      {"op":"add","path":"/mounts/-","value":{"destination":"/etc/resolv.conf","type":"bind","source":"/etc/resolv.conf","options":["rbind","ro"]}},
      {"op":"add","path":"/hooks","value":{"prestart":[{"path":"/usr/bin/netns-hook","args":["netns-hook","up"],"timeout":5}]}},
      {"op":"add","path":"/process/rlimits/-","value":{"type":"RLIMIT_NPROC","soft":4096,"hard":4096}}
    ]' > "$work/typical.json"
"$oci_spec" validate "$work/typical.json"

cmds=(
  "$runc spec --bundle $work/runc"
  "$oci_spec init"
  "$oci_spec init --bundle $work/ours"
  "$oci_spec validate $work/typical.json"
)
names=("runc spec" "oci-spec init" "oci-spec init --bundle" "oci-spec validate")
if [ -n "$crun" ]; then
  cmds+=("$crun spec --bundle $work/crun")
  names+=("crun spec")
fi
args=()
for i in "${!cmds[@]}"; do args+=(--command-name "${names[$i]}" "${cmds[$i]}"); done

hyperfine -N --warmup 20 --runs "$runs" \
  --prepare "rm -f $work/runc/config.json $work/crun/config.json $work/ours/config.json" \
  --export-json "$work/result.json" "${args[@]}" >&2

echo
# Wall-clock medians decide the targets; CPU time (user+sys, mean) is shown as
# well because it is steadier when other work shares the machine.
jq -r '
  def ms: (. * 1000 * 100 | round) / 100;
  def pad(n): tostring | (" " * (n - length)) + .;
  (.results | map({key: .command, value: .}) | from_entries) as $r
  | $r["runc spec"] as $runc
  | "command                    median  vs runc     cpu  vs runc",
    (.results[] | "\(.command | . + " " * (24 - length)) \(.median | ms | pad(6)) ms \(.median / $runc.median | . * 100 | round / 100 | pad(6))x \(.user + .system | ms | pad(5)) ms \((.user + .system) / ($runc.user + $runc.system) | . * 100 | round / 100 | pad(5))x"),
    "",
    (["oci-spec init", "oci-spec validate"][] as $c
     | ($r[$c].median / $runc.median) as $ratio
     | "target: \($c) <= 2x runc spec (median): \(if $ratio <= 2 then "met" else "MISSED" end) (\($ratio * 100 | round / 100)x)")
' "$work/result.json"
