#!/usr/bin/env python3
"""Splits each PF given on stdin (one per line) by portage's own rules
(portage.versions.pkgsplit): `PF<TAB>name<TAB>version` where version is PV plus `-rN`
when the revision is not r0; `PF<TAB>-<TAB>-` where portage finds no version."""
import sys

import portage.versions as v

for line in sys.stdin:
    pf = line.strip()
    if not pf or pf.startswith("#"):
        continue
    s = v.pkgsplit(pf)
    if s is None:
        print(f"{pf}\t-\t-")
    else:
        pn, pv, rev = s
        print(f"{pf}\t{pn}\t{pv if rev == 'r0' else pv + '-' + rev}")
