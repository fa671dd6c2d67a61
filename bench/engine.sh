#!/bin/bash
# The engine against Docker and Podman: `run --rm busybox true` in paired
# rounds (hyperfine), 100 `run -d` in a row and in parallel (then rm -f),
# and the monitor's memory with 50 containers running.
#
# Everything is private and removed at the end (bench/lib/engines.sh): a
# moby-dick store, a Podman with its own storage and config (cgroupfs, file
# events), a dockerd with its own data root, exec root, socket and a bridge
# of its own (no iptables rules), all under one temporary directory; the
# same busybox image (the test rootfs, packed by umoci, copied by skopeo)
# loaded into each. Needs root, `make build`, hyperfine, jq, podman, dockerd,
# skopeo, umoci and docker-registry (as the tests).
# Usage: bench/engine.sh [ROUNDS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ROUNDS=${1:-20}
W=$(mktemp -d /var/tmp/mdk-test-bench-engine-XXXXXX)
. bench/lib/engines.sh
trap engines_cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
engines_image
engines_podman
engines_docker
PP="--cgroup-parent /mdk-test-bench-podman"

echo "== versions: $($MDK --version); $(podman --version); docker $($DOCKER version --format '{{.Server.Version}}')"
# moby-dick with --network none and with its default bridge (bench/network.sh has more on networks);
# Podman's default network is not measured here: it makes the host-wide podman0 bridge and
# netavark's iptables rules, which other Podmans on this machine share
names=(moby-dick-none moby-dick-bridge docker-none docker-default podman-none)
cmds=("$MDK run --rm --network none busybox true" "$MDK run --rm busybox true"
      "$DOCKER run --rm --network none busybox true" "$DOCKER run --rm busybox true"
      "$PODMAN run --rm --network none $PP busybox true")
for c in "${cmds[@]}"; do $c || { echo "FAILED: $c"; exit 1; }; done
echo "== run --rm busybox true: $ROUNDS paired rounds (hyperfine: each round runs every command once, shuffled)"
paired_rounds "$ROUNDS"

echo "== 100 containers (--network none): run -d in a row, then in parallel (10 at a time), then rm -f"
many() { # ENGINE-ARGS...
  local t0 t1 t2 t3
  t0=$(date +%s.%N)
  for i in $(seq 100); do "$@" run -d --network none $EXTRA busybox sleep 600 >/dev/null; done
  t1=$(date +%s.%N)
  "$@" rm -f $RMT $("$@" ps -aq) >/dev/null
  t2=$(date +%s.%N)
  seq 100 | xargs -P 10 -I{} "$@" run -d --network none $EXTRA busybox sleep 600 >/dev/null
  t3=$(date +%s.%N)
  "$@" rm -f $RMT $("$@" ps -aq) >/dev/null
  local t4; t4=$(date +%s.%N)
  printf '%-10s in a row %6.1f s   rm -f %5.1f s   parallel %6.1f s   rm -f %5.1f s\n' "$NAME" "$(echo "$t1-$t0" | bc)" "$(echo "$t2-$t1" | bc)" "$(echo "$t3-$t2" | bc)" "$(echo "$t4-$t3" | bc)"
}
# podman 4.3's rm -f stops with the stop timeout first: -t 0 kills at once, as Docker's and moby-dick's rm -f do
RMT= EXTRA= NAME=moby-dick many "$MDK"
RMT= EXTRA= NAME=docker many $DOCKER
RMT="-t 0" EXTRA="--cgroup-parent /mdk-test-bench-podman" NAME=podman many $PODMAN

echo "== monitor memory with 50 containers running (moby-dick's monitor; Podman's conmon for comparison)"
for i in $(seq 50); do "$MDK" run -d --network none busybox sleep 600 >/dev/null; done
for i in $(seq 50); do $PODMAN run -d --network none --cgroup-parent /mdk-test-bench-podman busybox sleep 600 >/dev/null; done
node --input-type=module - "$W" <<'JS'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
const w = process.argv[2];
const kib = (pid, file, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1]);
const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
const fds = (p) => { try { return readdirSync(`/proc/${p}/fd`).map((fd) => { try { return readlinkSync(`/proc/${p}/fd/${fd}`); } catch { return ''; } }); } catch { return []; } };
const exe = (p) => { try { return readlinkSync(`/proc/${p}/exe`); } catch { return ''; } };
const cmd = (p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { return ''; } };
// ours: mdk-init processes holding a file of this store; Podman's: conmon processes with this storage in their arguments
const monitors = pids.filter((p) => exe(p).includes('mdk-init') && fds(p).some((l) => l.startsWith(`${w}/mdk/`)));
const conmons = pids.filter((p) => exe(p).endsWith('/conmon') && cmd(p).includes(w));
for (const [name, ps] of [['moby-dick monitor', monitors], ['podman conmon', conmons]]) {
  const avg = (k, f) => (ps.reduce((a, p) => a + kib(p, f, k), 0) / ps.length).toFixed(0);
  console.log(`${name}: ${ps.length} processes, per process KiB: VmRSS ${avg('VmRSS', 'status')}  RssAnon ${avg('RssAnon', 'status')}  Pss ${avg('Pss', 'smaps_rollup')}`);
}
JS
"$MDK" rm -f $("$MDK" ps -aq) >/dev/null
$PODMAN rm -f -t 0 $($PODMAN ps -aq) >/dev/null
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
