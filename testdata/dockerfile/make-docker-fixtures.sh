#!/bin/sh
# Rebuilds the Docker fixtures of this directory: `every-instruction.Dockerfile` built by a
# real Docker daemon with BuildKit and with the legacy builder (and BuildKit with
# `--target build`), writing each image's config (its history is what the mapping reads) and
# a truth file next to it.
#
# Needs: dockerd and the docker client from Debian's docker.io (20.10, embedded BuildKit),
# root, and a base image archive to `docker load` (default: debian-small.docker.tar built by
# shared/tools/images/make-images.sh). No network: the base is loaded, builds use
# --network host and fetch nothing. The daemon is private (own data root and socket) and
# stopped afterwards.
#
# The truth is not typed by hand: `docker-truth.py` pairs the builder's history entries, in
# order, with the instructions the builder executes (the base image's entries first; a child
# stage runs its parent's ONBUILD triggers after FROM), checks that every pair has the same
# keyword, and only then writes index -> Dockerfile line.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
base_tar=${BASE_TAR:-${SBOM_IMAGES:-$HOME/.cache/sbom-images}/debian-small.docker.tar}
tmp=$(mktemp -d /tmp/sbom-docker-fixtures.XXXXXX)
sock="$tmp/docker.sock"
/usr/sbin/dockerd --data-root "$tmp/data" --exec-root "$tmp/exec" --pidfile "$tmp/pid" \
    --host "unix://$sock" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
    --storage-driver overlay2 >"$tmp/dockerd.log" 2>&1 &
trap 'kill "$(cat "$tmp/pid")" 2>/dev/null; sleep 2; umount "$tmp/exec/netns/default" 2>/dev/null; rm -rf "$tmp"' EXIT
export DOCKER_HOST="unix://$sock"
D=/usr/bin/docker
i=0
until $D version >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 60 ] || { cat "$tmp/dockerd.log"; exit 1; }; sleep 1
done
$D load -i "$base_tar" >/dev/null
base=$($D image ls --format '{{.Repository}}:{{.Tag}}' | grep -v '^localhost/' | head -1)
ctx="$tmp/ctx"
mkdir -p "$ctx"
echo hello >"$ctx/a.txt"
echo world >"$ctx/b.txt"
cp "$here/every-instruction.Dockerfile" "$ctx/Dockerfile"
# the legacy builder lacks --mount and --chmod: the same file without them
sed -e 's/^COPY --chmod=[0-9]* /COPY /' -e 's/^RUN --mount=[^ ]* /RUN /' \
    "$here/every-instruction.Dockerfile" >"$ctx/Dockerfile.legacy"

build() { # name builder target(or -) dockerfile
    name=$1; kit=$2; target=$3; file=$4
    set -- --network host --build-arg BASE="$base" --build-arg VERSION=3.4 -f "$ctx/$file" -t "$name"
    [ "$target" = - ] || set -- "$@" --target "$target"
    DOCKER_BUILDKIT=$kit $D build -q "$@" "$ctx" >/dev/null
    $D image inspect "$name" >/dev/null
    $D save "$name" -o "$tmp/$name.tar"
    cfg=$(tar -xOf "$tmp/$name.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')
    tar -xOf "$tmp/$name.tar" "$cfg" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=1))' \
        >"$here/$name.config.json"
    nbase=$($D history -q "$base" | wc -l)
    python3 "$here/docker-truth.py" "$ctx/$file" "$here/$name.config.json" "$nbase" "$target" \
        >"$here/$name.truth-history.json"
    echo "wrote $name.config.json, $name.truth-history.json"
}
build docker-buildkit 1 - Dockerfile
build docker-buildkit-target 1 build Dockerfile
build docker-legacy 0 - Dockerfile.legacy
$D version --format 'client {{.Client.Version}}, server {{.Server.Version}}'
