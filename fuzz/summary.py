#!/usr/bin/env python3
"""Prints the campaign table (Markdown) from fuzz/logs/<target>.full, the raw libFuzzer output
campaign.sh keeps: executions, seconds, coverage, peak RSS, and how each run ended."""
import glob
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
rows = []
for path in sorted(glob.glob(os.path.join(here, "logs", "*.full"))):
    target = os.path.basename(path)[:-5]
    text = open(path, encoding="utf-8", errors="replace").read()
    stat = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    status = re.findall(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+.*?exec/s: (\d+) rss: (\d+)Mb", text, re.M)
    done = re.search(r"^Done (\d+) runs in (\d+) second", text, re.M)
    crash = re.search(r"ERROR: libFuzzer: ([\w -]+)|panicked at|SUMMARY: \w+Sanitizer", text)
    if crash:
        end = "stopped: " + crash.group(0).replace("ERROR: libFuzzer: ", "")
    elif done:
        end = "no crash, hang or OOM"
    else:
        end = "running or cut short (no final stats)"
    last = status[-1] if status else None
    runs = stat.get("number_of_executed_units") or (last[0] if last else "?")
    secs = done.group(2) if done else "?"
    rows.append((target, secs, runs, last[1] if last else "?", last[2] if last else "?",
                 stat.get("peak_rss_mb") or (last[5] if last else "?"), end))

out = sys.stdout
out.write("| target | seconds | executions | `cov` | `ft` | peak RSS MB | result |\n")
out.write("|---|---:|---:|---:|---:|---:|---|\n")
for r in rows:
    out.write("| `%s` | %s | %s | %s | %s | %s | %s |\n" % r)
