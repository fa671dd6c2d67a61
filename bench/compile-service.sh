#!/bin/bash
# create through the runtime's compile service, through Node, and with runc,
# alternating in every round (the machine is shared: read the ratios).
#   bench/compile-service.sh [ROUNDS=20] [BUNDLE=/tmp/anchors/bundle]
# Per create: wall ms (bash's clock around GNU time), the caller's CPU ms (user+sys of the runtime process
# and its children, GNU time) and its peak RSS (KiB); for the service path
# also the service's own CPU per create (its /proc/PID/stat before and after).
# Each container is deleted (--force) after its create, outside the timing.
# Root only; state roots under /work/tmp-bench-svc (removed at the end).
set -eu
ROUNDS=${1:-20}
B=${2:-/tmp/anchors/bundle}
RT=$(cd "$(dirname "$0")/.." && pwd)/build/moby-dick-runtime
W=/work/tmp-bench-svc.$$
mkdir -p "$W"
cleanup() {
  for id in $(ls "$W/svc" "$W/node" 2>/dev/null | grep -E '^(svc|node|warm)[0-9]'); do
    "$RT" --root "$W/svc" delete --force "$id" 2>/dev/null || MOBY_DICK_RUNTIME_NO_FAST=1 "$RT" --root "$W/node" delete --force "$id" 2>/dev/null || true
  done
  for id in $(runc --root "$W/runc" list -q 2>/dev/null); do runc --root "$W/runc" delete --force "$id"; done
  rm -rf "$W" # the service ends within a second of its socket going
}
trap cleanup EXIT
TICK=$(getconf CLK_TCK)
svc_cpu() { awk -v t="$TICK" '{ s = substr($0, index($0, ")") + 2); split(s, f, " "); print (f[12] + f[13]) * 1000 / t }' "/proc/$1/stat"; }
one() { # NAME CMD...: appends "wall cpu rss" to $W/NAME
  local name=$1; shift
  local t0=$EPOCHREALTIME
  /usr/bin/time -f '%U %S %M' -o "$W/t" "$@" </dev/null >/dev/null 2>&1
  local t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" '{ printf "%.2f %.2f %d\n", (b - a) * 1000, ($1 + $2) * 1000, $3 }' "$W/t" >> "$W/res-$name"
}
# the service, started by a first create (served by Node), then up
"$RT" --root "$W/svc" create --bundle "$B" warm$$ >/dev/null
for _ in $(seq 50); do [ -S "$W/svc/@compile/sock" ] && break; sleep 0.1; done
"$RT" --root "$W/svc" delete --force warm$$
SVC=$(cat "$W/svc/@compile/pid")
svc_total=0
for i in $(seq "$ROUNDS"); do
  before=$(svc_cpu "$SVC")
  one svc "$RT" --root "$W/svc" create --bundle "$B" "svc$$-$i"
  after=$(svc_cpu "$SVC")
  svc_total=$(awk -v a="$svc_total" -v b="$before" -v c="$after" 'BEGIN { print a + c - b }')
  "$RT" --root "$W/svc" delete --force "svc$$-$i"
  MOBY_DICK_RUNTIME_NO_FAST=1 one node "$RT" --root "$W/node" create --bundle "$B" "node$$-$i"
  "$RT" --root "$W/node" delete --force "node$$-$i"
  one runc runc --root "$W/runc" create --bundle "$B" "runc$$-$i"
  runc --root "$W/runc" delete --force "runc$$-$i"
done
med() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
printf '%-8s %10s %10s %12s\n' path 'wall ms' 'CPU ms' 'peak KiB'
for r in svc node runc; do
  printf '%-8s %10s %10s %12s\n' "$r" "$(cut -d" " -f1 "$W/res-$r" | med)" "$(cut -d" " -f2 "$W/res-$r" | med)" "$(cut -d" " -f3 "$W/res-$r" | med)"
done
echo "service CPU per create (mean): $(awk -v t="$svc_total" -v n="$ROUNDS" 'BEGIN { printf "%.1f", t / n }') ms (10 ms ticks); its RSS: $(awk '/VmRSS/ { print $2 }' "/proc/$SVC/status") KiB"
kill "$SVC" 2>/dev/null || true
