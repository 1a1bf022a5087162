#!/usr/bin/env python3
"""Runs ntia-conformance-checker (PyPI `ntia-conformance-checker`, the SPDX project's checker)
on one SPDX document for one standard and prints what it decided as JSON, for
sbom-cli/tests/documents.rs:

    python conformance-check.py STANDARD SPEC DOC
      STANDARD: ntia | fsct3-min | bsi     SPEC: spdx2 | spdx3

    {"compliant": bool,
     "requirements": {"<the checker's row label>": bool, ...},
     "missing": {"<element>": ["<SPDX id of a component that lacks it>", ...], ...},
     "validation": ["<validation message>", ...], "parsing": [...]}

Through the checker's Python API (`SbomChecker`) rather than its CLI, because its JSON report
leaves out the BSI rows and names components only by name (not unique), and its text report is
for people. Run it with the Python of the venv that has the package.
"""

import json
import sys

from ntia_conformance_checker import SbomChecker


def main() -> int:
    standard, spec, doc = sys.argv[1:4]
    c = SbomChecker(doc, validate=True, compliance=standard, sbom_spec=spec)
    missing = {}
    for info, comps in getattr(c, "all_components_without_info", []):
        missing[info] = sorted(spdx_id for _name, spdx_id in comps)
    out = {
        "compliant": bool(c.compliant),
        "requirements": {label: bool(ok) for label, ok in c.table_elements},
        "missing": missing,
        "validation": [str(m.validation_message) for m in c.validation_messages],
        "parsing": [str(m) for m in c.parsing_errors],
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
