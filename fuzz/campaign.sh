#!/bin/sh
# The full campaign: every target for 20 minutes (or 10 million executions, whichever comes
# first), with libFuzzer's memory limit and per-input timeout, in LANES parallel lanes.
# Each target's last lines of output go to fuzz/logs/<target>.txt; `summary.sh` turns them
# into the table in README.md. Usage: fuzz/campaign.sh [TARGET...]   (default: all)
#
# ASAN_OPTIONS: the bundled SQLite is compiled into two objects of the link (libsqlite3-sys
# builds it once, and the sanitizer's ODR check flags its `static const` tables); that is
# not a memory error in our code, so the ODR check is turned off. ASan's quarantine of freed
# memory (256 MB by default) counts against -rss_limit_mb and took runs to ~460 of their 512 MB
# (measured: rpm_ndb peaks at 457 MB with it, 252 MB without); 64 MB keeps use-after-free
# detection for recent frees and leaves the limit to measure the scanner.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-1200}
RUNS=${RUNS:-10000000}
LANES=${LANES:-2}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0:quarantine_size_mb=64}
RUSTC_BOOTSTRAP=1 cargo fuzz build -O >/dev/null
bin="$here/target/x86_64-unknown-linux-gnu/release"
mkdir -p logs artifacts
[ -d corpus ] || ./seed-corpora.sh
targets=${*:-$(ls fuzz_targets | sed 's/\.rs$//')}

run_one() {
    t=$1
    mkdir -p "corpus/$t" "artifacts/$t"
    start=$(date +%s)
    set +e
    nice -n 19 "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
        -rss_limit_mb=512 -timeout=10 -max_len=262144 \
        -runs="$RUNS" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        > "logs/$t.full" 2>&1
    rc=$?
    set -e
    end=$(date +%s)
    { echo "target: $t"; echo "exit: $rc"; echo "wall_seconds: $((end - start))";
      grep -E '^#[0-9]+' "logs/$t.full" | tail -n 1
      grep -E '^stat::|^Done|ERROR|SUMMARY|panicked' "logs/$t.full" | tail -n 20; } > "logs/$t.txt"
}

lane() { # lane INDEX: every LANES-th target starting at INDEX
    i=0
    for t in $targets; do
        if [ $((i % LANES)) -eq "$1" ]; then run_one "$t"; fi
        i=$((i + 1))
    done
}

l=0
while [ "$l" -lt "$LANES" ]; do
    lane "$l" &
    l=$((l + 1))
done
wait
