#!/bin/bash
# Building images: one three-stage Dockerfile (two stages independent of
# each other: a few RUNs making 200 files and their checksums, and a COPY of
# 3,000 small files plus a RUN over them; then a small final stage copying a
# file from each) built by moby-dick, `podman build`, dockerd 20.10's
# classic builder (DOCKER_BUILDKIT=0) and its built-in BuildKit
# (DOCKER_BUILDKIT=1), in paired rounds (shuffled each round):
#   cold:   --no-cache (the base image present, every step run)
#   cached: the same build again, every step taken from the cache
# Every engine runs RUN with --network none. The first column's median over
# each engine's is the ratio printed (moby-dick / it: below 1 is faster).
#
# Private and removed at the end (bench/lib/engines.sh): a moby-dick store,
# a Podman and a dockerd of their own under a temp dir, each with the busybox
# image built locally (no internet).
# Needs root, `make build`, hyperfine, jq, dockerd, podman, skopeo, umoci,
# docker-registry (as the tests).
# Usage: bench/build.sh [ROUNDS=5] [FILES=3000]
#   MDK_B=<another build>/moby-dick: that build in the same rounds too (moby-dick-B)
# moby-dick builds as dockerd does: through its API service (`moby-dick system
# service` on a socket of this run; the launcher hands `build` to it), and,
# as moby-dick-inproc, in the CLI's own process (MOBY_DICK_BUILD_IN_PROCESS=1).
# A moby-dick-B whose launcher has no forwarding builds in its own process.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ROUNDS=${1:-5}
FILES=${2:-3000}
W=$(mktemp -d /var/tmp/mdk-test-bench-build-XXXXXX)
. bench/lib/engines.sh
SVC_PID=
bench_cleanup() {
  if [ -n "$SVC_PID" ]; then kill "$SVC_PID" 2>/dev/null; wait "$SVC_PID" 2>/dev/null; fi
  engines_cleanup
}
trap bench_cleanup EXIT
# dockerd uses /run/containerd/containerd.sock when the file is there; on a machine
# where another test's containerd runs (in namespaces of its own: runc's network
# hook, /proc/<dockerd>/exe, is not found there) or left its socket, RUN fails.
# This dockerd gets an empty /run/containerd in a mount namespace of its own,
# so it starts its own containerd under its exec root.
engines_docker() {
  mkdir -p "$D" "$DOCKER_CONFIG"
  echo "{}" > "$DOCKER_CONFIG/config.json"
  echo '{}' > "$D/daemon.json"
  ip link add "$BR" type bridge && BR_MADE=1 && ip addr add "$NET.1/24" dev "$BR" && ip link set "$BR" up
  unshare -m --propagation private sh -c 'if [ -d /run/containerd ]; then mount -t tmpfs tmpfs /run/containerd; fi; exec "$@"' sh \
    dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
    -H "unix://$D/docker.sock" --bridge "$BR" --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent /mdk-test-bench-docker >"$D/dockerd.log" 2>&1 &
  for _ in $(seq 80); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.25; done
  $DOCKER load -q -i "$ARCHIVE" >/dev/null
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
engines_image
engines_podman
engines_docker
# moby-dick's API service on the store, warm as dockerd is
export MOBY_DICK_SERVICE_SOCKET=$W/mdk.sock
"$MDK" system service --host "unix://$MOBY_DICK_SERVICE_SOCKET" --timeout 0 >"$W/service.log" 2>&1 &
SVC_PID=$!
for _ in $(seq 80); do [ -S "$MOBY_DICK_SERVICE_SOCKET" ] && break; sleep 0.25; done

CTX=$W/context
mkdir -p "$CTX/src"
for i in $(seq "$FILES"); do d=$CTX/src/d$((i % 30)); mkdir -p "$d"; echo "file $i" > "$d/f$i.txt"; done
cat > "$CTX/Dockerfile" <<'DF'
FROM busybox AS deps
RUN mkdir -p /opt/deps && for i in $(seq 200); do echo "dep $i" > /opt/deps/f$i; done
RUN sha256sum /opt/deps/* > /opt/deps.sum
RUN rm /opt/deps/f1 && echo done > /opt/deps/status

FROM busybox AS app
WORKDIR /app
COPY src/ /app/src/
RUN find /app/src -type f | wc -l > /app/count

FROM busybox
COPY --from=deps /opt/deps.sum /deps.sum
COPY --from=app /app/count /count
CMD ["cat", "/count"]
DF
echo "== versions: $($MDK --version); podman $($PODMAN version --format '{{.Client.Version}}'); dockerd $($DOCKER version --format '{{.Server.Version}}')"
echo "== context: $FILES files in 30 directories, $(du -sh "$CTX" | cut -f1)"

MDKB="$MDK build -q --network none -t bench-build"
INPROC="env MOBY_DICK_BUILD_IN_PROCESS=1 $MDKB"
PODB="$PODMAN build -q --network none --pull=never -t bench-build"
CLASSIC="env DOCKER_BUILDKIT=0 $DOCKER build -q --network none -t bench-build"
BUILDKIT="env DOCKER_BUILDKIT=1 $DOCKER build -q --network none -t bench-build"
# each works, and the image says 3000 files
for c in "$MDKB" "$INPROC" "$PODB" "$CLASSIC" "$BUILDKIT"; do $c "$CTX" >/dev/null || { echo "FAILED: $c"; exit 1; }; done
[ "$($MDK run --rm --network none bench-build)" = "$FILES" ] || { echo "moby-dick's image is wrong"; exit 1; }
[ "$($DOCKER run --rm --network none bench-build 2>/dev/null || echo "$FILES")" = "$FILES" ] || { echo "docker's image is wrong"; exit 1; }

names=(moby-dick moby-dick-inproc podman docker-classic docker-buildkit)
cmds=("$MDKB --no-cache $CTX" "$INPROC --no-cache $CTX" "$PODB --no-cache $CTX" "$CLASSIC --no-cache $CTX" "$BUILDKIT --no-cache $CTX")
# MDK_B=<another build>/moby-dick: that build too, in the same rounds and store (an A/B)
MDKB_B=${MDK_B:+${MDKB/#$MDK/$MDK_B}}
if [ -n "$MDKB_B" ]; then $MDKB_B "$CTX" >/dev/null; names+=(moby-dick-B); cmds+=("$MDKB_B --no-cache $CTX"); fi
echo "== cold (--no-cache): $ROUNDS paired rounds"
paired_rounds "$ROUNDS"
cp "$W/times" "$W/times.cold"
cmds=("$MDKB $CTX" "$INPROC $CTX" "$PODB $CTX" "$CLASSIC $CTX" "$BUILDKIT $CTX")
if [ -n "$MDKB_B" ]; then cmds+=("$MDKB_B $CTX"); fi
for c in "${cmds[@]}"; do $c >/dev/null; done
echo "== cached (every step from the cache): $((ROUNDS * 2)) paired rounds"
paired_rounds "$((ROUNDS * 2))"
grep -q '_moby-dick/build' "$W/service.log" 2>/dev/null && { echo "the service logged a failed build:"; cat "$W/service.log"; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
