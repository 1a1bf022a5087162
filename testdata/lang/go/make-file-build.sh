#!/bin/sh
# Rebuilds go-file-build-cmdline.elf: a binary built from a file (`go build main.go`), so its
# build info has `path command-line-arguments` and no `mod` line. Needs only the Go toolchain
# (Debian: apt-get install golang-go); no network, no module. The EXPECTED file is what
# `go version -m` prints for the result: tests read the toolchain version from it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/src-file-build/main.go" "$work/main.go"
cd "$work"
export HOME="$work/home" GOPATH="$work/gopath" GOCACHE="$work/cache"
export GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0 GOOS=linux GOARCH=amd64
# -s -w strip the symbol table and DWARF (the build info section stays), -trimpath keeps
# this machine's paths out of the binary
go build -trimpath -ldflags='-s -w' -o go-file-build-cmdline.elf main.go
cp go-file-build-cmdline.elf "$here/"
{
    echo "# go version -m go-file-build-cmdline.elf ($(go version))"
    go version -m go-file-build-cmdline.elf
} > "$here/EXPECTED-go-file-build-cmdline.elf.go-version-m.txt"
