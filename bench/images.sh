#!/bin/bash
# Images, side by side with Podman and skopeo + umoci (issue 4):
#   - pull + unpack of a ~200 MB image from a local registry into an empty
#     store: `moby-dick pull` vs `podman pull` vs `skopeo copy docker://…
#     oci:DIR` followed by `umoci unpack`;
#   - `moby-dick run --rm IMAGE true` vs `podman run --rm IMAGE true`
#     (--network none, and Podman's default network), image already local.
# (Unpack throughput against GNU tar is bench/unpack.sh.)
#
# Rerun (root, after `make build`; the tools come from Debian:
#   apt-get install -y docker-registry skopeo umoci podman runc hyperfine busybox-static):
#
#   bench/images.sh [ROUNDS=5] [RUNS=20]
#
# environment:
#   MB=200        megabytes of file content from /usr in the big image
#   LAYERS=3      how many gzip layers they are split into
#   DIR=/var/tmp  where the registry, the image and the stores live
#   TMPFS=1       put the stores on a private tmpfs instead (under DIR)
#   SKIP_PULL=1 / SKIP_RUN=1   skip one half
#   PULLERS="moby-dick podman skopeo+umoci"   the pulls to compare
#   MDK_B=PATH    another moby-dick (a copy of an older build/moby-dick and
#                 its build/ siblings) to compare against: adds "moby-dick-b"
#                 to the pulls and to the runs
#   BREAKDOWN=1   also time, in the same hyperfine, `node -e 0`, `moby-dick
#                 --version`, `moby-dick images` (the images bundle and the
#                 store's database) and `moby-dick run --rootfs DIR true`
#                 (the container without the image store)
#   PROFILE=DIR   also write `node --cpu-prof` profiles of one pull into an
#                 empty store and of one `run --rm IMAGE true` to DIR
#
# What it does: starts Debian's docker-registry on 127.0.0.1 (a free port,
# storage in the temp dir); builds two OCI images by hand (tar, gzip,
# sha256sum): "big", the first MB megabytes of files under /usr in find's
# order split into LAYERS layers, and "busybox", busybox-static and its
# links; pushes both with skopeo. Pull: ROUNDS paired rounds, each running
# the three pulls in a shuffled order, each into a fresh store after `sync`;
# the command is timed, then the `sync` after it (the writeback it left),
# both printed. Podman gets its own --root/--runroot per round and a
# private containers.conf and storage.conf: the host's Podman storage is not
# touched (skopeo, as root, still updates the shared digest cache
# /var/lib/containers/cache/blob-info-cache-v1.boltdb). Run: one hyperfine,
# RUNS runs after 3 warm-ups, of moby-dick and of Podman with runc and with
# crun, each with --network none and with Podman's default network (when it
# works here). crun refuses this host's cgroup v1/v2 hybrid while the v2
# hierarchy lists a controller: then all of them run in a private mount
# namespace that hides that list (as ../shared/anchors/00-host-prep.sh ns).
# Removes everything at the end (registry, temp dirs, Podman's mounts) and
# fails if a mount under the temp dir is left.
set -eu
ROUNDS=${1:-5}
RUNS=${2:-20}
MB=${MB:-200}
LAYERS=${LAYERS:-3}
DIR=${DIR:-/var/tmp}
PULLERS=${PULLERS:-moby-dick podman skopeo+umoci}
MDK_B=${MDK_B:-}
[ -n "$MDK_B" ] && PULLERS="$PULLERS moby-dick-b"
cd "$(dirname "$0")/.."
REPO=$PWD
MDK="$REPO/build/moby-dick"
[ -x "$MDK" ] || { echo "build/moby-dick is missing: run make build" >&2; exit 1; }
for t in docker-registry skopeo umoci podman runc hyperfine curl python3; do
  command -v $t >/dev/null || { echo "$t is missing: apt-get install -y docker-registry skopeo umoci podman runc hyperfine curl python3" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "/bin/busybox is missing: apt-get install -y busybox-static" >&2; exit 1; }

W=$(mktemp -d "$DIR/mdk-test-bench-images-XXXXXX")
# Podman's runroot must be shorter than 50 characters: those live here
RR=$(mktemp -d /run/mdk-test-bi-XXXXXX)
RPID=

# unmounts every mount at or under $1, deepest first
umount_under() {
  awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
cleanup() {
  set +e
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
  for d in "$W" "$RR"; do
    umount_under "$d"
    rm -rf "$d"
    if grep -q " $d" /proc/self/mountinfo; then echo "LEFTOVER mounts under $d:" >&2; grep " $d" /proc/self/mountinfo >&2; exit 1; fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

S="$W/stores"
mkdir -p "$S"
[ -n "${TMPFS:-}" ] && mount -t tmpfs -o size=3g,mode=0700 mdk-test-bench "$S"

# ---- the registry ----------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$W/registry.yml" <<EOT
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $W/registry } }
http: { addr: 127.0.0.1:$PORT }
EOT
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
RPID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null || { echo "the registry did not start:" >&2; cat "$W/registry.log" >&2; exit 1; }

# ---- the images: OCI layouts written by hand, pushed with skopeo ------------
# oci_image LAYOUT CMD TAR... : gzips each plain TAR into a layer of LAYOUT
oci_image() {
  L=$1 cmd=$2; shift 2
  mkdir -p "$L/blobs/sha256"
  diffs= layers=
  for t in "$@"; do
    diffs="$diffs${diffs:+,}\"sha256:$(sha256sum "$t" | cut -d' ' -f1)\""
    gzip -6 -n "$t"
    d=$(sha256sum "$t.gz" | cut -d' ' -f1)
    layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$(stat -c %s "$t.gz")}"
    mv "$t.gz" "$L/blobs/sha256/$d"
  done
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["%s"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$cmd" "$diffs" >"$W/c.json"
  c=$(sha256sum "$W/c.json" | cut -d' ' -f1); cs=$(stat -c %s "$W/c.json"); mv "$W/c.json" "$L/blobs/sha256/$c"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$c" "$cs" "$layers" >"$W/m.json"
  m=$(sha256sum "$W/m.json" | cut -d' ' -f1); ms=$(stat -c %s "$W/m.json"); mv "$W/m.json" "$L/blobs/sha256/$m"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' "$m" "$ms" >"$L/index.json"
}

echo "building the images (gzip -6 of about $MB MB takes a while) ..."
# big: the first MB megabytes of files under /usr, in find's order, split
# into LAYERS parts by size; each part starts with the directories above its
# first entry (earlier parts made them), as layers of real images do.
(cd / && find usr -xdev -printf '%s %y %p\n') | awk -v limit=$((MB * 1024 * 1024)) -v parts="$LAYERS" -v out="$W/part" '
  { if (total >= limit) exit
    size = $1; type = $2; sub(/^[0-9]+ [a-z] /, "")
    p = int(total * parts / limit); if (p >= parts) p = parts - 1
    if (p != cur || NR == 1) {
      cur = p; n = split($0, c, "/"); a = ""
      for (i = 1; i < n; i++) { a = a (i > 1 ? "/" : "") c[i]; print a > (out p) }
    }
    print > (out p)
    if (type == "f") total += size }'
tars=
for p in $(seq 0 $((LAYERS - 1))); do
  (cd / && tar --no-recursion --numeric-owner --verbatim-files-from -cf "$W/layer$p.tar" -T "$W/part$p")
  tars="$tars $W/layer$p.tar"
done
BIG_ENTRIES=$(cat "$W"/part* | wc -l)
BIG_TAR=$(cat $tars | wc -c)
# shellcheck disable=SC2086
oci_image "$W/oci-big" /bin/sh $tars
BIG_GZ=$(du -cb "$W"/oci-big/blobs/sha256/* | tail -1 | cut -f1)

mkdir -p "$W/bb/bin" "$W/bb/etc" "$W/bb/tmp"
cp /bin/busybox "$W/bb/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$W/bb/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$W/bb/etc/passwd"
echo 'root:x:0:' >"$W/bb/etc/group"
tar -C "$W/bb" --sort=name --owner=0 --group=0 --numeric-owner -cf "$W/bb.tar" .
oci_image "$W/oci-bb" /bin/sh "$W/bb.tar"

BIG="127.0.0.1:$PORT/mdk-bench/big:latest"
BB="127.0.0.1:$PORT/mdk-bench/busybox:latest"
skopeo copy -q --dest-tls-verify=false "oci:$W/oci-big:latest" "docker://$BIG"
skopeo copy -q --dest-tls-verify=false "oci:$W/oci-bb:latest" "docker://$BB"
rm -rf "$W/oci-big" "$W"/part* "$W"/layer*.tar*
echo "big: $LAYERS layers, $BIG_ENTRIES entries, $((BIG_TAR / 1048576)) MiB of tar, $((BIG_GZ / 1048576)) MiB gzip; stores on $(df --output=fstype "$S" | tail -1) ($(df --output=source "$S" | tail -1))"

# ---- Podman, private: its own config, storage and temp dirs -----------------
. "$REPO/bench/lib/podman-conf.sh"
podman_conf "$W/podman-conf"
printf '[storage]\ndriver = "overlay"\nrunroot = "%s"\ngraphroot = "%s"\n' "$RR/unused" "$S/podman-unused/root" >"$W/podman-conf/storage.conf"
export CONTAINERS_CONF="$W/podman-conf/containers.conf" CONTAINERS_STORAGE_CONF="$W/podman-conf/storage.conf"
# pod STORE ARG...: podman with the store STORE (its runroot is $RR/STORE's name)
pod() { d=$1; shift; podman --root "$d/root" --runroot "$RR/${d##*/}" "$@"; }

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- pull + unpack -----------------------------------------------------------
pull_once() { # METHOD ROUND: one pull into a fresh store, timed; appends to $W/pull.txt
  d="$S/$1-$2"
  mkdir -p "$d"; sync
  t0=$(now)
  case $1 in
    moby-dick) MOBY_DICK_ROOT="$d" "$MDK" pull -q "$BIG" >/dev/null ;;
    moby-dick-b) MOBY_DICK_ROOT="$d" "$MDK_B" pull -q "$BIG" >/dev/null ;;
    podman) pod "$d" pull -q --tls-verify=false "$BIG" >/dev/null ;;
    skopeo+umoci)
      skopeo copy -q --src-tls-verify=false "docker://$BIG" "oci:$d/oci:latest"
      t1=$(now)
      umoci unpack --image "$d/oci:latest" "$d/bundle" >/dev/null ;;
  esac
  t2=$(now); sync; t3=$(now)
  extra=
  [ "$1" = skopeo+umoci ] && extra=" (skopeo $(ms "$t0" "$t1"), umoci $(ms "$t1" "$t2"))"
  echo "  $1: $(ms "$t0" "$t2") ms, then sync $(ms "$t2" "$t3") ms$extra"
  echo "$1 $(ms "$t0" "$t2") $(ms "$t0" "$t3")" >>"$W/pull.txt"
  umount_under "$d"; umount_under "$RR/$1-$2"; rm -rf "$d" "$RR/$1-$2"
}

if [ -z "${SKIP_PULL:-}" ]; then
  echo; echo "pull + unpack of $BIG into an empty store, $ROUNDS paired rounds (load $(load))"
  for r in $(seq "$ROUNDS"); do
    echo "round $r (load $(load))"
    for m in $(printf '%s\n' $PULLERS | shuf); do pull_once "$m" "$r"; done
  done
  echo "medians (ms): command alone / with the sync after it (load $(load))"
  for m in $PULLERS; do
    a=$(awk -v m="$m" '$1 == m { print $2 }' "$W/pull.txt" | median)
    b=$(awk -v m="$m" '$1 == m { print $3 }' "$W/pull.txt" | median)
    echo "$m $a $b" >>"$W/pull-med.txt"
    printf '  %-14s %8s %8s\n' "$m" "$a" "$b"
  done
  awk '{ a[$1] = $2; b[$1] = $3 } END {
    if (!("moby-dick" in a)) exit
    for (m in a) if (m != "moby-dick") printf "  moby-dick / %-13s %.2f  %.2f\n", m, a["moby-dick"] / a[m], b["moby-dick"] / b[m] }' "$W/pull-med.txt"
fi

# ---- run --rm IMAGE true -------------------------------------------------------
if [ -z "${SKIP_RUN:-}" ]; then
  export MOBY_DICK_ROOT="$S/run-mdk"
  "$MDK" pull -q "$BB" >/dev/null
  pod "$S/run-podman" pull -q --tls-verify=false "$BB" >/dev/null
  "$MDK" run --rm "$BB" true
  pod "$S/run-podman" run --rm --network none "$BB" true
  DEFNET=
  if pod "$S/run-podman" run --rm "$BB" true 2>"$W/defnet.err"; then DEFNET=1; else echo "podman's default network fails here: $(cat "$W/defnet.err")"; fi
  P="podman --root $S/run-podman/root --runroot $RR/run-podman"
  set -- -n moby-dick "$MDK run --rm $BB true"
  [ -n "$MDK_B" ] && set -- "$@" -n moby-dick-b "$MDK_B run --rm $BB true"
  [ -n "${BREAKDOWN:-}" ] && set -- "$@" -n "node -e 0" "node -e 0" -n "moby-dick --version" "$MDK --version" \
    -n "moby-dick images" "$MDK images" -n "moby-dick run --rootfs" "$MDK run --rootfs $W/bb true"
  set -- "$@" -n "podman runc, --network none" "$P run --rm --runtime runc --network none $BB true"
  [ -n "$DEFNET" ] && set -- "$@" -n "podman runc" "$P run --rm --runtime runc $BB true"
  # crun refuses every container on this host's hybrid cgroups while the v2
  # hierarchy lists a controller: where it does, everything here runs in a
  # private mount namespace that hides the list (as
  # ../shared/anchors/00-host-prep.sh ns does), so that Podman can use crun
  NS=
  CC=/sys/fs/cgroup/unified/cgroup.controllers
  if command -v crun >/dev/null; then
    [ -r "$CC" ] && [ -n "$(cat "$CC")" ] && NS=1
    set -- "$@" -n "podman crun, --network none" "$P run --rm --runtime crun --network none $BB true"
    [ -n "$DEFNET" ] && set -- "$@" -n "podman crun" "$P run --rm --runtime crun $BB true"
  fi
  echo; echo "run --rm IMAGE true, $RUNS runs each after 3 warm-ups${NS:+, in a mount namespace hiding $CC} (load $(load))"
  if [ -n "$NS" ]; then
    unshare -m --propagation private sh -c 'mount --bind /dev/null "$0" && exec "$@"' "$CC" \
      hyperfine -N -w 3 -r "$RUNS" --style basic --export-json "$W/run.json" "$@" >"$W/run.txt"
  else
    hyperfine -N -w 3 -r "$RUNS" --style basic --export-json "$W/run.json" "$@" >"$W/run.txt"
  fi
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
    const f = (x) => (x * 1000).toFixed(1).padStart(8);
    console.log("command".padEnd(30), "median ms", "  mean ms", "  user ms", "   sys ms", "  moby-dick / it");
    const md = r[0].median;
    for (const x of r) console.log(x.command.padEnd(30), f(x.median), f(x.mean), f(x.user), f(x.system), (md / x.median).toFixed(2).padStart(16));
  ' "$W/run.json"
  echo "load at the end: $(load)"
fi

if [ -n "${PROFILE:-}" ]; then
  mkdir -p "$PROFILE/pull" "$PROFILE/run"
  MOBY_DICK_ROOT="$S/prof" node --cpu-prof --cpu-prof-dir="$PROFILE/pull" "$REPO/build/moby-dick.cjs" pull -q "$BIG" >/dev/null
  MOBY_DICK_ROOT="$S/prof" "$MDK" pull -q "$BB" >/dev/null
  MOBY_DICK_ROOT="$S/prof" node --cpu-prof --cpu-prof-dir="$PROFILE/run" "$REPO/build/moby-dick.cjs" run --rm "$BB" true
  echo "profiles in $PROFILE/pull and $PROFILE/run"
fi
