#!/bin/sh
# Makes site-library/ from Debian's r-cran-* packages (the DESCRIPTION files R CMD INSTALL
# wrote when Debian built them, plus a source-tree DESCRIPTION one of them ships under
# /usr/share/doc, which is not an installed package), and truth.tsv from R itself:
# installed.packages() on that library. Needs apt-get download and Debian's r-base-core.
#   sh testdata/lang/r/make-fixture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download r-cran-jsonlite r-cran-r6 r-cran-magrittr r-cran-rlang >/dev/null 2>&1
rm -rf "$here/site-library" "$here/doc"
for d in *.deb; do
  dpkg-deb -x "$d" x
done
mkdir -p "$here/site-library" "$here/doc"
for p in x/usr/lib/R/site-library/*/; do
  n=$(basename "$p")
  mkdir -p "$here/site-library/$n"
  cp "$p/DESCRIPTION" "$here/site-library/$n/DESCRIPTION"
  # installed.packages() reads Meta/package.rds, which R CMD INSTALL writes beside it
  mkdir -p "$here/site-library/$n/Meta"
  cp "$p/Meta/package.rds" "$here/site-library/$n/Meta/"
done
# a package's test fixture: a DESCRIPTION outside any library, without Built:
cp x/usr/share/doc/r-cran-rlang/tests/testthat/fixtures/rlanglibtest/DESCRIPTION "$here/doc/DESCRIPTION"
ls *.deb > "$here/debs.txt"
Rscript -e '
ip <- installed.packages(lib.loc = commandArgs(TRUE)[1], fields = "Repository")
deps <- function(i) { v <- unlist(strsplit(paste(na.omit(ip[i, c("Depends", "Imports", "LinkingTo")]), collapse = ","), ",")); v <- trimws(sub("\\(.*", "", v)); paste(sort(unique(v[v != "" & v != "R"])), collapse = " ") }
cat("# R", as.character(getRversion()), "installed.packages(): Package Version License Depends+Imports+LinkingTo\n", sep = " ")
for (i in seq_len(nrow(ip))) cat(ip[i, "Package"], "\t", ip[i, "Version"], "\t", ip[i, "License"], "\t", deps(i), "\n", sep = "")
' "$here/site-library" > "$here/truth.tsv"
