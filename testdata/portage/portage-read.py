#!/usr/bin/env python3
"""What Gentoo's own portage (the `portage` package from PyPI) reads from the vdb under
ROOT: every installed package's name, version, LICENSE, SIZE and the regular files CONTENTS
lists, as JSON on stdout. Usage: portage-read.py ROOT"""
import json
import os
import sys

root = os.path.abspath(sys.argv[1]) + "/"
import portage  # noqa: E402
from portage.dbapi.vartree import dblink, vardbapi  # noqa: E402

settings = portage.config(config_root=root, target_root=root, eprefix="")
tree = portage.vartree(settings=settings)
db = vardbapi(settings=settings, vartree=tree)
out = []
for cpv in sorted(db.cpv_all()):
    cat, pf = cpv.split("/", 1)
    c, pn, _, _ = portage.versions.catpkgsplit(cpv)
    lic, size = db.aux_get(cpv, ["LICENSE", "SIZE"])
    link = dblink(cat, pf, settings=settings, vartree=tree, treetype="vartree")
    files = sorted(
        "/" + os.path.relpath(p, root)
        for p, entry in link.getcontents().items()
        if entry[0] == "obj"
    )
    out.append(
        {
            "cpv": cpv,
            "name": f"{c}/{pn}",
            "version": portage.versions.cpv_getversion(cpv),
            "license": lic,
            "size": size,
            "files": files,
        }
    )
json.dump(out, sys.stdout, indent=1)
print()
