#!/usr/bin/env python3
"""Costs of the layer cache and of batch scans (issue 22), one run, as a Markdown table.

  benches/batch.py [--out DIR]      (needs $SBOM_IMAGES with debian-small and debian-large)

1. Five application images FROM one base: debian-small.docker.tar plus one layer each, the
   way `FROM base` + `COPY app /app` makes them (the base blobs are reused byte for byte;
   each app layer holds real test data of another ecosystem from testdata/lang). Measured:
   the five scanned one by one (no cache), the five in one `sbom scan A B C D E` (layers
   shared in memory), and "the work of their unique layers": the first image in full plus,
   for each other, an image made of its app layer alone. Trivy scans the same list one by
   one with one cache directory of its own (its layer cache).
2. debian-large with `--cache DIR`: cold, then warm; and the cache's size per layer.

Standard library only; timing as in compare.py (/usr/bin/time: wall, user+sys, max RSS).
"""
import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import ROOT, timed, which, log  # noqa: E402

APPS = [
    ("go", "testdata/lang/go/go1.22-module-replacement.elf", "app/server"),
    ("java", "testdata/lang/java/nested.jar", "app/app.jar"),
    ("npm", "testdata/lang/npm/lockfile-v3/package-lock.json", "app/package-lock.json"),
    ("dotnet", "testdata/lang/dotnet/MyApp.deps.json", "app/MyApp.deps.json"),
    ("rust", "testdata/lang/rust/cargo-auditable-test.elf", "app/tool"),
]
EPOCH = 1704067200


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def app_layer(src, dest):
    """An uncompressed layer tar holding one file (and its directory), fixed metadata."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo(os.path.dirname(dest))
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, EPOCH
        t.addfile(d)
        data = open(os.path.join(ROOT, src), "rb").read()
        f = tarfile.TarInfo(dest)
        f.size, f.mode, f.mtime = len(data), 0o755, EPOCH
        t.addfile(f, io.BytesIO(data))
    return buf.getvalue()


def read_archive(path):
    with tarfile.open(path) as t:
        members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    manifest = json.loads(members["manifest.json"])[0]
    config = json.loads(members[manifest["Config"]])
    layers = [members[l] for l in manifest["Layers"]]
    return config, layers


def write_archive(path, config, layers, tag):
    """A docker-archive: blobs under blobs/sha256 as Docker 25 writes them."""
    cfg = json.dumps(config, sort_keys=True).encode()
    names = []
    with tarfile.open(path, "w") as t:
        def add(name, data):
            i = tarfile.TarInfo(name)
            i.size, i.mtime = len(data), EPOCH
            t.addfile(i, io.BytesIO(data))
        for l in layers:
            name = "blobs/sha256/" + hashlib.sha256(l).hexdigest()
            if name not in names:
                add(name, l)
            names.append(name)
        cname = "blobs/sha256/" + hashlib.sha256(cfg).hexdigest()
        add(cname, cfg)
        add("manifest.json", json.dumps([{"Config": cname, "RepoTags": [tag], "Layers": names}]).encode())


def image_of(config, layers, history_note):
    c = json.loads(json.dumps(config))
    c["rootfs"] = {"type": "layers", "diff_ids": [sha(l) for l in layers]}
    hist = [h for h in c.get("history", []) if not h.get("empty_layer")]
    c["history"] = (hist[: len(layers) - 1] + [{"created": "2024-01-01T00:00:00Z", "created_by": history_note}])[: len(layers)]
    return c


def median_run(cmd, env, rounds=1):
    rs = [timed(cmd, 3600, env) for _ in range(rounds)]
    for r in rs:
        if r["rc"] != 0:
            raise SystemExit(f"{cmd}: {r.get('err')}")
    rs.sort(key=lambda r: r["wall"])
    return rs[len(rs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="where to write the images (default: a temporary directory)")
    a = ap.parse_args()
    images = os.environ.get("SBOM_IMAGES")
    if not images:
        raise SystemExit("set SBOM_IMAGES (make-images.sh output)")
    sbom = os.path.join(ROOT, "target/release/sbom")
    trivy = which("trivy")
    tmp = a.out or tempfile.mkdtemp(prefix="sbom-batch-")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    env.pop("SBOM_CACHE", None)
    base_cfg, base_layers = read_archive(os.path.join(images, "debian-small.docker.tar"))
    apps, uniques = [], []
    for name, src, dest in APPS:
        layer = app_layer(src, dest)
        full = os.path.join(tmp, f"app-{name}.docker.tar")
        write_archive(full, image_of(base_cfg, base_layers + [layer], f"COPY {dest}"), base_layers + [layer], f"app-{name}:1")
        only = os.path.join(tmp, f"app-{name}-layer-only.docker.tar")
        write_archive(only, image_of(base_cfg, [layer], f"COPY {dest}"), [layer], f"app-{name}-only:1")
        apps.append(full)
        uniques.append(only)
    rows = []

    def row(what, rs, note=""):
        wall = sum(r["wall"] for r in rs)
        cpu = sum(r["cpu"] for r in rs)
        rss = max(r["rss_mb"] for r in rs)
        rows.append((what, wall, cpu, rss, note))
        log(f"{what}: wall {wall:.2f} s cpu {cpu:.2f} s rss {rss:.0f} MB")
        return wall, cpu

    out = os.path.join(tmp, "out")
    os.makedirs(out, exist_ok=True)
    singles = [median_run([sbom, "scan", img, "-q", "-o", "cyclonedx-json=/dev/null"], env) for img in apps]
    s_wall, s_cpu = row("sbom, 5 single scans (sum)", singles)
    batch = median_run([sbom, "scan", *apps, "-q", "-o", f"cyclonedx-json={out}/{{name}}.cdx.json"], env)
    b_wall, b_cpu = row("sbom, one batch scan of the 5", [batch])
    unique = [singles[0]] + [median_run([sbom, "scan", u, "-q", "-o", "cyclonedx-json=/dev/null"], env) for u in uniques[1:]]
    u_wall, u_cpu = row("sbom, unique layers' work (image 1 + 4 app layers alone)", unique)
    if trivy:
        tcache = os.path.join(tmp, "trivy-cache")
        shutil.rmtree(tcache, ignore_errors=True)
        tr = [median_run([trivy, "image", "--input", img, "--format", "cyclonedx", "--output", "/dev/null",
                          "--skip-db-update", "--skip-java-db-update", "--offline-scan",
                          "--cache-dir", tcache, "-q",
                          # offline there is no Java DB, without which Trivy refuses jars
                          "--skip-files", "**/*.jar"], env) for img in apps]
        t_wall, t_cpu = row("trivy, the 5 one by one, one fs cache (jars skipped)", tr)
    large = os.path.join(images, "debian-large.docker.tar")
    cache = os.path.join(tmp, "cache")
    shutil.rmtree(cache, ignore_errors=True)
    cold = median_run([sbom, "scan", large, "-q", "--cache", cache, "-o", "cyclonedx-json=/dev/null"], env)
    warm = median_run([sbom, "scan", large, "-q", "--cache", cache, "-o", "cyclonedx-json=/dev/null"], env)
    nocache = median_run([sbom, "scan", large, "-q", "-o", "cyclonedx-json=/dev/null"], env)
    row("debian-large, no cache", [nocache])
    c_wall, _ = row("debian-large, --cache, cold", [cold])
    w_wall, _ = row("debian-large, --cache, warm", [warm])
    stats = json.loads(subprocess.run([sbom, "cache", "stats", "-o", "json", "--cache", cache],
                                      check=True, capture_output=True).stdout)
    print("| run | wall s | CPU s | max RSS MB |")
    print("|---|---:|---:|---:|")
    for what, wall, cpu, rss, _ in rows:
        print(f"| {what} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
    print()
    print(f"- batch ÷ unique-layer work: {b_wall / u_wall:.2f}x wall, {b_cpu / u_cpu:.2f}x CPU (target ≤ 1.2x)")
    print(f"- batch ÷ 5 single scans: {b_wall / s_wall:.2f}x wall, {b_cpu / s_cpu:.2f}x CPU")
    if trivy:
        print(f"- trivy (own cache) ÷ sbom batch: {t_wall / b_wall:.1f}x wall, {t_cpu / b_cpu:.1f}x CPU")
    print(f"- debian-large warm ÷ cold: {w_wall / c_wall * 100:.1f} % (target ≤ 5 %); cold with "
          f"--cache ÷ without: {c_wall / nocache['wall']:.2f}x")
    print(f"- cache: {stats['entries']} layers, {stats['bytes'] / 1024:.0f} KiB, "
          f"{stats['bytes'] / max(stats['entries'], 1) / 1024:.0f} KiB per layer "
          f"(debian-large's layers are {os.path.getsize(large) / 2**20:.0f} MiB as a docker archive)")


if __name__ == "__main__":
    main()
