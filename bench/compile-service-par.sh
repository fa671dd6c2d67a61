#!/bin/bash
# 20 creates at once through the compile service, through Node and with runc,
# 3 rounds alternating; prints the wall ms of each whole batch (bash clock).
#   bench/compile-service-par.sh   (root; state roots under /work/tmp-bench-par.PID)
RT=$(cd "$(dirname "$0")/.." && pwd)/build/moby-dick-runtime; B=${BUNDLE:-/tmp/anchors/bundle}; W=/work/tmp-bench-par.$$
rm -rf $W; mkdir -p $W
$RT --root $W/svc create --bundle $B warm >/dev/null; for i in $(seq 50); do [ -S $W/svc/@compile/sock ] && break; sleep 0.1; done; $RT --root $W/svc delete -f warm
batch() { # NAME ENV CMD ROOT
  local name=$1 envv=$2 cmd=$3 root=$4 t0=$EPOCHREALTIME pids=""
  for i in $(seq 20); do env $envv $cmd --root $root create --bundle $B p$r-$i </dev/null >/dev/null 2>&1 & pids="$pids $!"; done
  wait $pids; local t1=$EPOCHREALTIME
  echo "$name $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f", (b-a)*1000}')"
  for i in $(seq 20); do env $envv $cmd --root $root delete --force p$r-$i >/dev/null 2>&1; done
}
for r in 1 2 3; do
  batch svc X=1 $RT $W/svc
  batch node MOBY_DICK_RUNTIME_NO_FAST=1 $RT $W/node
  batch runc X=1 runc $W/runc
done
kill $(cat $W/svc/@compile/pid); rm -rf $W
