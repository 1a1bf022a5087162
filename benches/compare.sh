#!/usr/bin/env bash
# Benchmarks sbom against Syft and Trivy (and the decode+hash floor); prints a Markdown table.
#
#   benches/compare.sh [--rounds N] [--timeout S] [--json OUT] [--skip-jars NAME] [--engine] [IMAGE...]
#   benches/compare.sh --registry [IMAGE...]   the images pushed to a loopback docker-registry
#                                              (skopeo), pulled by each tool
#
# --engine (with DOCKER_HOST naming a running dockerd) adds rows for each docker-archive image
# loaded into that engine: sbom docker:ID vs `docker save`, `trivy image`, `syft docker:`.
#
# Default images: testdata/images/tiny-debian.docker.tar.gz, plus what exists of
# $SBOM_IMAGES/debian-small.{docker,oci,oci-zstd}.tar, debian-large.{docker,oci}.tar and
# many-files.docker.tar. Syft and Trivy come from ../shared/tools/anchors/install.sh
# ($SBOM_ANCHORS/bin, default ~/.cache/sbom-anchors/bin); missing tools are skipped.
# Needs GNU time (/usr/bin/time) and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
cargo build --release -q -p sbom-cli -p sbom-benches --bin sbom --bin floor
exec python3 "$here/compare.py" "$@"
