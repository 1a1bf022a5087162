#!/usr/bin/env python3
"""Writes the packages a Syft cataloger test expects as JSON, read mechanically from the
test's Go source (the `[]pkg.Package{...}` literals), so that our tests compare against
Syft's own expected lists rather than values typed from the fixtures.

    syft-expected.py <syft checkout or git dir> <commit> <path/to/cataloger_test.go> [LIST]

LIST is the Go identifier holding the expected slice (default: every `[]pkg.Package{`
literal in the file, each as one test case, and every `expected: pkg.Package{`, as a case of
one). Output (stdout): a JSON list of cases, each a
list of packages {name, version, purl, licenses, locations, metadata}.
"""
import json
import re
import subprocess
import sys

STR = r'"((?:[^"\\]|\\.)*)"'


def go_string(s):
    return json.loads('"' + s + '"')


def depth(line):
    return len(line) - len(line.lstrip("\t"))


def block(lines, i):
    """Lines of the literal opened on line i, up to its matching close (by tab depth)."""
    d = depth(lines[i])
    out = []
    for j in range(i + 1, len(lines)):
        if depth(lines[j]) == d and lines[j].strip().startswith(("}", ")")):
            return out, j
        out.append(lines[j])
    raise SystemExit(f"unclosed literal at line {i + 1}")


def package(lines):
    d = min(depth(l) for l in lines if l.strip())
    p = {"name": None, "version": None, "purl": None, "licenses": [], "locations": [], "metadata": {}}
    i = 0
    while i < len(lines):
        l = lines[i]
        s = l.strip()
        if depth(l) == d:
            m = re.match(r"(\w+):\s+" + STR + ",$", s)
            if m and m.group(1) in ("Name", "Version", "PURL"):
                p[m.group(1).lower()] = go_string(m.group(2))
            elif s.startswith("Licenses:") or s.startswith("Locations:"):
                key = "licenses" if s.startswith("Licenses:") else "locations"
                if not s.endswith(("(", "{")):
                    p[key] = re.findall(STR, s)
                else:
                    body, i = block(lines, i)
                    for b in body:
                        found = re.findall(STR, b)
                        if found:
                            p[key].append(go_string(found[0]))
            elif s.startswith("Metadata:") and s.endswith("{"):
                body, i = block(lines, i)
                md = min(depth(b) for b in body if b.strip())
                k = 0
                while k < len(body):
                    b = body[k]
                    t = b.strip()
                    if depth(b) == md:
                        m = re.match(r"(\w+):\s+(.*?),?$", t)
                        if m and t.endswith("[]string{"):
                            items, k = block(body, k)
                            p["metadata"][m.group(1)] = [go_string(x) for it in items for x in re.findall(STR, it)]
                        elif m and t.endswith("{"):
                            _, k = block(body, k)
                        elif m:
                            v = m.group(2)
                            sm = re.fullmatch(STR, v)
                            p["metadata"][m.group(1)] = go_string(sm.group(1)) if sm else v
                    k += 1
        i += 1
    return p


def main():
    repo, commit, path = sys.argv[1:4]
    var = sys.argv[4] if len(sys.argv) > 4 else None
    src = subprocess.run(["git", "--git-dir", repo, "show", f"{commit}:{path}"], check=True,
                         capture_output=True, text=True).stdout
    lines = src.split("\n")
    cases = []
    for i, l in enumerate(lines):
        single = re.match(r"\s*expected:\s+pkg\.Package\{$", l.rstrip())
        if single:
            inner, _ = block(lines, i)
            cases.append([package(inner)])
            continue
        if not l.rstrip().endswith("[]pkg.Package{"):
            continue
        if var and not re.match(rf"\s*{re.escape(var)}\s*(:=|=|:)", l):
            continue
        body, _ = block(lines, i)
        d = min(depth(b) for b in body if b.strip())
        pkgs = []
        k = 0
        while k < len(body):
            if depth(body[k]) == d and body[k].strip() == "{":
                inner, k = block(body, k)
                pkgs.append(package(inner))
            k += 1
        cases.append(pkgs)
    json.dump(cases, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
