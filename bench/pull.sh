#!/bin/sh
# Pull from a local registry: moby-dick pull (into an empty store, and again
# with everything present) against skopeo copy of the same image to a dir.
# Starts Debian's docker-registry on 127.0.0.1 (a free port), pushes a
# busybox-static image (two layers, gzip) with skopeo, runs hyperfine, and
# removes everything. Needs root, `make build`, and
#   apt-get install -y docker-registry skopeo hyperfine busybox-static
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
W=$(mktemp -d /tmp/mdk-test-bench-pull-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { [ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
mkdir -p "$W/rootfs/bin" "$W/rootfs/etc" "$W/extra/etc" "$W/layout"
cp /bin/busybox "$W/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$W/rootfs/bin/$a"; done
echo hello > "$W/extra/etc/mdk-test-hello"
cat > "$W/config.yml" <<EOT
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $W/data } }
http: { addr: 127.0.0.1:$PORT }
EOT
docker-registry serve "$W/config.yml" >/dev/null 2>&1 & RPID=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
# the image: an OCI layout written with umoci-free tools (tar, gzip, sha256sum)
L="$W/layout"; mkdir -p "$L/blobs/sha256"
blob() { d=$(sha256sum "$1" | cut -d' ' -f1); mv "$1" "$L/blobs/sha256/$d"; echo "$d"; }
layer() { tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner -cf "$W/l.tar" . ;
  diff=$(sha256sum "$W/l.tar" | cut -d' ' -f1); gzip -n "$W/l.tar"; size=$(stat -c %s "$W/l.tar.gz"); d=$(blob "$W/l.tar.gz"); echo "$d $size $diff"; }
set -- $(layer "$W/rootfs"); l1=$1 s1=$2 d1=$3
set -- $(layer "$W/extra"); l2=$1 s2=$2 d2=$3
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' "$d1" "$d2" > "$W/c.json"
cs=$(stat -c %s "$W/c.json"); c=$(blob "$W/c.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' "$c" "$cs" "$l1" "$s1" "$l2" "$s2" > "$W/m.json"
ms=$(stat -c %s "$W/m.json"); m=$(blob "$W/m.json")
echo '{"imageLayoutVersion":"1.0.0"}' > "$L/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' "$m" "$ms" > "$L/index.json"
skopeo copy -q --dest-tls-verify=false "oci:$L:latest" "docker://127.0.0.1:$PORT/bench/busybox:latest"
IMG="127.0.0.1:$PORT/bench/busybox:latest"
export MOBY_DICK_ROOT="$W/store"
hyperfine -N -w 1 -r "$RUNS" \
  --prepare "rm -rf $W/store" "./build/moby-dick pull -q $IMG" \
  --prepare "rm -rf $W/skopeo" "skopeo copy -q --src-tls-verify=false docker://$IMG dir:$W/skopeo"
./build/moby-dick pull -q "$IMG" >/dev/null
hyperfine -N -w 1 -r "$RUNS" "./build/moby-dick pull -q $IMG" "./build/moby-dick images"
[ -n "${PROFILE:-}" ] && { rm -rf "$W/store"; node --cpu-prof --cpu-prof-dir=/tmp/mdk-test-prof build/moby-dick.cjs pull -q "$IMG"; node --cpu-prof --cpu-prof-dir=/tmp/mdk-test-prof2 build/moby-dick.cjs pull -q "$IMG"; }
