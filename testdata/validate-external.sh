#!/usr/bin/env bash
# Runs the external SBOM validators (and Trivy as a real consumer) on our documents and prints a
# PASS/FAIL table:
#   SPDX JSON / tag-value : pyspdxtools -i (spdx-tools), ntia-checker (NTIA minimum elements)
#   CycloneDX JSON        : cyclonedx-python-lib JsonStrictValidator for the document's specVersion
#   all of them           : testdata/trivy-roundtrip.sh (Trivy finds the OS and every package)
# Install the tools with `bash /work/shared/tools/anchors/install.sh` (they land in
# ${SBOM_ANCHORS:-~/.cache/sbom-anchors}). Missing tools are reported as SKIP, not as failure.
#
# Usage:
#   testdata/validate-external.sh                 # scan the test images, then check everything
#   testdata/validate-external.sh DOC...          # check the given documents
# Without arguments the documents of testdata/images/{tiny-debian,alpine-3.10} and, when
# present, /root/.cache/sbom-images/{debian-small,rpm-sqlite,rpm-bdb} (SBOM_IMAGES overrides
# the directory) are written with target/debug/sbom (SBOM_BIN overrides; build it with
# `cargo build -p sbom-cli`) into $SBOM_DOCS (default /tmp/sbom-interop-docs).
# Documents of the writer fixtures can be produced with
#   SBOM_DUMP_DIR=/tmp/sbom-docs cargo test -p sbom-core --test writers dump_documents
# Exit status: 1 when any check that ran failed. NTIA wants a supplier on every component; the
# image's (and so its layers') supplier is known only when the image declares one (vendor
# label, config author) or the scan is told (`--supplier`). These test images declare none, so
# the scans here state one, as a build pipeline would: SBOM_SUPPLIER (default below). Set
# NTIA_STRICT=0 to report NTIA failures without failing, e.g. for documents of other tools.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
A=${SBOM_ANCHORS:-${XDG_CACHE_HOME:-$HOME/.cache}/sbom-anchors}
VPY=$A/venv-validate/bin/python
PYSPDX=$A/venv-validate/bin/pyspdxtools
NTIA=$A/venv-validate/bin/ntia-checker
fail=0
rows=()
details=$(mktemp)
trap 'rm -f "$details"' EXIT

report() { # RESULT CHECK DOC [detail...]
  local r=$1 c=$2 d=$3
  shift 3
  rows+=("$(printf '%-6s %-42s %s' "$r" "$c" "$d")")
  if [ "$r" = FAIL ]; then
    if [ "$c" = ntia-checker ] && [ "${NTIA_STRICT:-1}" != 1 ]; then :; else fail=1; fi
  fi
  if [ $# -gt 0 ] && [ -n "$*" ]; then
    { echo "== $r $c $d"; printf '%s\n' "$@"; } >>"$details"
  fi
  return 0
}

if [ $# -eq 0 ]; then
  BIN=${SBOM_BIN:-$root/target/debug/sbom}
  IMGS=${SBOM_IMAGES:-/root/.cache/sbom-images}
  OUT=${SBOM_DOCS:-/tmp/sbom-interop-docs}
  if [ ! -x "$BIN" ]; then
    echo "no $BIN: run cargo build -p sbom-cli (or set SBOM_BIN)" >&2
    exit 2
  fi
  mkdir -p "$OUT"
  SUPPLIER=${SBOM_SUPPLIER:-Organization: sbom project test images}
  set --
  scan() { # NAME IMAGE [scan options]
    local n=$1 img=$2
    shift 2
    if [ ! -e "$img" ]; then
      rows+=("$(printf '%-6s %-42s %s' SKIP "(image missing)" "$img")")
      return
    fi
    if "$BIN" scan -q --supplier "$SUPPLIER" "$@" "$img" -o "spdx-json=$OUT/$n.spdx.json" -o "spdx-tag-value=$OUT/$n.spdx" \
        -o "cyclonedx-json=$OUT/$n.cdx.json" -o "cyclonedx-json@1.5=$OUT/$n.cdx15.json" \
        -o "json=$OUT/$n.native.json"; then
      docs+=("$OUT/$n.spdx.json" "$OUT/$n.spdx" "$OUT/$n.cdx.json" "$OUT/$n.cdx15.json")
    else
      report FAIL "sbom scan" "$img"
    fi
  }
  docs=()
  scan tiny-debian "$here/images/tiny-debian.docker.tar.gz"
  scan alpine-3.10 "$here/images/alpine-3.10-docker-save.tar.gz"
  scan debian-small "$IMGS/debian-small.docker.tar" --dockerfile "$IMGS/debian-small.Dockerfile"
  scan rpm-sqlite "$IMGS/rpm-sqlite.docker.tar"
  scan rpm-bdb "$IMGS/rpm-bdb.docker.tar"
  set -- "${docs[@]}"
fi

for doc in "$@"; do
  kind=unknown
  case "$doc" in
    *.spdx) kind=spdx-tv ;;
    *.json)
      if grep -q '"spdxVersion"' "$doc"; then kind=spdx-json
      elif grep -q '"bomFormat"' "$doc"; then kind=cdx; fi ;;
  esac
  case $kind in
    spdx-json|spdx-tv)
      if [ -x "$PYSPDX" ]; then
        if out=$("$PYSPDX" -i "$doc" 2>&1); then report PASS pyspdxtools "$doc"
        else report FAIL pyspdxtools "$doc" "$(echo "$out" | head -20)"; fi
      else report SKIP pyspdxtools "$doc"; fi
      if [ -x "$NTIA" ]; then
        if out=$("$NTIA" "$doc" 2>&1); then report PASS ntia-checker "$doc"
        else
          # ntia-checker does not say which components fail: list the packages whose
          # supplier is NOASSERTION (tag-value and JSON alike)
          who=$(python3 - "$doc" <<'PY'
import json, sys
t = open(sys.argv[1], encoding="utf-8").read()
if t.lstrip().startswith("{"):
    pk = [(p["name"], p.get("supplier", "")) for p in json.loads(t)["packages"]]
else:
    pk, name = [], None
    for line in t.splitlines():
        if line.startswith("PackageName: "):
            name = line[13:]
        elif line.startswith("PackageSupplier: "):
            pk.append((name, line[17:]))
miss = [n for n, s in pk if s in ("", "NOASSERTION")]
print(f"packages without a supplier: {len(miss)} of {len(pk)}: {', '.join(miss[:12])}")
PY
)
          report FAIL ntia-checker "$doc" "$(echo "$out" | grep -E 'Conformant|suppliers|versions|identifiers|names')" "$who"
        fi
      else report SKIP ntia-checker "$doc"; fi ;;
    cdx)
      if [ -x "$VPY" ]; then
        if out=$("$VPY" - "$doc" 2>&1 <<'PY'
import json, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
text = open(sys.argv[1], encoding="utf-8").read()
ver = json.loads(text)["specVersion"]
err = JsonStrictValidator(SchemaVersion.from_version(ver)).validate_str(text)
if err is not None:
    print(err)
    sys.exit(1)
print(ver)
PY
        ); then report PASS "cyclonedx-python-lib strict $out" "$doc"
        else report FAIL "cyclonedx-python-lib strict" "$doc" "$(echo "$out" | head -20)"; fi
      else report SKIP "cyclonedx-python-lib strict" "$doc"; fi ;;
    *) report SKIP "(unknown format)" "$doc"; continue ;;
  esac
  out=$(bash "$here/trivy-roundtrip.sh" "$doc" 2>&1)
  rc=$?
  if echo "$out" | grep -q '^SKIP'; then report SKIP "trivy roundtrip" "$doc"
  else
    line=$(echo "$out" | grep -E '^(PASS|FAIL) ' | head -1)
    # expected found os
    summary=$(echo "$line" | awk '{printf "%s/%s pkgs, os %s %s", $3, $2, $4, $5}')
    if [ $rc -eq 0 ]; then report PASS "trivy ($summary)" "$doc"
    else report FAIL "trivy ($summary)" "$doc" "$out"; fi
  fi
done

printf '%-6s %-42s %s\n' RESULT CHECK DOCUMENT
printf '%s\n' "${rows[@]}"
if [ -s "$details" ]; then
  echo
  echo "details:"
  cat "$details"
fi
exit $fail
