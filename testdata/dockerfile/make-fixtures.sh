#!/bin/sh
# Rebuilds the buildah fixtures of this directory: a locally built base image and a
# two-stage image FROM it, then writes their image configs (as `buildah inspect --type image`
# reports them, the OCIv1 config only) next to the Dockerfiles.
#
# Needs only buildah (tested with 1.28.2); no network: every image starts FROM scratch with a
# tiny tar made here. Storage is private under a temp dir and removed afterwards.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/sbom-df-fixtures.XXXXXX)
trap 'buildah --root "$tmp/root" --runroot "$tmp/runroot" --storage-driver vfs rm --all >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
B="buildah --root $tmp/root --runroot $tmp/runroot --storage-driver vfs"

ctx="$tmp/ctx"
mkdir -p "$ctx/root/bin" "$ctx/root/etc"
echo "fixture" > "$ctx/root/etc/fixture-release"
echo "hello" > "$ctx/hello.txt"
echo "world" > "$ctx/world.txt"
tar -C "$ctx/root" -cf "$ctx/root.tar" .
cp "$here/buildah-base.Dockerfile" "$here/buildah-multi.Dockerfile" "$ctx/"

$B bud --isolation chroot --layers -f "$ctx/buildah-base.Dockerfile" -t localhost/base "$ctx"
$B bud --isolation chroot --layers --build-arg DEST=/srv/data \
    -f "$ctx/buildah-multi.Dockerfile" -t localhost/multi "$ctx"

# only the OCI config: the rest of `inspect` (container ids, storage paths) varies per run
for img in base multi; do
    $B inspect --type image "localhost/$img" |
        python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["OCIv1"], indent=2))' \
        > "$here/buildah-$img.config.json"
done
echo "wrote $here/buildah-base.config.json $here/buildah-multi.config.json"
