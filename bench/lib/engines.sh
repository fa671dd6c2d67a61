# Sourced by the engine benchmarks: a private moby-dick store with the busybox
# image, a private Podman and a private dockerd, all under $W, and removed by
# engines_cleanup. Set before sourcing: REPO, W. Optional: DOCKERD_ARGS.
. "$REPO/bench/lib/podman-conf.sh"
MDK="$REPO/build/moby-dick"
export MOBY_DICK_ROOT=$W/mdk MOBY_DICK_CGROUP_PARENT=mdk-test-bench-engine-$$
# the store's networks are named for this run (interfaces mdkbNNNN*, nftables table mdkbNNNN)
export MOBY_DICK_NET_PREFIX=mdkb$((RANDOM % 10000))
# dockerd's bridge and subnet, this run's own (other benchmarks on the machine make theirs);
# an interface name has at most 15 characters
BR=mdk-test-e$((RANDOM % 100000))
while :; do NET=10.213.$((100 + RANDOM % 100)); ip -br addr | grep -q " $NET\." || break; done
BR_MADE=
P=$W/podman
D=$W/docker
DOCKER="/usr/bin/docker -H unix://$D/docker.sock"
export DOCKER_CONFIG=$D/cli
PODMAN="env CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf podman"

engines_cleanup() {
  set +e
  "$MDK" ps -aq --no-trunc 2>/dev/null | xargs -r "$MDK" rm -f >/dev/null 2>&1
  "$MDK" network prune -f >/dev/null 2>&1
  [ -S "$D/docker.sock" ] && $DOCKER rm -f $($DOCKER ps -aq) >/dev/null 2>&1
  if [ -f "$D/dockerd.pid" ]; then
    kill "$(cat "$D/dockerd.pid")" 2>/dev/null
    dpid=$(cat "$D/dockerd.pid" 2>/dev/null); for _ in $(seq 50); do [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null || break; sleep 0.2; done
  fi
  $PODMAN rm -af -t 0 >/dev/null 2>&1
  $PODMAN network prune -f >/dev/null 2>&1
  $PODMAN system reset -f >/dev/null 2>&1
  grep -o " $W[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  [ -n "$BR_MADE" ] && ip link del "$BR" 2>/dev/null
  for c in /sys/fs/cgroup/*/mdk-test-bench-*; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done
  rm -rf "$W"
}

# the busybox image (the test rootfs, packed by umoci) in a local registry, pulled into moby-dick's store
engines_image() {
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
}

# Podman with its own storage, config (cgroupfs, file events) and network config dir
engines_podman() {
  podman_conf "$P"
  printf '[storage]\ndriver = "overlay"\nrunroot = "%s/run"\ngraphroot = "%s/root"\n' "$P" "$P" > "$P/storage.conf"
  $PODMAN load -q -i "$ARCHIVE" >/dev/null
}

# dockerd with its own roots and socket and a bridge of its own; no iptables rules (DOCKERD_ARGS adds to it)
engines_docker() {
  mkdir -p "$D" "$DOCKER_CONFIG"
  echo "{}" > "$DOCKER_CONFIG/config.json"
  echo '{}' > "$D/daemon.json"
  ip link add "$BR" type bridge && BR_MADE=1 && ip addr add "$NET.1/24" dev "$BR" && ip link set "$BR" up
  dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
    -H "unix://$D/docker.sock" --bridge "$BR" --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent /mdk-test-bench-docker ${DOCKERD_ARGS:-} \
    >"$D/dockerd.log" 2>&1 &
  for _ in $(seq 80); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.25; done
  $DOCKER load -q -i "$ARCHIVE" >/dev/null
}

# paired rounds: NAMES[i] runs CMDS[i]; each round runs every command once (hyperfine -r 1), shuffled;
# prints medians, p10, p90 and the ratio of the first command to each
paired_rounds() { # ROUNDS
  local r i order n=${#cmds[@]}
  : > "$W/times"
  for r in $(seq "$1"); do
    order=$(shuf -i 0-$((n - 1)))
    for i in $order; do
      hyperfine -N -r 1 --export-json "$W/h.json" "${cmds[$i]}" >/dev/null 2>&1
      echo "${names[$i]} $(jq '.results[0].mean' "$W/h.json")" >> "$W/times"
    done
  done
  node --input-type=module - "$W/times" "${names[0]}" <<'JS'
import { readFileSync } from 'node:fs';
const by = {};
for (const l of readFileSync(process.argv[2], 'utf8').trim().split('\n')) { const [n, t] = l.split(' '); (by[n] ??= []).push(Number(t) * 1000); }
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) * p)]; };
const first = q(by[process.argv[3]], 0.5);
console.log(`command                median ms   p10     p90   ${process.argv[3]} / it`);
for (const [n, xs] of Object.entries(by)) console.log(`${n.padEnd(22)} ${q(xs, 0.5).toFixed(1).padStart(8)} ${q(xs, 0.1).toFixed(1).padStart(7)} ${q(xs, 0.9).toFixed(1).padStart(7)}   ${(first / q(xs, 0.5)).toFixed(3)}`);
JS
}
