#!/bin/bash
# The engine's start-up alone, paired and with CPU times: `run --rm busybox
# true` from the CLI's startup snapshot (build/moby-dick, the launcher) and
# from the bundle (node build/moby-dick.cjs), next to `node -e 0`; and the
# commands that start from the bundle either way (--version, run --rootfs),
# through the launcher and without it.
#   bench/engine-start.sh [ROUNDS=30]
# Needs root, `make build` (it imports build/tsc/test/helpers), umoci, skopeo
# and perf. Everything it makes lives under one /var/tmp/mdk-test-bench-start-*
# directory (a store with the busybox test image, a rootfs), removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ROUNDS=${1:-30}
W=$(mktemp -d /var/tmp/mdk-test-bench-start-XXXXXX)
MDK="$REPO/build/moby-dick"
export MOBY_DICK_ROOT=$W/mdk MOBY_DICK_CGROUP_PARENT=mdk-test-bench-start
cleanup() {
  set +e
  "$MDK" ps -aq --no-trunc 2>/dev/null | xargs -r "$MDK" rm -f >/dev/null 2>&1
  rm -rf "$W"
}
trap cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
node bench/lib/load-busybox.mjs "$W/image" "$MOBY_DICK_ROOT"
R=$W/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/etc"
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/true"
"$MDK" run --rm busybox true
node bench/paired-cpu.mjs "$ROUNDS" \
  "node -e 0=node -e 0" \
  "run (snapshot)=$MDK run --rm busybox true" \
  "run (bundle)=node $REPO/build/moby-dick.cjs run --rm busybox true" \
  "--version=$MDK --version" \
  "--version (cjs)=node $REPO/build/moby-dick.cjs --version" \
  "jail=$MDK run --rootfs $R /bin/true" \
  "jail (cjs)=node $REPO/build/moby-dick.cjs run --rootfs $R /bin/true"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
