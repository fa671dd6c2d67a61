#!/bin/sh
# Layer unpacking throughput: moby-dick's unpacker (bench/unpack.mjs, the
# library bundle) against GNU tar extracting the same layer as root with
# owners, modes and xattrs (--same-owner -p --xattrs --xattrs-include='*').
#
#   bench/unpack.sh [ROUNDS=5] [MB=200] [DIR=/var/tmp]
#
# The layer: the first MB megabytes of files under /usr in find's order
# (directories, symlinks and hard links as they are), once uncompressed and
# once gzip -6. Each round runs the four extractions in a shuffled order,
# each into a fresh directory under DIR after `sync`, and times the whole
# process (Node's start included). Prints every run, then the median MiB/s
# of the uncompressed size per method. Needs root and `make build`.
set -eu
# Node reads the file NODE_EXTRA_CA_CERTS names as it starts (a whole CA
# bundle on the development VM: ~35 ms of CPU); build/moby-dick's launcher
# defers it, and unpacking makes no TLS connection, so the driver runs
# without it, as a pull's unpack would
unset NODE_EXTRA_CA_CERTS
ROUNDS=${1:-5}
MB=${2:-200}
DIR=${3:-/var/tmp}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "$DIR/mdk-bench-unpack-XXXXXX")
trap 'rm -rf "$W"' EXIT

cd /
find usr -xdev -printf '%s %y %p\n' | awk -v limit=$((MB * 1024 * 1024)) '
  { if (total >= limit) exit; if ($2 == "f") total += $1; sub(/^[0-9]+ [a-z] /, ""); print }' >"$W/list"
tar --no-recursion --xattrs --xattrs-include='*' -cf "$W/layer.tar" -T "$W/list"
gzip -6 -c "$W/layer.tar" >"$W/layer.tar.gz"
cd "$W"
SIZE=$(stat -c %s layer.tar)
echo "layer: $(wc -l <list) entries, $((SIZE / 1048576)) MiB uncompressed, $(($(stat -c %s layer.tar.gz) / 1048576)) MiB gzip; unpacked under $(df --output=fstype "$W" | tail -1) $DIR"

now() { date +%s%N; }
GNU="--same-owner -p --xattrs --xattrs-include=* --numeric-owner"
run() { # METHOD: one extraction, timed; appends "METHOD MiB/s" to results
  rm -rf "$W/out"; mkdir "$W/out"; sync
  t0=$(now)
  # shellcheck disable=SC2086
  case $1 in
    gnu-tar-tar) tar $GNU -xf layer.tar -C out ;;
    moby-dick-tar) node "$HERE/unpack.mjs" layer.tar out >/dev/null ;;
    gnu-tar-gzip) tar $GNU -xzf layer.tar.gz -C out ;;
    moby-dick-gzip) node "$HERE/unpack.mjs" layer.tar.gz out >/dev/null ;;
  esac
  t1=$(now)
  ms=$(( (t1 - t0) / 1000000 ))
  echo "  $1 $ms ms $(( SIZE * 1000 / 1048576 / ms )) MiB/s"
  echo "$1 $(( SIZE * 1000 / 1048576 / ms ))" >>"$W/results"
}
for r in $(seq "$ROUNDS"); do
  echo "round $r"
  for m in $(printf '%s\n' gnu-tar-tar moby-dick-tar gnu-tar-gzip moby-dick-gzip | shuf); do run "$m"; done
done
rm -rf "$W/out"
echo "median MiB/s:"
for m in gnu-tar-tar moby-dick-tar gnu-tar-gzip moby-dick-gzip; do
  printf '  %-15s %s\n' "$m" "$(awk -v m="$m" '$1 == m { print $2 }' "$W/results" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
done
