#!/bin/bash
# The kernel's floor for a container, as runc pays it: COUNT runs of
# `runc run` of busybox's true (a plain directory as root, no overlay; runc's
# default spec, plus a cgroup namespace: new pid, mount, ipc, uts, network and
# cgroup namespaces, a cgroup in
# every v1 hierarchy, masked paths, no seccomp), CONCURRENCY at once.
# Prints containers/s and the CPU of every process per container
# (perf stat: task-clock, user, system). Run it under the integration lock.
#   flock /work/integration.lock bench/runc-floor.sh [COUNT=100] [CONCURRENCY=1]
# Everything lives under one /var/tmp/mdk-test-bench-runc-* directory, removed at the end.
set -euo pipefail
n=${1:-100}
c=${2:-1}
work=$(mktemp -d /var/tmp/mdk-test-bench-runc-XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/bundle/rootfs
mkdir -p "$root"/{bin,proc,dev,sys,tmp,etc} "$work/state"
cp /bin/busybox "$root/bin/"
ln -s busybox "$root/bin/true"
(cd "$work/bundle" && runc spec)
node -e '
  const f = process.argv[1], s = JSON.parse(require("fs").readFileSync(f, "utf8"));
  s.process.terminal = false; s.process.args = ["/bin/true"];
  s.linux.namespaces.push({ type: "cgroup" }); // as an engine container has (runc spec gives pid, network, ipc, uts, mount)
  require("fs").writeFileSync(f, JSON.stringify(s));
' "$work/bundle/config.json"
run() { seq "$1" | xargs -P "$c" -I{} runc --root "$work/state" run --bundle "$work/bundle" "mdk-test-bench-runc-$2-{}" >/dev/null; }
run 10 warm
t0=$(date +%s.%N)
perf stat -x, -e task-clock,user_time,system_time -o "$work/perf.txt" -- bash -c "$(declare -f run); work=$work c=$c; run $n m"
t1=$(date +%s.%N)
node -e '
  const [n, c, t0, t1, file] = process.argv.slice(1);
  const lines = require("fs").readFileSync(file, "utf8").split("\n");
  const v = (e) => Number(lines.find((l) => l.split(",")[2] === e)?.split(",")[0]);
  const s = Number(t1) - Number(t0);
  console.log(`runc: ${n} containers, ${c} at once: ${s.toFixed(2)} s, ${(n / s).toFixed(1)} containers/s`);
  console.log(`CPU of every process: ${(v("task-clock") / n).toFixed(1)} ms a container (user ${(v("user_time") / 1e6 / n).toFixed(1)}, system ${(v("system_time") / 1e6 / n).toFixed(1)})`);
' "$n" "$c" "$t0" "$t1" "$work/perf.txt"
