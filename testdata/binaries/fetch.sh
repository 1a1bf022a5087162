#!/bin/sh
# Fetches real binaries for the binary-classifier tests (layer-walker/src/detect/binary):
# Debian packages downloaded with apt-get, unpacked with dpkg-deb, and truth.tsv with each
# binary's path, product and the upstream part of its package's Version (the package
# manager's word, not typed here).
#
#   usage: fetch.sh DIR     (then SBOM_BINARIES=DIR cargo test)
# Needs apt-get, dpkg-deb, kmod's modinfo, xz, zstd and gzip (Debian 12); about 50 MB.
# Reuses DIR when complete.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
[ -s truth.tsv ] && [ -s kernel-truth.tsv ] && exit 0
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
