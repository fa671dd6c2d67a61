#!/bin/sh
# Cost of moby-dick's seccomp filter (a linear list of rules, compiled in
# src/oci/seccomp.ts): a syscall-heavy command (2 million read/write calls)
# in a container without a filter, and with a Docker-sized allow list of
# every x86_64 syscall (the worst case for a list: the last rule matches
# after ~360 comparisons).   bench/seccomp.sh [RUNS=5]
# Needs root, make build, busybox-static, hyperfine.
set -eu
RUNS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/mdk-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/rootfs/bin" "$W/state"
cp /bin/busybox "$W/rootfs/bin/busybox"
for a in sh dd true; do ln -s busybox "$W/rootfs/bin/$a"; done
node --input-type=module -e '
  import { writeFileSync, mkdirSync } from "node:fs";
  const root = process.argv[1], work = process.argv[2];
  const { defaultSpec } = await import(root + "/build/tsc/src/spec/default-spec.js");
  const { X86_64_SYSCALLS } = await import(root + "/build/tsc/src/linux/syscall-tables.js");
  const names = Object.keys(X86_64_SYSCALLS);
  for (const [name, seccomp] of [["none", undefined], ["allowlist", { defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], syscalls: [{ names: [...names.filter((n) => n !== "read" && n !== "write"), "read", "write"], action: "SCMP_ACT_ALLOW" }] }]]) {
    const s = defaultSpec();
    s.root = { path: work + "/rootfs", readonly: false };
    s.process.terminal = false;
    s.process.args = ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=1000000"];
    if (seccomp) s.linux.seccomp = seccomp;
    mkdirSync(work + "/" + name);
    writeFileSync(work + "/" + name + "/config.json", JSON.stringify(s));
  }' "$ROOT" "$W"
R="$ROOT/build/moby-dick-runtime --root $W/state"
hyperfine -N -w 1 -r "$RUNS" "$R run --bundle $W/none mdk-bench-none" "$R run --bundle $W/allowlist mdk-bench-allow"
