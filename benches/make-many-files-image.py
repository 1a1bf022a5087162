#!/usr/bin/env python3
"""Writes a docker-archive with 1,000,000 small files over 3 layers plus a real dpkg status.

  make-many-files-image.py [OUT] [--files N] [--layers L]

OUT defaults to $SBOM_IMAGES/many-files.docker.tar. Deterministic (fixed mtimes, owners and
contents; the same arguments give the same bytes) and streaming: each layer tar is written
to a temporary file next to OUT while its sha256 (the diff_id) is computed, then copied into
the outer tar; memory stays small whatever N is. Standard library only.

Layer 1 also holds /etc/os-release (Ubuntu 18.04) and /var/lib/dpkg/status from
testdata/dpkg/ubuntu-18.04 (91 packages), so scanners have real packages to find.
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATUS = os.path.join(ROOT, "testdata/dpkg/ubuntu-18.04/var/lib/dpkg/status")
OS_RELEASE = b"""NAME="Ubuntu"
VERSION="18.04.6 LTS (Bionic Beaver)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 18.04.6 LTS"
VERSION_ID="18.04"
VERSION_CODENAME=bionic
"""
MTIME = 1700000000
FILES_PER_DIR = 1000


class HashingWriter(io.RawIOBase):
    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def writable(self):
        return True

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        return self.f.write(b)


def info(name, size=0, kind=tarfile.REGTYPE, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.mode, ti.mtime = size, kind, mode, MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def body(i):
    # 16 to 143 bytes, different per file
    return (f"file {i} " + "x" * (i % 128)).encode()[: 16 + i % 128].ljust(16 + i % 128, b".")


def write_layer(path, index, first, count, extra):
    with open(path, "wb") as raw:
        hw = HashingWriter(raw)
        buf = io.BufferedWriter(hw, 1 << 20)
        with tarfile.open(fileobj=buf, mode="w|", format=tarfile.GNU_FORMAT) as t:
            for name, data in extra:
                t.addfile(info(name, len(data)), io.BytesIO(data))
            top = f"srv/many/layer{index}"
            for d in ("srv", "srv/many", top):
                t.addfile(info(d, kind=tarfile.DIRTYPE, mode=0o755))
            for i in range(first, first + count):
                if (i - first) % FILES_PER_DIR == 0:
                    t.addfile(info(f"{top}/d{(i - first) // FILES_PER_DIR:05d}",
                                   kind=tarfile.DIRTYPE, mode=0o755))
                data = body(i)
                t.addfile(info(f"{top}/d{(i - first) // FILES_PER_DIR:05d}/f{i:07d}.txt", len(data)),
                          io.BytesIO(data))
        buf.flush()
        return hw.h.hexdigest(), hw.n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?")
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--layers", type=int, default=3)
    a = ap.parse_args()
    out = a.out or (os.environ.get("SBOM_IMAGES") and
                    os.path.join(os.environ["SBOM_IMAGES"], "many-files.docker.tar"))
    if not out:
        sys.exit("give OUT or set SBOM_IMAGES")
    with open(STATUS, "rb") as f:
        status = f.read()
    extra0 = [("etc/os-release", OS_RELEASE), ("var/lib/dpkg/status", status)]
    per = a.files // a.layers
    tmp_layers, diff_ids = [], []
    first = 0
    for li in range(a.layers):
        n = per if li < a.layers - 1 else a.files - first
        p = f"{out}.layer{li}.tmp"
        digest, size = write_layer(p, li, first, n, extra0 if li == 0 else [])
        print(f"layer {li}: {n} files, {size} bytes, sha256:{digest}", file=sys.stderr)
        tmp_layers.append((p, digest, size))
        diff_ids.append("sha256:" + digest)
        first += n
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2023-11-14T22:13:20Z",
                     "created_by": f"make-many-files-image.py layer {i}"} for i in range(a.layers)],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["many-files:latest"],
                            "Layers": [f"{d}/layer.tar" for _, d, _ in tmp_layers]}]).encode()
    with open(out + ".tmp", "wb") as f, tarfile.open(fileobj=f, mode="w", format=tarfile.GNU_FORMAT) as t:
        t.addfile(info(config_name, len(config)), io.BytesIO(config))
        for p, d, size in tmp_layers:
            t.addfile(info(d, kind=tarfile.DIRTYPE, mode=0o755))
            with open(p, "rb") as lf:
                t.addfile(info(f"{d}/layer.tar", size), lf)
            os.remove(p)
        t.addfile(info("manifest.json", len(manifest)), io.BytesIO(manifest))
    os.replace(out + ".tmp", out)
    print(f"wrote {out}: {a.files} files in {a.layers} layers", file=sys.stderr)


if __name__ == "__main__":
    main()
