#!/bin/bash
# The engine against Docker and Podman: `run --rm busybox true` in paired
# rounds (hyperfine), 100 `run -d` in a row and in parallel (then rm -f),
# and the monitor's memory with 50 containers running.
#
# Everything is private and removed at the end: a moby-dick store, a Podman
# with its own storage and config (cgroupfs, file events), a dockerd with its
# own data root, exec root, socket and a bridge of its own (no iptables
# rules), all under one temporary directory; the same busybox image (the
# test rootfs, packed by umoci, copied by skopeo) loaded into each.
# Needs root, `make build`, hyperfine, podman, dockerd, skopeo, umoci and
# docker-registry (as the tests). Usage: bench/engine.sh [ROUNDS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ROUNDS=${1:-20}
W=$(mktemp -d /var/tmp/mdk-test-bench-engine-XXXXXX)
MDK="$REPO/build/moby-dick"
# a bridge and a subnet of this run's own (other benchmarks on the machine make theirs):
# an interface name has at most 15 characters
BR=mdk-test-e$((RANDOM % 100000))
while :; do NET=10.213.$((100 + RANDOM % 100)); ip -br addr | grep -q " $NET\." || break; done
BR_MADE=
export MOBY_DICK_ROOT=$W/mdk MOBY_DICK_CGROUP_PARENT=mdk-test-bench-engine-$$
P=$W/podman
D=$W/docker
DOCKER="/usr/bin/docker -H unix://$D/docker.sock"
export DOCKER_CONFIG=$D/cli
mkdir -p "$DOCKER_CONFIG" && echo "{}" > "$DOCKER_CONFIG/config.json"
cleanup() {
  set +e
  "$MDK" ps -aq --no-trunc 2>/dev/null | xargs -r "$MDK" rm -f >/dev/null 2>&1
  [ -S "$D/docker.sock" ] && $DOCKER rm -f $($DOCKER ps -aq) >/dev/null 2>&1
  if [ -f "$D/dockerd.pid" ]; then
    kill "$(cat "$D/dockerd.pid")" 2>/dev/null
    dpid=$(cat "$D/dockerd.pid" 2>/dev/null); for _ in $(seq 50); do [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null || break; sleep 0.2; done
  fi
  CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf podman rm -af -t 0 >/dev/null 2>&1
  CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf podman system reset -f >/dev/null 2>&1
  grep -o " $W[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  [ -n "$BR_MADE" ] && ip link del "$BR" 2>/dev/null
  for c in /sys/fs/cgroup/*/mdk-test-bench-*; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# --- the image, and moby-dick's store (pulled from a local registry, as the tests do)
node --input-type=module - "$REPO" "$W" <<'JS'
const [repo, w] = process.argv.slice(2);
const { buildBusyboxImage } = await import(`${repo}/build/tsc/test/helpers/busybox-image.js`);
const { startRegistry, skopeo } = await import(`${repo}/build/tsc/test/helpers/registry.js`);
const { execFileSync } = await import('node:child_process');
const img = buildBusyboxImage(`${w}/image`);
const reg = await startRegistry();
try {
  skopeo(['copy', `oci:${img.layout}:latest`, `docker://${reg.host}/library/busybox:latest`]);
  execFileSync(`${repo}/build/moby-dick`, ['pull', '-q', `${reg.host}/library/busybox:latest`], { stdio: 'inherit' });
  execFileSync(`${repo}/build/moby-dick`, ['tag', `${reg.host}/library/busybox:latest`, 'busybox:latest'], { stdio: 'inherit' });
} finally {
  await reg.stop();
}
JS
ARCHIVE=$W/image/busybox.tar

# --- Podman, private
mkdir -p "$P"
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] && nproc=32768; [ "$nproc" -gt 32768 ] && nproc=32768
cat > "$P/containers.conf" <<EOT
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
image_copy_tmp_dir = "$P/tmp"
volume_path = "$P/volumes"
runtime = "runc"
[network]
network_config_dir = "$P/networks"
EOT
printf '[storage]\ndriver = "overlay"\nrunroot = "%s/run"\ngraphroot = "%s/root"\n' "$P" "$P" > "$P/storage.conf"
PODMAN="env CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf podman"
$PODMAN load -q -i "$ARCHIVE" >/dev/null

# --- Docker, private: its own roots and socket, a bridge of its own, no iptables rules
mkdir -p "$D"
echo '{}' > "$D/daemon.json"
ip link add "$BR" type bridge && BR_MADE=1 && ip addr add "$NET.1/24" dev "$BR" && ip link set "$BR" up
dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
  -H "unix://$D/docker.sock" --bridge "$BR" --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
  --userland-proxy=false --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent /mdk-test-bench-docker \
  >"$D/dockerd.log" 2>&1 &
for _ in $(seq 80); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.25; done
$DOCKER load -q -i "$ARCHIVE" >/dev/null

echo "== versions: $($MDK --version); $(podman --version); docker $($DOCKER version --format '{{.Server.Version}}')"
for c in "$MDK run --rm busybox true" "$DOCKER run --rm --network none busybox true" "$DOCKER run --rm busybox true" \
         "$PODMAN run --rm --network none --cgroup-parent /mdk-test-bench-podman busybox true"; do
  $c || { echo "FAILED: $c"; exit 1; }
done

echo "== run --rm busybox true: $ROUNDS paired rounds (hyperfine: each round runs every command once, shuffled)"
# hyperfine runs commands one after the other; paired rounds: one run of each per hyperfine call
# Podman's default network is not measured: it would make the host-wide podman0 bridge and netavark's
# iptables rules, which other Podmans on this machine share
names=(moby-dick docker-none docker-default podman-none)
cmds=("$MDK run --rm busybox true" "$DOCKER run --rm --network none busybox true" "$DOCKER run --rm busybox true"
      "$PODMAN run --rm --network none --cgroup-parent /mdk-test-bench-podman busybox true")
for r in $(seq "$ROUNDS"); do
  order=$(shuf -i 0-3)
  for i in $order; do
    hyperfine -N -r 1 --export-json "$W/h.json" "${cmds[$i]}" >/dev/null 2>&1
    echo "${names[$i]} $(jq '.results[0].mean' "$W/h.json")" >> "$W/times"
  done
done
node --input-type=module - "$W/times" <<'JS'
import { readFileSync } from 'node:fs';
const by = {};
for (const l of readFileSync(process.argv[2], 'utf8').trim().split('\n')) { const [n, t] = l.split(' '); (by[n] ??= []).push(Number(t) * 1000); }
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) * p)]; };
const md = q(by['moby-dick'], 0.5);
console.log('command          median ms   p10     p90   moby-dick / it');
for (const [n, xs] of Object.entries(by)) console.log(`${n.padEnd(16)} ${q(xs, 0.5).toFixed(1).padStart(8)} ${q(xs, 0.1).toFixed(1).padStart(7)} ${q(xs, 0.9).toFixed(1).padStart(7)}   ${(md / q(xs, 0.5)).toFixed(3)}`);
JS

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
for i in $(seq 50); do "$MDK" run -d busybox sleep 600 >/dev/null; done
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
