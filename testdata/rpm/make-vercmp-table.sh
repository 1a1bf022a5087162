#!/bin/sh
# Regenerates vercmp.tsv: every ordered pair of the versions below, with the result of the
# real rpm's version comparison (-1, 0, 1). The detector's rpmvercmp is tested against it.
# Versions hold no '-' or ':' because rpm.vercmp() parses its arguments as EVR strings.
# Usage: sh testdata/rpm/make-vercmp-table.sh > testdata/rpm/vercmp.tsv
set -eu
versions='1.0 1.0.0 1.00 1.0~rc1 1.0~rc2 1.0~~ 1.0~ 1.0^ 1.0^git1 1.0^git1~pre 1.0.1 1.0a 1.0b
1.a 1.01 1.1 1.10 1.9 2 2.0 10 a b A aa 5.5p1 5.5p10 5.6 1.0_1 1_0 1..0 1.0. 0.9 0.10
1.0.fc38 1.0.el9 1.2.3.4 1.2.3.4a 20240101 2024.01.01 1.0.0~beta 1.0.0^ 3.0.6 3.0.6.cm2 0001 01'
{
    printf '%s\n' "$versions" | tr ' ' '\n' | grep -v '^$' | sed 's/.*/"&",/' | tr -d '\n' |
        sed 's/^/local v = {/; s/,$/}\n/'
    cat <<'LUA'
for _, a in ipairs(v) do
  for _, b in ipairs(v) do
    -- rpm collects print() output without line breaks, so add them
    print(a .. "\t" .. b .. "\t" .. rpm.vercmp(a, b) .. "\n")
  end
end
LUA
} >"${TMPDIR:-/tmp}/vercmp.lua"
echo "# made by make-vercmp-table.sh with $(rpm --version): version_a<TAB>version_b<TAB>rpm.vercmp(a, b)"
rpm --eval "%{lua: $(cat "${TMPDIR:-/tmp}/vercmp.lua")}" | grep -v '^$'
rm -f "${TMPDIR:-/tmp}/vercmp.lua"
