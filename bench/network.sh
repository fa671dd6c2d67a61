#!/bin/bash
# Networking's cost: `run --rm busybox true` on moby-dick's default bridge
# against --network none (the cost of the network setup), and against
# Docker and Podman with their default networks and with none, in paired
# rounds; then the time from `run -d -p 127.0.0.1:PORT:80 ... httpd` until
# the port answers on 127.0.0.1, for each engine.
#
# Private engines (bench/lib/engines.sh): dockerd has a bridge of its own
# and no iptables rules, so its published ports go through docker-proxy
# (--userland-proxy, its default); Podman's default network is netavark's
# podman0 with its iptables rules (on the host, shared with other Podmans;
# its own network config dir). moby-dick's bridge and nftables table are
# named mdkb* and removed at the end (network prune).
# Needs root, `make build`, hyperfine, jq, curl, podman, dockerd, skopeo,
# umoci, docker-registry. Usage: bench/network.sh [ROUNDS=20] [PORT_RUNS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ROUNDS=${1:-20}
PORT_RUNS=${2:-10}
W=$(mktemp -d /var/tmp/mdk-test-bench-network-XXXXXX)
. bench/lib/engines.sh
trap engines_cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
engines_image
engines_podman
DOCKERD_ARGS="--userland-proxy=true" engines_docker
PP="--cgroup-parent /mdk-test-bench-podman"

names=(moby-dick-bridge moby-dick-none docker-default docker-none podman-default podman-none)
cmds=("$MDK run --rm busybox true" "$MDK run --rm --network none busybox true"
      "$DOCKER run --rm busybox true" "$DOCKER run --rm --network none busybox true"
      "$PODMAN run --rm $PP busybox true" "$PODMAN run --rm --network none $PP busybox true")
for c in "${cmds[@]}"; do $c || { echo "FAILED: $c"; exit 1; }; done
echo "== run --rm busybox true: $ROUNDS paired rounds"
paired_rounds "$ROUNDS"

echo "== run -d -p 127.0.0.1:PORT:80 busybox httpd, until the port answers on 127.0.0.1 ($PORT_RUNS runs each, ms)"
until_answers() { # NAME PORT ENGINE-ARGS...
  local name=$1 port=$2 t0 t1 id; shift 2
  t0=$(date +%s%N)
  id=$("$@" run -d -p 127.0.0.1:$port:80 busybox sh -c 'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www')
  for _ in $(seq 2000); do curl -fsS -m 1 "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.005; done
  t1=$(date +%s%N)
  curl -fsS -m 1 "http://127.0.0.1:$port/" >/dev/null || { echo "$name: port $port never answered"; exit 1; }
  echo "$name $(( (t1 - t0) / 1000000 ))" >> "$W/ports"
  "$@" rm -f $([ "$name" = podman ] && echo "-t 0") "$id" >/dev/null
}
: > "$W/ports"
for r in $(seq "$PORT_RUNS"); do
  until_answers moby-dick 18500 "$MDK"
  until_answers docker 18501 $DOCKER
  until_answers podman 18502 $PODMAN
done
node --input-type=module - "$W/ports" <<'JS'
import { readFileSync } from 'node:fs';
const by = {};
for (const l of readFileSync(process.argv[2], 'utf8').trim().split('\n')) { const [n, t] = l.split(' '); (by[n] ??= []).push(Number(t)); }
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
for (const [n, xs] of Object.entries(by)) console.log(`${n.padEnd(10)} median ${med(xs)} ms  (min ${Math.min(...xs)}, max ${Math.max(...xs)})  moby-dick / it ${(med(by['moby-dick']) / med(xs)).toFixed(3)}`);
JS
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
