#!/bin/sh
# Writes sparse-0.0.tar, sparse-0.1.tar and sparse-1.0.tar: one file with holes, stored by GNU
# tar in each PAX sparse format, and sparse.sha256, the digest of the file as it is on disk.
# The tests expand each archive's file and compare. Made with GNU tar 1.34 (Debian 12).
# Usage: testdata/tar/make-sparse.sh   (writes beside itself)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
f="$work/data/status"
# text, a 300 KiB hole, text, and a hole at the end: fragments, holes and a trailing hole
printf 'Package: first\nVersion: 1\n' > "$f"
truncate -s 300K "$f"
printf 'Package: second\nVersion: 2\n' >> "$f"
truncate -s 400K "$f"
sha256sum < "$f" | cut -d' ' -f1 > "$here/sparse.sha256"
for v in 0.0 0.1 1.0; do
    tar --sparse --sparse-version=$v --format=posix --hole-detection=raw \
        --mtime=@0 --owner=0 --group=0 --numeric-owner \
        --pax-option=delete=atime,delete=ctime \
        -C "$work/data" -cf "$here/sparse-$v.tar" status
done
