#!/bin/sh
# Rebuilds the PE and Mach-O Go fixtures: src-module-local (a main module requiring a module
# replaced by a local directory, so the build info has mod, dep and => lines; no network)
# cross-compiled for Windows and macOS. Needs only the Go toolchain (Debian: apt-get install
# golang-go). The EXPECTED files are what `go version -m` (which reads PE and Mach-O itself)
# prints for each result: the tests take toolchain and modules from them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/src-module-local/." "$work/"
cd "$work"
export HOME="$work/home" GOPATH="$work/gopath" GOCACHE="$work/cache"
export GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0
for target in windows/amd64:go-module-local.windows-amd64.exe \
    windows/386:go-module-local.windows-386.exe \
    darwin/arm64:go-module-local.darwin-arm64.macho; do
    os=${target%%/*}
    rest=${target#*/}
    arch=${rest%%:*}
    out=${rest#*:}
    # -s -w strip the symbol table and DWARF (the build info stays), -trimpath and
    # -buildvcs=false keep this machine's paths and VCS state out of the binary
    GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false -ldflags='-s -w' -o "$out" .
    cp "$out" "$here/"
    {
        echo "# go version -m $out ($(go version))"
        go version -m "$out"
    } > "$here/EXPECTED-$out.go-version-m.txt"
done
