#!/bin/sh
# Installs, from Debian's packages, what moby-dick and its tests use (the
# README's quick start and .ci/run both run this). As root, on Debian 12.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update
# gcc/make: the C helper; busybox-static: the test root filesystems;
# iproute2, util-linux, procps: `ip a`, `ipcmk`/`ipcs`/`setpriv`, `ps` as
# the tests run them; python3: the pseudo-terminal driver of the TTY tests
# and the xattr reader of the layer tests; zstd: zstd image layers are
# decompressed by Debian's zstd (Node 20's zlib has none), and a test uses it;
# xz-utils, bzip2: the builder's ADD of a .tar.xz / .tar.bz2 (the same way);
# nftables: `nft`, for the engine's NAT table (iproute2's `ip` makes its
# bridges; the C helper makes the veths with netlink); zsh, fish: the
# completion test runs the scripts `moby-dick completion` writes for them;
# man-db (and groff-base): the man pages test renders build/man with man -l
apt-get -o DPkg::Lock::Timeout=600 install -y gcc make libc6-dev busybox-static iproute2 util-linux procps python3 zstd xz-utils bzip2 nftables zsh fish man-db
# The OCI runtime's real callers, for test/integration/oci-callers.test.ts:
# containerd (ctr and its runc shim), podman (with conmon, and netavark as its
# network stack rather than whichever one apt would pick), docker.io
# (dockerd), and umoci + skopeo to pack the busybox image they load.
# No recommends: nothing there is used (rootless helpers, buildah, apparmor,
# cgroupfs-mount's init script). These machines have no systemd, so docker.io's
# postinst would start a system dockerd through its init script (a docker0
# bridge, iptables rules, /var/run/docker.sock): a policy-rc.d that refuses
# every start keeps the install from starting any daemon; the tests start
# private ones of their own. It is removed again if this script put it there.
policy_rc=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  policy_rc=/usr/sbin/policy-rc.d
  trap 'rm -f "$policy_rc"' EXIT
  printf '#!/bin/sh\n# .ci/run: no service starts during the install\nexit 101\n' > "$policy_rc"
  chmod 755 "$policy_rc"
fi
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends containerd podman conmon netavark docker.io iptables umoci skopeo
if [ -n "$policy_rc" ]; then rm -f "$policy_rc"; trap - EXIT; fi
# a policy-rc.d of the machine's own may have let the init script start it
if [ -f /var/run/docker-ssd.pid ]; then /etc/init.d/docker stop || true; fi
# the CRI test (test/integration/cri.test.ts): containerd's CRI plugin sets
# up its pods' networks with the CNI plugins of containernetworking-plugins
# (/usr/lib/cni: bridge, host-local, loopback), on a bridge of the test's own
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends containernetworking-plugins
# the image tests: docker-registry (a real registry on 127.0.0.1), skopeo
# (pushes the test images and reads back what moby-dick pushed),
# apache2-utils (htpasswd for the registry with auth); g++ and python3
# build better-sqlite3; openssl makes the certificates of the TLS test
apt-get -o DPkg::Lock::Timeout=600 install -y docker-registry apache2-utils tar g++ openssl
# the package's own service (if its install started one) would listen on
# :5000 on every interface; the tests start their own on 127.0.0.1
/etc/init.d/docker-registry stop >/dev/null 2>&1 || true
# the Engine API's tests (test/integration/api-*.test.ts): docker-py, a real
# SDK client of the service, run by Debian's /usr/bin/python3 (docker.io,
# above, is the docker CLI they drive it with)
apt-get install -y --no-install-recommends python3-docker
# Docker Compose for test/integration/api-compose.test.ts: Debian's
# docker-compose 1.29 (python, on docker-py), a real Compose client of the
# service (a three-service project: up, ps, logs, exec, restart, down -v)
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends docker-compose
# the cgroup-v2-only test VM (test/vm/, test/integration/vm-cgroup-v2.test.ts):
# QEMU with a software CPU boots Debian's kernel with cgroup_no_v1=all and an
# initramfs of busybox-static (above) and modules; cpio packs that initramfs.
# linux-image-amd64 pulls udev and initramfs-tools into the host (nothing of
# them runs here: no systemd); the host keeps booting its own kernel
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends qemu-system-x86 linux-image-amd64 cpio kmod xz-utils
# rootless containers (src/rootless/, test/integration/rootless.test.ts):
# newuidmap and newgidmap (setuid root) write an ordinary user's
# /etc/subuid and /etc/subgid ranges into the container's user namespace
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends uidmap
# a rootless container's default network and -p (src/network/pasta.ts,
# test/integration/rootless-network.test.ts): pasta, as the user
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends passt
