#!/bin/sh
# Startup benchmark: `moby-dick run --rootfs <busybox> /bin/true` against
# `runc run` and `crun run` of the same rootfs, and `node -e 0`, paired.
#
#   bench/startup.sh [ROUNDS=40]
#
# Needs root, a build (make build), and Debian's runc and busybox-static; crun
# is measured when installed (apt-get install -y runc crun busybox-static). Everything it makes lives in
# a temporary directory that it removes.
set -eu
ROUNDS=${1:-40}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
W=$(mktemp -d /tmp/mdk-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT

# the bundle: busybox rootfs and runc's default config.json running /bin/true
R="$W/bundle/rootfs"
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/etc"
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
ln -s busybox "$R/bin/true"
( cd "$W/bundle" && runc spec )
node -e '
  const fs = require("fs"), f = process.argv[1], c = JSON.parse(fs.readFileSync(f, "utf8"));
  c.process.terminal = false; c.process.args = ["/bin/true"]; c.root.readonly = false;
  fs.writeFileSync(f, JSON.stringify(c, null, 2));' "$W/bundle/config.json"

# crun 1.8 refuses this host's hybrid cgroups unless cgroup2 shows no
# controllers: hide them in a private mount namespace, and run every
# contender in it so that all are measured alike.
U=/sys/fs/cgroup/unified/cgroup.controllers
set -- "true=/bin/true" \
  "node -e 0=node -e 0" \
  "moby-dick=$ROOT/build/moby-dick run --rootfs $R /bin/true" \
  "runc=runc --root $W/runc run --bundle $W/bundle mdk-bench-runc"
# crun is one contender of four: without it the others are still measured
if command -v crun >/dev/null; then
  set -- "$@" "crun=crun --root $W/crun run --bundle $W/bundle mdk-bench-crun"
else
  echo "crun is not installed (apt-get install -y crun): measured without it" >&2
fi
unshare -m --propagation private sh -c '
  if [ -r "$1" ] && [ -n "$(cat "$1")" ]; then mount --bind /dev/null "$1"; fi
  shift; exec "$@"' sh "$U" \
  node "$HERE/paired.mjs" "$ROUNDS" "$@"
