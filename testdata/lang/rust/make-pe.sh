#!/bin/sh
# Rebuilds cargo-auditable-itoa.windows-386.exe: the `.dep-v0` section `cargo auditable`
# writes (for src-auditable-pe, a crate depending on itoa from crates.io), in a real PE
# executable. No Windows Rust target can be installed here (rustup has no network), so the
# section cargo-auditable built into a Linux ELF is moved with objcopy into the PE Go
# fixture (../go/go-module-local.windows-386.exe, from make-pe-macho.sh) as a new section,
# where cargo-auditable puts it in a Windows build: a section named `.dep-v0`.
# EXPECTED-*.json is what rust-audit-info (crates.io; it reads PE itself) prints for the PE.
# Needs cargo-auditable, rust-audit-info, binutils' objcopy (Debian's reads PE) and crates.io.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/src-auditable-pe/." "$work/"
cd "$work"
CARGO_TARGET_DIR="$work/target" cargo auditable build --release -q
elf=target/release/auditable-pe-fixture
objcopy --dump-section .dep-v0=dep-v0.bin "$elf"
pe="$here/../go/go-module-local.windows-386.exe"
# after the carrier's last section, so the image stays well-formed
end=$(objdump -h "$pe" | awk '/^ *[0-9]+ /{print $3, $4}' | while read -r size vma; do
    echo $(( (0x$vma + 0x$size + 0xfff) / 0x1000 * 0x1000 ))
done | sort -n | tail -1)
out=cargo-auditable-itoa.windows-386.exe
objcopy --add-section .dep-v0=dep-v0.bin --set-section-flags .dep-v0=contents,readonly,data \
    --change-section-address .dep-v0="$end" "$pe" "$out"
cp "$out" "$here/"
rust-audit-info "$elf" > elf.json
rust-audit-info "$out" > pe.json
cmp elf.json pe.json
cp pe.json "$here/EXPECTED-$out.rust-audit-info.json"
