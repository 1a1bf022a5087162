#!/usr/bin/env bash
# Runs the external SBOM validators on documents, when they are installed:
#   SPDX JSON / tag-value : pyspdxtools -i (spdx-tools), ntia-checker (NTIA minimum elements, JSON only)
#   CycloneDX JSON        : cyclonedx-python-lib JsonStrictValidator for the document's specVersion
# Install them with `bash /work/shared/tools/anchors/install.sh` (they land in
# ${SBOM_ANCHORS:-~/.cache/sbom-anchors}). Missing validators are reported as SKIP, not as failure.
#
# Documents to check can be produced with
#   SBOM_DUMP_DIR=/tmp/sbom-docs cargo test -p sbom-core --test writers dump_documents
#   testdata/validate-external.sh /tmp/sbom-docs/*.json /tmp/sbom-docs/*.spdx
# Exit status: 1 when any validator that ran failed.
set -u
A=${SBOM_ANCHORS:-${XDG_CACHE_HOME:-$HOME/.cache}/sbom-anchors}
VPY=$A/venv-validate/bin/python
PYSPDX=$A/venv-validate/bin/pyspdxtools
NTIA=$A/venv-validate/bin/ntia-checker
fail=0

report() { printf '%-6s %-28s %s\n' "$1" "$2" "$3"; [ "$1" = FAIL ] && fail=1; return 0; }

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
        else report FAIL pyspdxtools "$doc"; echo "$out" | head -20; fi
      else report SKIP pyspdxtools "$doc"; fi
      if [ $kind = spdx-json ]; then
        if [ -x "$NTIA" ]; then
          if out=$("$NTIA" -k "$doc" 2>&1); then report PASS ntia-checker "$doc"
          else report FAIL ntia-checker "$doc"; echo "$out" | head -30; fi
        else report SKIP ntia-checker "$doc"; fi
      fi ;;
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
PY
        ); then report PASS "cyclonedx-python-lib strict" "$doc"
        else report FAIL "cyclonedx-python-lib strict" "$doc"; echo "$out" | head -20; fi
      else report SKIP "cyclonedx-python-lib strict" "$doc"; fi ;;
    *) report SKIP "(unknown format)" "$doc" ;;
  esac
done
exit $fail
