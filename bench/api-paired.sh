#!/bin/bash
# 100 containers created and removed through the API (dockerode, one after
# the other), paired, shuffled rounds: a reference build's service (REF, e.g.
# main's build/moby-dick), this build's, and a private dockerd 20.10; the
# client's ms per 100 and each server's CPU (dockerd alone, not containerd).
# Private engines as bench/api.sh (bench/lib/engines.sh). Run it under the
# integration lock. Usage: bench/api-paired.sh REF [ROUNDS=5]
cd "$(dirname "$0")/.."
REPO=$PWD
REF=${1:?usage: bench/api-paired.sh REFERENCE_MOBY_DICK [ROUNDS=5]}
ROUNDS=${2:-5}
W=$(mktemp -d /var/tmp/mdk-test-bench-api-paired-XXXXXX)
. $REPO/bench/lib/engines.sh
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; sleep 1; engines_cleanup; }
trap cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
engines_image
engines_docker
"$REF" system service --host "unix://$W/ref.sock" --timeout 0 2>"$W/ref.log" & PIDS+=($!)
$REPO/build/moby-dick system service --host "unix://$W/this.sock" --timeout 0 2>"$W/this.log" & PIDS+=($!)
for _ in $(seq 100); do [ -S "$W/ref.sock" ] && [ -S "$W/this.sock" ] && break; sleep 0.1; done
DPID=$(cat $D/dockerd.pid)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
declare -A pid=([ref]=${PIDS[0]} [this]=${PIDS[1]} [dockerd]=$DPID) sock=([ref]=$W/ref.sock [this]=$W/this.sock [dockerd]=$D/docker.sock)
for e in ref this dockerd; do node $REPO/bench/lib/api-hundred.mjs ${sock[$e]} 20 >/dev/null; done
for r in $(seq $ROUNDS); do
  for e in $(shuf -e ref this dockerd); do
    c0=$(cpu ${pid[$e]}); t0=$(date +%s%N)
    out=$(node $REPO/bench/lib/api-hundred.mjs ${sock[$e]} 100)
    t1=$(date +%s%N); c1=$(cpu ${pid[$e]})
    echo "$e $(( (t1-t0)/1000000 )) $(( (c1-c0)*10 )) $out"
  done
done | tee $W/res
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
const by = {}; for (const r of rows) (by[r[0]] ??= []).push([Number(r[1]), Number(r[2])]);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const d = med(by.dockerd.map((x) => x[0]));
for (const [e, xs] of Object.entries(by)) console.log(`${e.padEnd(8)} median ${med(xs.map((x) => x[0]))} ms per 100 (ratio to dockerd ${(med(xs.map((x) => x[0])) / d).toFixed(2)}), server CPU median ${med(xs.map((x) => x[1]))} ms per 100 (dockerd alone, not containerd)`);
' $W/res
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
