#!/bin/bash
# The Engine API: the same docker CLI (Debian's 20.10) against moby-dick's
# service and against dockerd 20.10: `docker run --rm busybox true` in
# paired rounds (hyperfine, shuffled), with --network none and on each
# engine's default bridge; then the service's memory: idle after start,
# after those runs, and after 1,000 more requests (ps, inspect, _ping); and
# 100 containers created and removed through the API (dockerode), and a
# testcontainers container to ready (bench/lib/api-clients.mjs), both engines.
#
# Private and removed at the end (bench/lib/engines.sh): a moby-dick store
# with the busybox image, a dockerd with its own roots, socket and bridge
# (no iptables rules), the service on a socket under the same temp dir.
# Needs root, `make build`, hyperfine, jq, dockerd, skopeo, umoci,
# docker-registry (as the tests).
# Usage: bench/api.sh [ROUNDS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ROUNDS=${1:-20}
W=$(mktemp -d /var/tmp/mdk-test-bench-api-XXXXXX)
. bench/lib/engines.sh
SVC_PID=
api_cleanup() {
  [ -n "$SVC_PID" ] && kill "$SVC_PID" 2>/dev/null && for _ in $(seq 50); do kill -0 "$SVC_PID" 2>/dev/null || break; sleep 0.1; done
  engines_cleanup
}
trap api_cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
engines_image
engines_docker
SOCK=$W/api.sock
"$MDK" system service --host "unix://$SOCK" --timeout 0 2>"$W/service.log" &
SVC_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
MDKAPI="/usr/bin/docker -H unix://$SOCK"
rss() { awk '/^VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$SVC_PID/status"; }
$MDKAPI version >/dev/null
echo "== service RSS idle after start: $(rss)"
echo "== versions: $($MDK --version); docker $($DOCKER version --format '{{.Server.Version}}'); client $(/usr/bin/docker --version)"

names=(api-none api-bridge dockerd-none dockerd-default)
cmds=("$MDKAPI run --rm --network none busybox true" "$MDKAPI run --rm busybox true"
      "$DOCKER run --rm --network none busybox true" "$DOCKER run --rm busybox true")
for c in "${cmds[@]}"; do $c || { echo "FAILED: $c"; exit 1; }; done
echo "== docker run --rm busybox true: $ROUNDS paired rounds (the first column's median / each)"
paired_rounds "$ROUNDS"
echo "== service RSS after $((ROUNDS * 2 + 2)) runs: $(rss)"
$MDKAPI run -d --network none --name mdk-test-bench-api busybox sleep 600 >/dev/null
for i in $(seq 333); do
  curl -s --unix-socket "$SOCK" http://d/v1.41/containers/json >/dev/null
  curl -s --unix-socket "$SOCK" http://d/v1.41/containers/mdk-test-bench-api/json >/dev/null
  curl -s --unix-socket "$SOCK" http://d/_ping >/dev/null
done
echo "== service RSS after 1,000 more requests: $(rss)"
for i in $(seq 333); do
  curl -s --unix-socket "$SOCK" http://d/v1.41/containers/json >/dev/null
  curl -s --unix-socket "$SOCK" http://d/v1.41/containers/mdk-test-bench-api/json >/dev/null
  curl -s --unix-socket "$SOCK" http://d/_ping >/dev/null
done
echo "== service RSS after 1,000 more: $(rss)"
$MDKAPI rm -f mdk-test-bench-api >/dev/null
echo "== 100 containers created and removed through the API (dockerode), and a testcontainers container to ready ($((ROUNDS / 2 > 3 ? ROUNDS / 2 : 3)) rounds; the first row's time / each)"
node bench/lib/api-clients.mjs "$REPO" $((ROUNDS / 2 > 3 ? ROUNDS / 2 : 3)) "moby-dick=$SOCK" "dockerd=$D/docker.sock"
echo "== service RSS at the end: $(rss)"
