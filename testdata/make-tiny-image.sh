#!/usr/bin/env bash
# Builds testdata/images/tiny-debian.*: a small REAL three-layer image made from real Debian
# bookworm packages installed with dpkg, a real wheel and a real npm package, packed as
#   tiny-debian.docker.tar.gz   classic `docker save | gzip` archive (uncompressed layers inside)
#   tiny-debian.oci/            OCI image layout directory, gzip layers
#   tiny-debian.oci-zstd.tar    OCI image layout in a tar, zstd layers
#   tiny-debian.truth.json      what dpkg-query, the dist-info dirs and node_modules say after
#                               each layer (the test truth: nothing in it is typed by hand)
# Layers:
#   0  merged-/usr root, busybox-static (gives the root a /bin/sh for maintainer scripts),
#      base-files, netbase, hostname and a handful of libraries (dpkg --root --force-depends)
#   1  python3-six and python3-idna (dist-info owned by dpkg), attrs from a wheel under
#      /usr/local (owned by nobody), is-number from npm under /usr/local/lib/node_modules
#   2  dpkg --purge sensible-utils (whiteouts), is-number removed (directory whiteout), a config file
# Needs root (dpkg runs maintainer scripts chrooted into the new root), apt sources for
# bookworm, pip and npm with registry access, python3 and zstd.
# Usage: bash testdata/make-tiny-image.sh [OUT_DIR]   (default: testdata/images)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(realpath -m "${1:-$HERE/images}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
BASE_PKGS="base-files netbase hostname zlib1g liblzma5 libbz2-1.0 libzstd1 libacl1 libattr1 libcap2 sensible-utils libpcre2-8-0"
PY_PKGS="python3-six python3-idna"

[[ $(id -u) == 0 ]] || { echo "must run as root (dpkg --root runs maintainer scripts chrooted)" >&2; exit 1; }
for t in dpkg apt-get python3 zstd npm; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }; done

mkdir -p "$WORK/debs" "$WORK/whl" "$WORK/npm"
(cd "$WORK/debs" && apt-get download -q busybox-static base-passwd $BASE_PKGS $PY_PKGS >/dev/null 2>&1) \
  || { apt-get update -qq && (cd "$WORK/debs" && apt-get download -q busybox-static base-passwd $BASE_PKGS $PY_PKGS >/dev/null); }
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: attrs==23.2.0 -d "$WORK/whl"
(cd "$WORK/npm" && npm pack -q is-number@7.0.0 >/dev/null)

R="$WORK/root"
# the layout debootstrap gives bookworm: merged /usr
mkdir -p "$R"/usr/{bin,sbin,lib,lib64} "$R"/etc "$R"/var/lib/dpkg/{info,updates,triggers,alternatives} "$R"/tmp
for d in bin sbin lib lib64; do ln -s "usr/$d" "$R/$d"; done
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
# what base-passwd's first install writes (debootstrap does the same): base-files' postinst
# chowns to these users and groups
dpkg-deb --fsys-tarfile "$(ls "$WORK"/debs/base-passwd_*.deb)" | tar -xO ./usr/share/base-passwd/passwd.master > "$R/etc/passwd"
dpkg-deb --fsys-tarfile "$(ls "$WORK"/debs/base-passwd_*.deb)" | tar -xO ./usr/share/base-passwd/group.master > "$R/etc/group"
deb() { ls "$WORK"/debs/"$1"_*.deb; }
dpkg --root="$R" --force-depends -i "$(deb busybox-static)" >/dev/null
for a in sh cp mkdir chown chmod cat uname ln rm mv sed grep touch; do ln -sf busybox "$R/usr/bin/$a"; done
pkgs=(); for p in $BASE_PKGS; do pkgs+=("$(deb "$p")"); done
dpkg --root="$R" --force-depends --no-triggers -i "${pkgs[@]}" >/dev/null
query() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${db:Status-Abbrev}\n' | sort; }
cp -a "$R" "$WORK/s0"; query > "$WORK/q0.tsv"

pkgs=(); for p in $PY_PKGS; do pkgs+=("$(deb "$p")"); done
dpkg --root="$R" --force-depends --no-triggers -i "${pkgs[@]}" >/dev/null
SITE="$R/usr/local/lib/python3.11/dist-packages"
mkdir -p "$SITE"
python3 - "$WORK"/whl/attrs-*.whl "$SITE" <<'PY'
# what `pip install` does with a wheel, without pip touching this machine: unpack, write
# INSTALLER, and add the installed files to RECORD
import sys, zipfile, os
whl, site = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    z.extractall(site)
    info = next(n.split("/")[0] for n in z.namelist() if n.endswith(".dist-info/RECORD"))
open(os.path.join(site, info, "INSTALLER"), "w").write("pip\n")
with open(os.path.join(site, info, "RECORD"), "a") as r:
    r.write(f"{info}/INSTALLER,,\n")
PY
mkdir -p "$R/usr/local/lib/node_modules/is-number"
tar -xzf "$WORK"/npm/is-number-7.0.0.tgz -C "$R/usr/local/lib/node_modules/is-number" --strip-components=1
cp -a "$R" "$WORK/s1"; query > "$WORK/q1.tsv"

dpkg --root="$R" --force-depends --purge sensible-utils >/dev/null
rm -rf "$R/usr/local/lib/node_modules/is-number"
mkdir -p "$R/etc/tiny"; printf 'answer = 42\n' > "$R/etc/tiny/app.conf"
cp -a "$R" "$WORK/s2"; query > "$WORK/q2.tsv"

mkdir -p "$OUT"
python3 "$HERE/pack-image.py" --name tiny-debian --out "$OUT" \
  --layer "$WORK/s0" "ADD rootfs: busybox-static $BASE_PKGS (dpkg --root)" \
  --layer "$WORK/s1" "RUN dpkg -i $PY_PKGS; install attrs-23.2.0 wheel; npm is-number@7.0.0" \
  --layer "$WORK/s2" "RUN dpkg --purge sensible-utils; rm -r /usr/local/lib/node_modules/is-number; write /etc/tiny/app.conf" \
  --dpkg "$WORK/q0.tsv" "$WORK/q1.tsv" "$WORK/q2.tsv"
ls -la "$OUT"
