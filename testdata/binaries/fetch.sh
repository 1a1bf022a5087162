#!/bin/sh
# Fetches real binaries for the binary-classifier tests (layer-walker/src/detect/binary):
# Debian packages downloaded with apt-get, unpacked with dpkg-deb, and truth.tsv with each
# binary's path, product, the upstream part of its package's Version (the package
# manager's word, not typed here) and the flag that makes the binary print its own version
# (`-` for libraries); the test runs it where the binary runs here and checks its output.
#
#   usage: fetch.sh DIR     (then SBOM_BINARIES=DIR cargo test)
# Needs apt-get, dpkg-deb, kmod's modinfo, xz, zstd and gzip (Debian 12); about 340 MB
# unpacked. Reuses DIR when complete (delete DIR/truth.tsv to refetch after this list
# changes; a truth.tsv without the flag column is refetched).
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
# complete, and written by this version of the script (the flag column came later)
[ -s truth.tsv ] && [ -s kernel-truth.tsv ] && head -1 truth.tsv | grep -q 'version flag' && exit 0
# package  file in it  product  version flag
list="nginx usr/sbin/nginx nginx -v
apache2-bin usr/sbin/apache2 httpd -v
postgresql-15 usr/lib/postgresql/15/bin/postgres postgresql --version
busybox bin/busybox busybox --help
python3.11-minimal usr/bin/python3.11 python --version
redis-tools usr/bin/redis-check-rdb redis --version
openssl usr/bin/openssl openssl version
libssl3 usr/lib/x86_64-linux-gnu/libcrypto.so.3 openssl -
libruby3.1 usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1.2 ruby -
php8.2-cli usr/bin/php8.2 php --version
libapache2-mod-php8.2 usr/lib/apache2/modules/libphp8.2.so php -
perl-base usr/bin/perl perl -v
memcached usr/bin/memcached memcached --version
haproxy usr/sbin/haproxy haproxy -v
mariadb-server-core usr/sbin/mariadbd mariadb --version
bash bin/bash bash --version
curl usr/bin/curl curl --version
libcurl4 usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0 libcurl -"
# libraries some of them need to run here for their version flag (unpacked, not scored),
# and libsystemd0, whose library carries an ELF package note (detect/elfnote's test)
libs="liblzf1 libjemalloc2 libopentracing-c-wrapper0 libopentracing1 libsystemd0"
pkgs="$(echo "$list" | awk '{print $1}') $libs"
# shellcheck disable=SC2086
apt-get download -q $pkgs >/dev/null 2>&1 || { apt-get update -qq && apt-get download -q $pkgs; }
tmp=truth.tsv.part
printf '# path\tproduct\tversion (from the .deb)\tversion flag\n' >"$tmp"
echo "$list" | while read -r pkg path product flag; do
    deb=$(ls "${pkg}"_*.deb | head -1)
    dpkg-deb -x "$deb" .
    v=$(dpkg-deb -f "$deb" Version)
    v=${v#*:}        # epoch
    v=${v%-*}        # Debian revision
    v=${v%+dfsg*}    # repack suffix
    v=${v#*+really}  # a security upload that reverts to an older upstream (3.1.7+really3.1.2)
    printf '%s\t%s\t%s\t%s\n' "$path" "$product" "$v" "$flag" >>"$tmp"
done
for pkg in $libs; do
    dpkg-deb -x "$(ls "${pkg}"_*.deb | head -1)" .
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
    printf '%s\t%s\t%s\t%s\n' usr/bin/node node "$v" --version >>"$tmp"
fi
# A Linux kernel and modules (layer-walker/src/detect/kernel): Debian's cloud kernel (about
# 26 MB), its bzImage and three modules, and copies of the modules compressed the ways
# distributions ship them (xz as the kernel's own Makefile does it, zstd, gzip) under extra/.
# kernel-truth.tsv: the release from the package's name (the /lib/modules directory dpkg
# installs), then modinfo's fields of each module (kmod's modinfo reads the file itself).
kpkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
apt-get download -q "$kpkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get download -q "$kpkg"; }
kdeb=$(ls "${kpkg}"_*.deb | head -1)
rm -rf kernel.part && mkdir kernel.part
dpkg-deb -x "$kdeb" kernel.part/x
release=${kpkg#linux-image-}
mkdir -p kernel.part/boot "kernel.part/lib/modules/$release/kernel" "kernel.part/lib/modules/$release/extra"
cp "kernel.part/x/boot/vmlinuz-$release" kernel.part/boot/
ktmp=kernel-truth.tsv.part
printf '# release\t%s\n# path\tname\tversion\tlicense\tvermagic\n' "$release" >"$ktmp"
for m in net/key/af_key net/tipc/tipc net/vmw_vsock/vsock; do
    src=kernel.part/x/lib/modules/$release/kernel/$m.ko
    b=$(basename "$m")
    cp "$src" "kernel.part/lib/modules/$release/kernel/$b.ko"
    xz --check=crc32 --lzma2=dict=1MiB -c "$src" >"kernel.part/lib/modules/$release/extra/$b-xz.ko.xz"
    zstd -q -c "$src" >"kernel.part/lib/modules/$release/extra/$b-zst.ko.zst"
    gzip -c "$src" >"kernel.part/lib/modules/$release/extra/$b-gz.ko.gz"
    printf '%s\t%s\t%s\t%s\t%s\n' "/lib/modules/$release/kernel/$b.ko" "$(modinfo -F name "$src")" \
        "$(modinfo -F version "$src")" "$(modinfo -F license "$src")" "$(modinfo -F vermagic "$src")" >>"$ktmp"
done
rm -rf kernel.part/x "$kdeb" kernel
mv kernel.part kernel
mv "$ktmp" kernel-truth.tsv
mv "$tmp" truth.tsv
cat truth.tsv kernel-truth.tsv
