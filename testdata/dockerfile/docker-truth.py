#!/usr/bin/env python3
"""Truth for a Docker-built fixture: which Dockerfile line made each history entry.

usage: docker-truth.py DOCKERFILE CONFIG.json BASE_ENTRIES TARGET|-

Pairs the image's history entries, in order, with what the builder executes: the base
image's BASE_ENTRIES entries (line of the first stage's FROM), then for each stage of the
target's line of descent its parent's ONBUILD triggers (when it builds on an earlier stage)
and its instructions. BuildKit records no ONBUILD entry, so an ONBUILD the history skips is
skipped. Every pair must have the same keyword, or this fails: the truth rests on the
builder's own order, not on the matcher under test.
"""
import json
import re
import sys

KEYWORDS = {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
            "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
            "WORKDIR"}


def instructions(path):
    out, buf, start = [], "", None
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        s = line.rstrip("\n")
        if start is None and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if start is None:
            start = n
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        word = buf.split()[0].upper()
        out.append((start, word, buf.strip()))
        buf, start = "", None
    return out


def stages(ins):
    st = []
    for line, kw, text in ins:
        if kw == "FROM":
            words = text.split()[1:]
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            st.append({"from": line, "base": words[0], "name": name, "ins": []})
        elif st:
            st[-1]["ins"].append((line, kw, text))
    return st


def recorded_keyword(created_by):
    s = created_by.strip()
    if s.endswith("# buildkit"):
        s = s[: -len("# buildkit")].strip()
    m = re.search(r"#\(nop\)\s*(\w+)", s)
    if m:
        return m.group(1)
    first = s.split()[0] if s.split() else ""
    return first if first in KEYWORDS else "RUN"


def main():
    dockerfile, config, nbase, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    st = stages(instructions(dockerfile))
    names = {s["name"].lower(): i for i, s in enumerate(st) if s["name"]}
    k = len(st) - 1 if target == "-" else names[target.lower()]
    chain = [k]
    while st[chain[-1]]["base"].lower() in names:
        chain.append(names[st[chain[-1]]["base"].lower()])
    chain.reverse()
    steps = []
    for pos, s in enumerate(chain):
        if pos > 0:
            for line, kw, text in st[chain[pos - 1]]["ins"]:
                if kw == "ONBUILD":
                    steps.append((line, text.split()[1].upper(), "ONBUILD"))
        steps += [(line, kw, kw) for line, kw, _ in st[s]["ins"]]
    history = json.load(open(config))["history"]
    truth = [{"index": i, "dockerfile_line": st[chain[0]]["from"], "dockerfile_instruction": "FROM"}
             for i in range(nbase)]
    e = nbase
    for line, recorded, shown in steps:
        got = recorded_keyword(history[e].get("created_by", "")) if e < len(history) else None
        if recorded == "ONBUILD" and got != "ONBUILD":
            continue
        if got != recorded:
            sys.exit(f"entry {e} records {got}, but line {line} is {recorded}")
        truth.append({"index": e, "dockerfile_line": line, "dockerfile_instruction": shown})
        e += 1
    if e != len(history):
        sys.exit(f"{len(history) - e} entries left over after the instructions")
    print(json.dumps(truth, indent=1))


main()
