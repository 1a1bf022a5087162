# Where Python's importlib.metadata finds each runtime requirement (markers evaluated with
# no extra) of each distribution installed in SITE: the dist-info it finds in SITE itself.
# Usage: python importlib-resolve.py SITE
import importlib.metadata as md
import sys

try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement

site = sys.argv[1]
for d in sorted(md.distributions(path=[site]), key=lambda d: d._path.name):
    for r in d.requires or []:
        req = Requirement(r)
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        hit = [h._path.name for h in md.distributions(name=req.name, path=[site])]
        print(d._path.name, "->", hit[0] if hit else "NONE")
