#!/usr/bin/env bash
# `make bench`: every benchmark, each side by side with runc (and crun) in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
export OCI_TOOLS_BIN_DIR=${OCI_TOOLS_BIN_DIR:-$PWD/dist/bin}
echo "== oci-spec vs runc spec"
bash bench/spec.sh "$@"
echo
echo "== lifecycle: oci-run vs runc vs crun"
node_modules/.bin/bun bench/lifecycle.ts "$@"
