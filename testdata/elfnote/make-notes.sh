#!/bin/sh
# Rebuilds the ELF package-note fixtures: hello.c linked by GNU ld with --package-metadata
# (binutils >= 2.39), which writes the `.note.package` note as Fedora's and Azure Linux's
# build systems do (-Xlinker, since -Wl would split the JSON at its commas). The JSON given
# to the linker is the input; the tests read each note back with `readelf --notes` as truth.
# Needs gcc and binutils (Debian 12: 2.40).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
# an Azure Linux rpm, the form its build system writes (type, name, version-release, arch,
# osCpe)
gcc -O2 -s -o note-rpm-azurelinux.elf hello.c -Xlinker --package-metadata='{"type":"rpm","name":"hello","version":"2.12.1-3.azl3","architecture":"x86_64","osCpe":"cpe:/o:microsoft:azure_linux:3.0"}'
# a shared library with a Debian note (dh-package-notes' fields: the source package)
gcc -O2 -s -shared -fPIC -o libnote-deb.so.1 hello.c -Xlinker --package-metadata='{"type":"deb","os":"Debian","name":"hello-src","version":"1:2.10-3","architecture":"amd64","debugInfoUrl":"https://debuginfod.debian.net"}'
# no note at all
gcc -O2 -s -o no-note.elf hello.c
ls -l note-rpm-azurelinux.elf libnote-deb.so.1 no-note.elf
