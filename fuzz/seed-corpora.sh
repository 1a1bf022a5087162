#!/bin/sh
# Seeds fuzz/corpus/<target>/ from the real fixtures under testdata/ (corpus dirs are not
# committed). Run from anywhere; safe to rerun (files are named by content).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
td="$here/../testdata"
corpus="$here/corpus"

seed() { # seed TARGET FILE...
    t=$1; shift
    mkdir -p "$corpus/$t"
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$t/$(sha256sum "$f" | cut -c1-16)"
    done
}

seed image "$td"/images/*.tar "$td"/images/*.tar.gz "$td"/dockerfile/*.docker.tar
# layers: the uncompressed layer tars inside the OCI layout
for b in "$td"/images/tiny-debian.oci/blobs/sha256/*; do
    if gzip -t "$b" 2>/dev/null; then
        mkdir -p "$corpus/layer_tar"
        gzip -dc "$b" > "$corpus/layer_tar/$(basename "$b" | cut -c1-16)"
    fi
done
# tar dialects (GNU sparse files in PAX format)
seed layer_tar "$td"/tar/*.tar
seed dpkg_status $(find "$td/dpkg" -path '*/var/lib/dpkg/status' -type f)
seed dpkg_status_d $(find "$td/dpkg" -path '*/status.d/*' -type f)
seed apk_installed $(find "$td/apk" -name installed -type f)
seed rpm_bdb $(find "$td/rpm" -name Packages -type f)
seed rpm_ndb $(find "$td/rpm" -name Packages.db -type f)
seed rpm_sqlite $(find "$td/rpm" -name rpmdb.sqlite -type f)
seed rpm_manifest $(find "$td/rpm" -name 'container-manifest-2' -type f)
seed bitnami_spdx $(find "$td/bitnami" -name '.spdx-*.spdx' -type f)
seed bitnami_components $(find "$td/bitnami" -name '.bitnami_components.json' -type f)
# the kernel fixtures are fetched, not stored (testdata/binaries/fetch.sh)
if [ -n "${SBOM_BINARIES:-}" ] && [ -d "$SBOM_BINARIES/kernel" ]; then
    seed kernel_module $(find "$SBOM_BINARIES/kernel" -name '*.ko' -type f)
    seed kernel_module_xz $(find "$SBOM_BINARIES/kernel" -name '*.ko.xz' -type f)
    seed kernel_image $(find "$SBOM_BINARIES/kernel/boot" -type f)
fi
# header blobs: cut out of the NDB fixture (slot table after a 32-byte header, 4 KiB pages)
if command -v python3 >/dev/null; then
    mkdir -p "$corpus/rpm_header"
    for db in $(find "$td/rpm" -name Packages.db -type f); do
        python3 - "$db" "$corpus/rpm_header" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb").read()
pages = struct.unpack_from("<I", f, 12)[0]
n = 0
for off in range(32, pages * 4096, 16):
    magic, idx, blkoff, blkcnt = struct.unpack_from("<4sIII", f, off)
    if magic != b"Slot" or idx == 0:
        continue
    start = blkoff * 16
    if f[start:start + 4] != b"BlbS":
        continue
    length = struct.unpack_from("<I", f, start + 12)[0]
    open(f"{sys.argv[2]}/ndb-{idx}", "wb").write(f[start + 16:start + 16 + length])
    n += 1
    if n >= 20:
        break
PY
    done
fi
seed os_release $(find "$td/distro" "$td/dpkg" -name '*release*' -type f) $(find "$td/distro" -name debian_version -type f)
seed dockerfile "$td"/dockerfile/*.Dockerfile
seed python_metadata $(find "$td/lang/python" \( -name METADATA -o -name PKG-INFO -o -name RECORD -o -name '*.egg-info' \) -type f)
seed npm_package_json $(find "$td/lang/npm" -name package.json -type f)
seed npm_lockfile $(find "$td/lang/npm" -name package-lock.json -type f)
seed go_elf "$td"/lang/go/*.elf
seed rust_elf "$td"/lang/rust/*.elf
# the format byte exe_pe_macho reads first (0: PE, 1: Mach-O 64) is the seed's own magic
for f in "$td"/lang/go/*.exe "$td"/lang/rust/*.exe "$td"/lang/go/*.macho; do
    case $f in *.exe) b='\000' ;; *) b='\001' ;; esac
    tmp=$(mktemp)
    { printf "$b"; cat "$f"; } >"$tmp"
    seed exe_pe_macho "$tmp"
    rm -f "$tmp"
done
seed java_jar "$td"/lang/java/*.jar
seed gemspec "$td"/lang/ruby/specifications/*.gemspec
seed composer_installed "$td"/lang/php/*/vendor/composer/installed.json
seed dotnet_deps_json "$td"/lang/dotnet/*.deps.json
for d in "$corpus"/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done
