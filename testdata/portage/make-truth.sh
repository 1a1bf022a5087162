#!/bin/sh
# Truth for the portage detector's tests: what Syft 1.18.1 and Gentoo's portage itself read
# from syft-layout/ (Syft's own fixture), and how portage splits each PF of split-inputs.txt.
# Needs: syft (../shared/tools/anchors/install.sh), a Python with `pip install portage`
# (3.0.83 was used), given as PYTHON.
set -eu
cd "$(dirname "$0")"
SYFT=${SYFT:-syft}
PYTHON=${PYTHON:-python3}
SYFT_CHECK_FOR_APP_UPDATE=false "$SYFT" scan dir:syft-layout -o syft-json -q |
    "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
keep = [{"name": a["name"], "version": a["version"], "purl": a["purl"],
         "licenses": [l["value"] for l in a["licenses"]],
         "installedSize": a["metadata"].get("installedSize"),
         "files": [f["path"] for f in a["metadata"].get("files", [])],
         "locations": [l["path"] for l in a["locations"]]}
        for a in d["artifacts"]]
print(json.dumps({"tool": d["descriptor"]["name"] + " " + d["descriptor"]["version"],
                  "packages": keep}, indent=1))' > syft-layout.syft.json
"$PYTHON" portage-read.py syft-layout 2>/dev/null > syft-layout.portage.json
"$PYTHON" -c 'import portage; print("# portage", portage.VERSION)' > split.tsv
"$PYTHON" portage-split.py < split-inputs.txt >> split.tsv
