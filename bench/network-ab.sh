#!/bin/bash
# Two builds side by side: `run --rm busybox true` on the default bridge and
# with --network none, from build/ (this tree) and from OTHER_BUILD (e.g. a
# copy of build/ made before a change), in paired rounds with wall and CPU
# time (bench/paired-cpu.mjs). Both use one private store with the busybox
# test image and networks of their own name (interfaces mdkbNNNN*, removed at
# the end by `network prune`), so only the builds differ.
#   bench/network-ab.sh OTHER_BUILD [ROUNDS=20]
# Needs root, `make build` (it imports build/tsc/test/helpers), umoci, skopeo
# and perf. Everything it makes lives under one /var/tmp/mdk-test-bench-ab-*
# directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OTHER=$(cd "${1:?usage: bench/network-ab.sh OTHER_BUILD [ROUNDS]}" && pwd)
ROUNDS=${2:-20}
W=$(mktemp -d /var/tmp/mdk-test-bench-ab-XXXXXX)
MDK="$REPO/build/moby-dick"
export MOBY_DICK_ROOT=$W/mdk MOBY_DICK_CGROUP_PARENT=mdk-test-bench-ab
export MOBY_DICK_NET_PREFIX=mdkb$((RANDOM % 10000))
cleanup() {
  set +e
  "$MDK" ps -aq --no-trunc 2>/dev/null | xargs -r "$MDK" rm -f >/dev/null 2>&1
  "$MDK" network prune -f >/dev/null 2>&1
  rm -rf "$W"
}
trap cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
node bench/lib/load-busybox.mjs "$W/image" "$MOBY_DICK_ROOT"
for m in "$MDK" "$OTHER/moby-dick"; do "$m" run --rm busybox true; "$m" run --rm --network none busybox true; done
PAIRED_CPU_DIFF=1 node bench/paired-cpu.mjs "$ROUNDS" \
  "this bridge=$MDK run --rm busybox true" \
  "other bridge=$OTHER/moby-dick run --rm busybox true" \
  "this none=$MDK run --rm --network none busybox true" \
  "other none=$OTHER/moby-dick run --rm --network none busybox true"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
