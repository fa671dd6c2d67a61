#!/bin/sh
# The unit tests as an unprivileged user (nobody, no capabilities), which
# they must pass: what needs root is an integration test. Run as root after
# `make build`; the tree is copied to a temporary directory nobody can read
# (the checkout may sit where it cannot, as /root does), the copy removed
# at the end.
set -eu
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/mdk-test-unit-XXXXXX)
trap 'rm -rf "$dir"' EXIT
tar --exclude=./.git -cf - . | tar -C "$dir" -xf -
chmod -R a+rX "$dir"
cd "$dir"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all node --test build/tsc/src/
