#!/bin/bash
# Interleaved whole-process timings of layer unpackers against GNU tar, for
# comparing two builds in the same minutes on a noisy machine:
#
#   bench/unpack-ab.sh ROUNDS LAYER DIR NAME=DRIVER.mjs ...
#
# Each round runs GNU tar and every NAME (node DRIVER.mjs LAYER OUT, e.g.
# bench/unpack.mjs of this build and of another kept aside) in a shuffled
# order into a fresh DIR/mdk-bench-ab-out after `sync`, timed with
# /usr/bin/time; prints every wall and user+sys time sorted, and the medians.
# A gzip LAYER (.gz) is given to GNU tar with -z. Needs root.
set -eu
# Node reads the file NODE_EXTRA_CA_CERTS names as it starts (a whole CA
# bundle on the development VM: ~35 ms of CPU); build/moby-dick's launcher
# defers it, and unpacking makes no TLS connection, so the driver runs
# without it, as a pull's unpack would
unset NODE_EXTRA_CA_CERTS
ROUNDS=$1; LAYER=$2; DIR=$3; shift 3
OUT="$DIR/mdk-bench-ab-out"
RES=$(mktemp /tmp/mdk-bench-ab-XXXXXX)
trap 'rm -rf "$OUT" "$RES"' EXIT
Z=; case $LAYER in *.gz) Z=-z ;; esac
methods=(gnu "$@")
for _ in $(seq "$ROUNDS"); do
  for m in $(printf '%s\n' "${methods[@]}" | shuf); do
    rm -rf "$OUT"; mkdir "$OUT"; sync
    name=${m%%=*}
    if [ "$name" = gnu ]; then
      /usr/bin/time -f "$name %e %U %S" -a -o "$RES" tar --same-owner -p --xattrs --xattrs-include='*' --numeric-owner $Z -xf "$LAYER" -C "$OUT"
    else
      /usr/bin/time -f "$name %e %U %S" -a -o "$RES" node "${m#*=}" "$LAYER" "$OUT" >/dev/null
    fi
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for m in "${methods[@]}"; do
  name=${m%%=*}
  w=$(awk -v m="$name" '$1 == m { print $2 * 1000 }' "$RES" | sort -n | tr '\n' ' ')
  c=$(awk -v m="$name" '$1 == m { print ($3 + $4) * 1000 }' "$RES" | sort -n | tr '\n' ' ')
  printf '%-8s wall median %s ms, cpu median %s ms\n' "$name" "$(echo "$w" | tr ' ' '\n' | grep . | median)" "$(echo "$c" | tr ' ' '\n' | grep . | median)"
  printf '         wall %s\n         cpu  %s\n' "$w" "$c"
done
