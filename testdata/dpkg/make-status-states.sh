#!/bin/bash
# Makes status-states/status: a dpkg status file with one package in each state dpkg
# can leave a package in, written by the real dpkg (run as root: dpkg --root).
# The .debs are built here with dpkg-deb; their maintainer scripts fail on purpose to
# leave dpkg half-way. Usage: sudo bash make-status-states.sh [outdir]
set -eu
out=$(realpath "${1:-$(dirname "$0")/status-states}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc" "$root/usr/share"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"

# mkdeb NAME [preinst-exit] [postinst-exit] [postrm-exit] [triggers-line] [file-dir]
mkdeb() {
    local name=$1 pre=${2:-} post=${3:-} postrm=${4:-} trig=${5:-} dir=${6:-/usr/share/$1}
    local d=$work/src/$name
    mkdir -p "$d/DEBIAN" "$d$dir" "$d/etc"
    echo "$name" >"$d$dir/$name.txt"
    echo "# $name" >"$d/etc/$name.conf"
    echo "/etc/$name.conf" >"$d/DEBIAN/conffiles"
    cat >"$d/DEBIAN/control" <<C
Package: $name
Version: 1.0-1
Architecture: all
Maintainer: Test <test@example.org>
Description: $name, a package left in one dpkg state
C
    for s in preinst:$pre postinst:$post postrm:$postrm; do
        local script=${s%%:*} code=${s#*:}
        if [ -n "$code" ]; then
            printf '#!/bin/sh\nexit %s\n' "$code" >"$d/DEBIAN/$script"
            chmod 755 "$d/DEBIAN/$script"
        fi
    done
    [ -n "$trig" ] && echo "$trig" >"$d/DEBIAN/triggers"
    dpkg-deb --root-owner-group -Zgzip --build "$d" "$work/$name.deb" >/dev/null
}

D="dpkg --root=$root --force-not-root --force-script-chrootless"
mkdeb ok-pkg
mkdeb cfg-pkg
mkdeb unp-pkg
mkdeb hc-pkg "" 1
mkdeb hi-pkg 1 "" 1
mkdeb trig-int "" "" "" "interest /usr/share/trig-watch"
mkdeb trig-act "" "" "" "" /usr/share/trig-watch
mkdeb notinst-pkg

$D -i "$work/ok-pkg.deb" "$work/cfg-pkg.deb" "$work/trig-int.deb"
$D --remove cfg-pkg                      # deinstall ok config-files
$D --unpack "$work/unp-pkg.deb"          # install ok unpacked
$D -i "$work/hc-pkg.deb" || true         # postinst fails: half-configured
$D -i "$work/hi-pkg.deb" || true         # preinst and postrm abort-install fail: reinstreq half-installed
$D --no-triggers -i "$work/trig-act.deb" # trig-int triggers-pending, trig-act triggers-awaited
$D --record-avail "$work/notinst-pkg.deb"
echo "notinst-pkg install" | $D --set-selections # install ok not-installed

mkdir -p "$out"
cp "$root/var/lib/dpkg/status" "$out/status"
# what dpkg itself says of each, for the test to compare against
dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Package}\t${db:Status-Want} ${db:Status-Eflag} ${db:Status-Status}\n' >"$out/dpkg-query-W.tsv"
dpkg --version | head -1 >"$out/dpkg-version.txt"
