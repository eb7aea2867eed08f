#!/usr/bin/env bash
# The whole test suite, as `make test` / `./dev test` / .ci/run run it.
# Phases: typecheck, unit tests, native sanitizer/fuzz checks, integration tests
# as root on real containers, the cgroup v2 suite in a throwaway VM, and a final
# leak check. Prints "tests: N passed, M failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bun="$repo/node_modules/.bin/bun"
export OCI_TOOLS_BIN_DIR="$repo/dist/bin"
export OCI_TOOLS_NATIVE_DIR="$repo/dist/bin"
logdir=$(mktemp -d /tmp/oci-suite-logs.XXXXXX)
passed=0 failed=0 phase_failures=()

count_bun() { # adds a bun test log's totals
  local log=$1 p f
  p=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | tr -dc 0-9)
  f=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | tr -dc 0-9)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
}

phase() { # phase NAME COMMAND... : runs, tees to a log, records failure
  local name=$1; shift
  echo "=== $name"
  local log="$logdir/$name.log" start=$SECONDS
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  echo "=== $name: exit $status in $((SECONDS - start)) s"
  [ "$status" -eq 0 ] || phase_failures+=("$name")
  return 0
}

phase typecheck node_modules/.bin/tsc -p tsconfig.json
phase unit "$bun" test packages
count_bun "$logdir/unit.log"
if [ -f native/Makefile ] && grep -q '^asan:' native/Makefile; then
  phase native-asan make -s -C native asan
fi
if [ -f native/Makefile ] && grep -q '^fuzz-run:' native/Makefile && command -v clang >/dev/null; then
  phase native-fuzz make -s -C native fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
fi
if [ -d test/integration ] && ls test/integration/*.test.ts >/dev/null 2>&1; then
  phase integration "$bun" test --timeout 120000 test/integration
  count_bun "$logdir/integration.log"
fi
if [ -d test/v2 ] && ls test/v2/*.test.ts >/dev/null 2>&1; then
  # On a pure cgroup v2 host the v2 suite runs here; on a v1 or hybrid host (the
  # project machine) it runs in a throwaway VM with pure cgroup v2, through the
  # VM script that the workplace keeps beside the repository.
  vm="$repo/../shared/vm/run-in-vm.sh"
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    phase cgroup-v2 "$bun" test --timeout 300000 test/v2
  elif [ -f "$vm" ]; then
    phase cgroup-v2 bash "$vm" --timeout 900 --share "$repo" --workdir "$repo" \
      --env OCI_TOOLS_BIN_DIR --env OCI_TOOLS_NATIVE_DIR -- "$bun" test --timeout 300000 test/v2
  elif [ "${CI:-}" = true ]; then
    echo "=== cgroup-v2: this host is not cgroup v2 and $vm is missing"
    phase_failures+=("cgroup-v2(no-vm)")
    touch "$logdir/cgroup-v2.log"
  else
    echo "=== cgroup-v2: SKIPPED: this host is not cgroup v2 and there is no $vm to boot one"
    : > "$logdir/cgroup-v2.log"
    v2_optional=1
  fi
  count_bun "$logdir/cgroup-v2.log"
  # The v2 tests skip themselves where /sys/fs/cgroup is not cgroup2: in the VM
  # none may skip, and zero tests run (a VM that did not boot, a broken
  # detection) is a failure, not a pass.
  v2_pass=$(grep -Eo '^ *[0-9]+ pass$' "$logdir/cgroup-v2.log" | tail -1 | tr -dc 0-9)
  v2_skip=$(grep -Eo '^ *[0-9]+ skip$' "$logdir/cgroup-v2.log" | tail -1 | tr -dc 0-9)
  if [ -z "${v2_optional:-}" ] && { [ "${v2_pass:-0}" -eq 0 ] || [ "${v2_skip:-0}" -ne 0 ]; }; then
    echo "=== cgroup-v2: ${v2_pass:-0} tests passed and ${v2_skip:-0} skipped: the v2 suite did not really run"
    phase_failures+=("cgroup-v2(not-run)")
  fi
fi
phase leak-check "$bun" test/leak-check.ts

if ((${#phase_failures[@]})); then
  echo "failed phases: ${phase_failures[*]} (logs in $logdir)"
  [ "$failed" -gt 0 ] || failed=${#phase_failures[@]}
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && ((${#phase_failures[@]} == 0))
