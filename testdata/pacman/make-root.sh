#!/bin/sh
# Builds three real pacman packages with makepkg and installs them with pacman into a fresh
# root, so testdata/pacman/root/var/lib/pacman/local holds a database pacman itself wrote,
# and truth.txt what `pacman -Qi` says of it. Needs Debian's pacman-package-manager and
# makepkg (apt-get install pacman-package-manager makepkg libarchive-tools). makepkg will not
# run as root: as root the builds run as nobody.
#
#   sh testdata/pacman/make-root.sh [OUT]     (default: testdata/pacman)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

pkg() { # NAME VERSION REL LICENSES DEPENDS FILE [EPOCH]
  d="$work/build/$1"
  mkdir -p "$d"
  cat > "$d/PKGBUILD" <<PKG
pkgname=$1
pkgver=$2
pkgrel=$3
${7:+epoch=$7}
pkgdesc="test package $1 for the sbom pacman detector"
arch=('x86_64')
url="https://example.invalid/$1"
license=($4)
depends=($5)
source=()
package() {
  install -d "\$pkgdir/usr/bin" "\$pkgdir/usr/share/doc/$1"
  printf '#!/bin/sh\necho $1 $2\n' > "\$pkgdir/$6"
  chmod 755 "\$pkgdir/$6"
  echo "$1" > "\$pkgdir/usr/share/doc/$1/README"
}
PKG
}
pkg libfoo 1.2.3 1 "'MIT'" "" usr/bin/foo-config
pkg foo-tools 2.0 3 "'GPL-2.0-or-later' 'LGPL-2.1-only'" "'libfoo>=1.2'" usr/bin/foo
pkg bar 0.9.1 1 "'Apache-2.0'" "'libfoo' 'foo-tools'" usr/bin/bar 2
mkdir -p "$work/pkgs"
chmod -R a+rwX "$work"
for p in libfoo foo-tools bar; do
  if [ "$(id -u)" = 0 ]; then
    (cd "$work/build/$p" && runuser -u nobody -- env PKGDEST="$work/pkgs" BUILDDIR="$work/b" SRCDEST="$work/s" HOME="$work" makepkg --nodeps --noconfirm --skipinteg >/dev/null 2>&1)
  else
    (cd "$work/build/$p" && PKGDEST="$work/pkgs" BUILDDIR="$work/b" SRCDEST="$work/s" makepkg --nodeps --noconfirm --skipinteg >/dev/null 2>&1)
  fi
done
root="$work/root"
mkdir -p "$root/var/lib/pacman"
printf '[options]\nArchitecture = auto\nSigLevel = Never\n' > "$work/pacman.conf"
pacman --config "$work/pacman.conf" --root "$root" --dbpath "$root/var/lib/pacman" \
  --noconfirm --noscriptlet --disable-sandbox -U "$work"/pkgs/*.pkg.tar.* >/dev/null 2>&1 \
  || pacman --config "$work/pacman.conf" --root "$root" --dbpath "$root/var/lib/pacman" \
       --noconfirm --noscriptlet -U "$work"/pkgs/*.pkg.tar.*
rm -rf "$out/root"
mkdir -p "$out/root/var/lib/pacman"
cp -a "$root/var/lib/pacman/local" "$out/root/var/lib/pacman/"
# what pacman itself says: the truth the detector's test compares with
pacman --config "$work/pacman.conf" --root "$root" --dbpath "$root/var/lib/pacman" -Qi > "$out/truth.txt"
echo "wrote $out/root/var/lib/pacman/local and $out/truth.txt" >&2
