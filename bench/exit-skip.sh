#!/bin/bash
# The monitor's container-exited skipped when the attached CLI handled the
# exit, measured against a build without it: `run --rm --network none
# busybox true`, paired rounds (bench/paired.mjs, bench/paired-cpu.mjs).
#   bench/exit-skip.sh BEFORE [ROUNDS=20]   (env BATCH=40 PAR=4 BATCHES=3: the batch part)
# BEFORE: another checkout of this repo, built (`make build`), e.g. from
# `git archive COMMIT | tar -x -C DIR` with node_modules copied. Two
# numbers per build: the wall time of the command as a user sees it, and
# the CPU of everything it started, container-exited included, which runs
# on after the CLI returned and which perf around the CLI alone counts only
# in part: test/helpers/orphans.py (a child subreaper) waits for all of it,
# and perf's task-clock covers it (plus python's own start, the same for
# both). Then batches of containers in parallel, where the CPU saved
# shows as time. Each build has its own store (the seccomp cache is per build).
# Needs root, perf; everything lives in one /var/tmp/mdk-test-bench-exitskip-* directory.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BEFORE=$(cd "$1" && pwd)
ROUNDS=${2:-20}
BATCH=${BATCH:-40} PAR=${PAR:-4} BATCHES=${BATCHES:-3}
W=$(mktemp -d /var/tmp/mdk-test-bench-exitskip-XXXXXX)
PY=$(command -v python3)
PY=$(readlink -f "$(pyenv which python3 2>/dev/null || echo "$PY")")
export MOBY_DICK_CGROUP_PARENT=mdk-test-bench-exitskip
cleanup() {
  set +e
  for b in before after; do
    r=$REPO; [ $b = before ] && r=$BEFORE
    MOBY_DICK_ROOT=$W/$b "$r/build/moby-dick" ps -aq --no-trunc 2>/dev/null | MOBY_DICK_ROOT=$W/$b xargs -r "$r/build/moby-dick" rm -f >/dev/null 2>&1
  done
  rm -rf "$W"
}
trap cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
node bench/lib/load-busybox.mjs "$W/image" "$W/before" "$W/after"
RUN="run --rm --network none busybox true"
B="env MOBY_DICK_ROOT=$W/before $BEFORE/build/moby-dick $RUN"
A="env MOBY_DICK_ROOT=$W/after $REPO/build/moby-dick $RUN"
$B && $A # the seccomp cache of each
echo "== the command alone (what a user waits for)"
node bench/paired-cpu.mjs "$ROUNDS" "before=$B" "after=$A"
echo "== everything it started, until the last of it ended (orphans.py)"
node bench/paired-cpu.mjs "$ROUNDS" "before=$PY $REPO/test/helpers/orphans.py $B" "after=$PY $REPO/test/helpers/orphans.py $A"
echo "== $BATCH containers, $PAR at a time (xargs -P), alternating, $BATCHES batches each: seconds per batch"
for i in $(seq "$BATCHES"); do
  for b in before after; do
    cmd=$A; [ $b = before ] && cmd=$B
    t0=$(date +%s.%N)
    failed=$(seq "$BATCH" | xargs -P "$PAR" -I{} sh -c "$cmd >/dev/null 2>>$W/errors-$b || echo failed" | wc -l)
    # the batch is over when its last container-exited is
    while pgrep -f "container-exited --root $W/$b" >/dev/null; do sleep 0.01; done
    echo "$b $(echo "$(date +%s.%N) - $t0" | bc) s, $failed failed"
  done
done
for b in before after; do [ -s "$W/errors-$b" ] && { echo "errors of $b:"; sort "$W/errors-$b" | uniq -c; }; done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
