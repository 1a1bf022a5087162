#!/bin/sh
# Regenerates semver.tsv (npm's `semver` package, as npm itself bundles it) and pep440.tsv
# (the `packaging` library pip and PyPI use): every ordered pair of the versions below.
# Usage: sh make-vercmp-table.sh   (needs node with npm installed, and a python with packaging;
# PYTHON defaults to python3)
set -eu
cd "$(dirname "$0")"
SEMVER_DIR=${SEMVER_DIR:-$(npm root -g)/npm/node_modules/semver}
node - "$SEMVER_DIR" > semver.tsv <<'JS'
const semver = require(process.argv[2]);
const vs = ['0.0.0', '0.0.1', '0.1.0', '1.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta',
  '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0+build.1', '1.0.0-0',
  '1.0.0-0.3.7', '1.0.0-x.7.z.92', '1.0.0-x-y-z.--', '1.2.3', '1.2.10', '1.10.0', '2.0.0',
  '10.0.0', '1.0.0-alpha0', '1.0.0-alpha10', '1.0.0-a.b.c', '1.0.0-a.b', '1.0.0-1', '1.0.0-10',
  '1.0.0-2', '0.0.0-20210101000000-abcdef123456', '0.0.0-20220101000000-000000000000',
  '2.32.0', '2.31.0', '4.17.21', '4.17.4', '9007199254740991.0.0'];
console.log(`# a\tb\tnpm semver ${require(process.argv[2] + '/package.json').version} compare()`);
for (const a of vs) for (const b of vs) console.log(`${a}\t${b}\t${semver.compare(a, b)}`);
JS
"${PYTHON:-python3}" - > pep440.tsv <<'PY'
import packaging
from packaging.version import Version
vs = ['0', '1', '1.0', '1.0.0', '1.0.1', '1.1', '1.10', '1.9', '2', '1!0.5', '1.0a1', '1.0a2',
      '1.0b1', '1.0rc1', '1.0c2', '1.0.dev1', '1.0a1.dev1', '1.0.post1', '1.0.post1.dev1',
      '1.0-1', '1.0+local', '1.0+local.2', '1.0+local.10', '1.0+abc', '1.0+1', '1.0.post2',
      '1.0alpha1', '1.0-beta.2', '1.0pre3', 'v1.0', '1.0.0.0.1', '2.32.0', '2.32.0rc1',
      '2.31.0', '1.0_post3', '1.0.r4', '1.0rev5', '0.9.dev0', '2012.10', '1.0a', '1.0.dev',
      '1.0+ubuntu.1', '1.0+Ubuntu.1', '1.0+1.a', '1.0+1.1']
print(f"# a\tb\tpackaging {packaging.__version__} Version comparison")
for a in vs:
    for b in vs:
        x, y = Version(a), Version(b)
        print(f"{a}\t{b}\t{(x > y) - (x < y)}")
PY
