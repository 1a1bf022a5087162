#!/bin/sh
# Regenerates alpm.tsv: pacman's own `vercmp` (Debian's pacman-package-manager) on every
# version pair of ../rpm/vercmp.tsv (rpm's edge cases: separators, letters, tildes, carets,
# leading zeros) and on pacman's epoch:version-release forms.
# Usage: sh make-alpm-table.sh
set -eu
cd "$(dirname "$0")"
{
  printf '# a\tb\tpacman %s vercmp(a, b)\n' "$(pacman -V 2>/dev/null | sed -n 's/.*Pacman v\([0-9.]*\).*/\1/p' | head -1)"
  grep -v '^#' ../rpm/vercmp.tsv | cut -f1,2
  for a in 1.0-1 1.0-2 1.0 1:1.0-1 1:0.9-1 2:0.1 0:1.0-1 1.0.a-1 1.0a-1 1.0-1.1 10-1 1.0rc1-1 1.0.0-1 1.0+1-1; do
    for b in 1.0-1 1.0-2 1.0 1:1.0-1 1:0.9-1 2:0.1 0:1.0-1 1.0.a-1 1.0a-1 1.0-1.1 10-1 1.0rc1-1 1.0.0-1 1.0+1-1; do
      printf '%s\t%s\n' "$a" "$b"
    done
  done
} | while IFS="$(printf '\t')" read -r a b; do
  case "$a" in '#'*) printf '%s\t%s\n' "$a" "$b"; continue ;; esac
  printf '%s\t%s\t%s\n' "$a" "$b" "$(vercmp "$a" "$b")"
done > alpm.tsv
