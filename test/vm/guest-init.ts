/**
 * What the test VM runs as PID 1 (busybox sh). The first stage, in the
 * initramfs, loads the 9p/virtio/overlay modules, mounts the host's `/`
 * (read-only over 9p) under a tmpfs overlay, the run's results directory
 * (read-write over 9p) at its host path, tmpfs on /tmp, /run, /var/tmp and
 * /var/lib (the host's command directory, if under one of them, bound back
 * read-only), cgroup2 with nsdelegate and every controller enabled in the
 * root, then switches root. The second stage
 * runs RESULTS/cmd.sh (written by vm.ts) with its output in RESULTS/stdout
 * and RESULTS/stderr and its exit status in RESULTS/exit, and powers off.
 * Nothing of the host's is written but the results directory.
 */

export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "mdk-vm: $*"; reboot -f; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/modules/$m" || fail "insmod $m"; done < /modules/order
results=
show=
for a in $(cat /proc/cmdline); do case "$a" in mdk.results=*) results="\${a#mdk.results=}";; mdk.show=*) show="\${a#mdk.show=}";; esac; done
[ -n "$results" ] || fail "no mdk.results= on the kernel command line"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || fail "9p mount of the host's /"
mount -t tmpfs -o mode=0755 rw /rw && mkdir /rw/upper /rw/work || fail "tmpfs for the overlay"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "overlay root"
for d in proc sys dev; do mount --move "/$d" "/newroot/$d" || fail "move /$d"; done
mount -t cgroup2 -o nsdelegate cgroup2 /newroot/sys/fs/cgroup || fail "cgroup2 mount"
for c in $(cat /newroot/sys/fs/cgroup/cgroup.controllers); do echo "+$c" > /newroot/sys/fs/cgroup/cgroup.subtree_control || fail "enable $c"; done
mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
mount -t mqueue mqueue /newroot/dev/mqueue
for d in tmp run var/tmp var/lib; do mount -t tmpfs -o mode=0755 "vm-$(echo $d | tr / -)" "/newroot/$d" || fail "tmpfs on /$d"; done
chmod 1777 /newroot/tmp /newroot/var/tmp
# the command's directory under one of those tmpfs (a checkout in /tmp): the host's, read-only
case "$show" in /tmp/*|/run/*|/var/tmp/*|/var/lib/*) mkdir -p "/newroot$show" && mount --bind "/lower$show" "/newroot$show" || fail "bind of $show";; esac
mkdir -p "/newroot$results" && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results "/newroot$results" || fail "9p mount of $results"
mkdir /newroot/mdk-vm && cp /bin/busybox /stage2 /newroot/mdk-vm/ || fail "second stage"
exec switch_root /newroot /mdk-vm/busybox sh /mdk-vm/stage2 "$results"
`;

export const GUEST_STAGE2 = `# the host's / under a tmpfs overlay is the root now
b=/mdk-vm/busybox
results="$1"
$b hostname mdk-vm
$b ip link set lo up
cd /
$b sh "$results/cmd.sh" > "$results/stdout" 2> "$results/stderr" < /dev/null
echo $? > "$results/exit"
$b sync
$b reboot -f
echo b > /proc/sysrq-trigger
`;
