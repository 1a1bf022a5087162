#!/bin/sh
# Builds store.nix with Debian's nix-bin (2.8.0; `apt-get install nix-bin`) into this machine's
# /nix (offline: no substituters, /bin/sh as builder), then copies the live store paths and
# the Nix database into root/, and records what Nix itself says of them:
#   path-info.json    `nix path-info --json --all`: every valid path, its references, size
#   outputs.json      every output of every derivation (`nix show-derivation`), with
#                     `builtins.parseDrvName` of the derivation's name
#   syft.json         what Syft 1.18.1 reports of root/ (its nix-store cataloger)
# Needs root (the store is /nix); deletes unreferenced paths from this machine's store.
set -eu
cd "$(dirname "$0")"
SYFT=${SYFT:-syft}
NIXOPTS="--option sandbox false --option build-users-group '' --option substituters ''"
tmp=$(mktemp -d)
eval nix-build $NIXOPTS -o "$tmp/result" store.nix >/dev/null
nix-store --gc >/dev/null 2>&1
rm -rf root
mkdir -p root/nix/store root/nix/var/nix/db
for p in $(nix-store -q --requisites "$tmp"/result*) $(nix-store -q --deriver "$tmp"/result* | sort -u); do
    cp -a "$p" root/nix/store/
done
# a consistent copy of the database (nix keeps it open in WAL mode)
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("VACUUM INTO ?", (sys.argv[2],))' \
    /nix/var/nix/db/db.sqlite root/nix/var/nix/db/db.sqlite
nix --extra-experimental-features nix-command path-info --json --all |
    python3 -c 'import json,sys; json.dump(sorted(json.load(sys.stdin), key=lambda p: p["path"]), sys.stdout, indent=1); print()' \
    > path-info.json
# every output of every derivation in root/, with the derivation's name split by Nix itself
drvs=$(ls -d root/nix/store/*.drv | sed 's|^root||')
nix --extra-experimental-features nix-command show-derivation $drvs |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
print(json.dumps(sorted([{"path": o["path"], "output": k, "drvName": v["env"]["name"]}
                         for v in d.values() for k, o in v["outputs"].items()],
                        key=lambda x: x["path"])))' > "$tmp/outputs.json"
nix-instantiate --eval --strict --json -E \
    "map (o: o // { parsed = builtins.parseDrvName o.drvName; }) (builtins.fromJSON (builtins.readFile $tmp/outputs.json))" |
    python3 -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, indent=1); print()' > outputs.json
SYFT_CHECK_FOR_APP_UPDATE=false "$SYFT" scan dir:root -o syft-json -q |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
keep = [{"name": a["name"], "version": a["version"], "purl": a["purl"],
         "files": sorted(f for f in a["metadata"].get("files", [])),
         "locations": [l["path"] for l in a["locations"]]}
        for a in d["artifacts"]]
print(json.dumps({"tool": d["descriptor"]["name"] + " " + d["descriptor"]["version"],
                  "packages": sorted(keep, key=lambda p: p["purl"])}, indent=1))' > syft.json
rm -rf "$tmp"
