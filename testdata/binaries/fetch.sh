#!/bin/sh
# Fetches real binaries for the binary-classifier tests (layer-walker/src/detect/binary):
# Debian packages downloaded with apt-get, unpacked with dpkg-deb, and truth.tsv with each
# binary's path, product and the upstream part of its package's Version (the package
# manager's word, not typed here).
#
#   usage: fetch.sh DIR     (then SBOM_BINARIES=DIR cargo test)
# Needs apt-get and dpkg-deb (Debian 12); about 22 MB. Reuses DIR when complete.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
[ -s truth.tsv ] && exit 0
# package  file in it  product
list="nginx usr/sbin/nginx nginx
apache2-bin usr/sbin/apache2 httpd
postgresql-15 usr/lib/postgresql/15/bin/postgres postgresql
busybox bin/busybox busybox
python3.11-minimal usr/bin/python3.11 python"
pkgs=$(echo "$list" | awk '{print $1}')
# shellcheck disable=SC2086
apt-get download -q $pkgs >/dev/null 2>&1 || { apt-get update -qq && apt-get download -q $pkgs; }
tmp=truth.tsv.part
printf '# path\tproduct\tversion (from the .deb)\n' >"$tmp"
echo "$list" | while read -r pkg path product; do
    deb=$(ls "${pkg}"_*.deb | head -1)
    dpkg-deb -x "$deb" .
    v=$(dpkg-deb -f "$deb" Version)
    v=${v#*:}        # epoch
    v=${v%-*}        # Debian revision
    v=${v%+dfsg*}    # repack suffix
    printf '%s\t%s\t%s\n' "$path" "$product" "$v" >>"$tmp"
done
rm -f ./*.deb
# Node.js: this machine kind has NodeSource's statically linked node installed by dpkg, whose
# repository is not reachable; the installed binary is copied, its version from dpkg-query
if node=$(dpkg -S /usr/bin/node 2>/dev/null | cut -d: -f1) && [ -n "$node" ]; then
    mkdir -p usr/bin
    cp /usr/bin/node usr/bin/node
    v=$(dpkg-query -W -f='${Version}' "$node")
    v=${v#*:}
    v=${v%-*}
    printf '%s\t%s\t%s\n' usr/bin/node node "$v" >>"$tmp"
fi
mv "$tmp" truth.tsv
cat truth.tsv
