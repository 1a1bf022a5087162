#!/usr/bin/env python3
"""Packs root filesystem snapshots into a real multi-layer image, deterministically.

Each --layer is a snapshot of the root after a build step. Layer N holds what changed since
snapshot N-1: new or modified files (with their parent directories) and a `.wh.NAME`
whiteout for every path that disappeared (one for a whole removed directory). The layers are
written as a gzip-wrapped docker-archive, an OCI layout directory (gzip layers) and an OCI
layout tar (zstd layers), all with fixed timestamps, so the same snapshots give the same bytes.
A truth file records, per layer, dpkg-query's view (--dpkg files), the Python dist-info and
egg-info directories and the node_modules packages found in the snapshot.
"""
import argparse, gzip, hashlib, io, json, os, stat, subprocess, tarfile

EPOCH = 1704067200  # 2024-01-01T00:00:00Z: fixed, so archives are reproducible
CREATED = "2024-01-01T00:00:00Z"


def scan(root):
    """path -> (kind, mode, payload) for every entry under root (not following links)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("l", 0o777, os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("d", stat.S_IMODE(st.st_mode), None)
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    out[rel] = ("f", stat.S_IMODE(st.st_mode), hashlib.sha256(f.read()).hexdigest())
    return out


def layer_tar(root, prev, cur):
    """The uncompressed tar of what changed from prev to cur (both scan() results)."""
    changed = sorted(p for p, v in cur.items() if prev.get(p) != v)
    wanted = set(changed)
    for p in changed:  # parent directories go with their children, as docker diffs do
        parent = os.path.dirname(p)
        while parent:
            wanted.add(parent)
            parent = os.path.dirname(parent)
    gone = sorted(p for p in prev if p not in cur)
    whiteouts = [p for p in gone if os.path.dirname(p) not in gone or os.path.dirname(p) == ""]
    for p in whiteouts:
        parent = os.path.dirname(p)
        while parent:
            wanted.add(parent)
            parent = os.path.dirname(parent)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        entries = [(p, "entry") for p in wanted] + [(p, "whiteout") for p in whiteouts]
        for p, what in sorted(entries, key=lambda e: (e[0] if e[1] == "entry" else os.path.join(os.path.dirname(e[0]), ".wh." + os.path.basename(e[0])))):
            if what == "whiteout":
                name = os.path.join(os.path.dirname(p), ".wh." + os.path.basename(p))
                ti = tarfile.TarInfo(name)
                ti.mtime, ti.mode = EPOCH, 0o644
                t.addfile(ti, io.BytesIO(b""))
                continue
            kind, mode, payload = cur[p]
            ti = tarfile.TarInfo(p + ("/" if kind == "d" else ""))
            ti.mtime, ti.mode, ti.uid, ti.gid, ti.uname, ti.gname = EPOCH, mode, 0, 0, "root", "root"
            if kind == "d":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif kind == "l":
                ti.type, ti.linkname = tarfile.SYMTYPE, payload
                t.addfile(ti)
            else:
                with open(os.path.join(root, p), "rb") as f:
                    data = f.read()
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue(), len(whiteouts)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def gz(b):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as g:
        g.write(b)
    return out.getvalue()


def zst(b):
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=b, stdout=subprocess.PIPE, check=True).stdout


def tar_of(files):
    """A deterministic tar of {name: bytes} (dirs implied by names are added)."""
    buf = io.BytesIO()
    dirs = sorted({os.path.dirname(n) for n in files if os.path.dirname(n)} | {d for n in files for d in [os.path.dirname(os.path.dirname(n))] if d})
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for d in dirs:
            ti = tarfile.TarInfo(d + "/")
            ti.type, ti.mtime, ti.mode = tarfile.DIRTYPE, EPOCH, 0o755
            t.addfile(ti)
        for n in sorted(files):
            ti = tarfile.TarInfo(n)
            ti.size, ti.mtime, ti.mode = len(files[n]), EPOCH, 0o644
            t.addfile(ti, io.BytesIO(files[n]))
    return buf.getvalue()


def oci_layout(layers, compress, media_suffix, config_bytes, name):
    blobs = {}
    descs = []
    for raw in layers:
        blob = compress(raw)
        blobs[sha(blob)] = blob
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + media_suffix, "digest": sha(blob), "size": len(blob)})
    blobs[sha(config_bytes)] = config_bytes
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config_bytes), "size": len(config_bytes)},
        "layers": descs,
    }
    mbytes = json.dumps(manifest, separators=(",", ":")).encode()
    blobs[sha(mbytes)] = mbytes
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(mbytes), "size": len(mbytes),
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"org.opencontainers.image.ref.name": "latest", "io.containerd.image.name": f"localhost/{name}:latest"},
        }],
    }
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": json.dumps(index, separators=(",", ":")).encode()}
    for d, b in blobs.items():
        files["blobs/sha256/" + d.split(":")[1]] = b
    return files


def python_dists(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in sorted(dirnames + filenames):
            if n.endswith(".dist-info") or n.endswith(".egg-info"):
                meta = os.path.join(dirpath, n, "METADATA" if n.endswith(".dist-info") else "PKG-INFO")
                if not os.path.exists(meta):
                    meta = os.path.join(dirpath, n)
                fields = {}
                if os.path.isfile(meta):
                    for line in open(meta, encoding="utf-8", errors="replace"):
                        if not line.strip():
                            break
                        if ":" in line and not line[0].isspace():
                            k, v = line.split(":", 1)
                            fields.setdefault(k.strip(), v.strip())
                out.append({"path": "/" + os.path.relpath(os.path.join(dirpath, n), root), "name": fields.get("Name"), "version": fields.get("Version")})
    return sorted(out, key=lambda d: d["path"])


def npm_pkgs(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.basename(os.path.dirname(dirpath)) == "node_modules" and "package.json" in filenames:
            pj = json.load(open(os.path.join(dirpath, "package.json")))
            out.append({"path": "/" + os.path.relpath(os.path.join(dirpath, "package.json"), root), "name": pj.get("name"), "version": pj.get("version")})
    return sorted(out, key=lambda d: d["path"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layer", nargs=2, action="append", metavar=("SNAPSHOT", "CREATED_BY"), required=True)
    ap.add_argument("--dpkg", nargs="+", help="dpkg-query -W output after each layer")
    a = ap.parse_args()
    prev, raws, history, truth_layers = {}, [], [], []
    dpkg_prev = {}
    for i, (snap, created_by) in enumerate(a.layer):
        cur = scan(snap)
        raw, n_wh = layer_tar(snap, prev, cur)
        raws.append(raw)
        history.append({"created": CREATED, "created_by": created_by, "comment": "built by testdata/make-tiny-image.sh"})
        dpkg_now = {}
        if a.dpkg:
            for line in open(a.dpkg[i]):
                pkg, ver, arch, src, srcver, status = line.rstrip("\n").split("\t")
                if status.strip() == "ii":
                    dpkg_now[pkg] = {"name": pkg, "version": ver, "architecture": arch, "source": src, "source_version": srcver}
        truth_layers.append({
            "diff_id": sha(raw), "whiteouts": n_wh,
            "dpkg": {"added": sorted(k for k in dpkg_now if k not in dpkg_prev),
                     "removed": sorted(k for k in dpkg_prev if k not in dpkg_now),
                     "version_changed": sorted(k for k in dpkg_now if k in dpkg_prev and dpkg_now[k]["version"] != dpkg_prev[k]["version"])},
            "python": python_dists(snap), "npm": npm_pkgs(snap),
        })
        prev, dpkg_prev = cur, dpkg_now
    history.insert(1, {"created": CREATED, "created_by": "/bin/sh -c #(nop)  ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "empty_layer": True})
    history.append({"created": CREATED, "created_by": '/bin/sh -c #(nop)  CMD ["/bin/sh"]', "empty_layer": True})
    config = {
        "architecture": "amd64", "os": "linux", "created": CREATED,
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"],
                   "Labels": {"org.opencontainers.image.title": a.name, "org.opencontainers.image.description": "SBOM test fixture built from real Debian packages"}},
        "rootfs": {"type": "layers", "diff_ids": [sha(r) for r in raws]},
        "history": history,
    }
    cbytes = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
    os.makedirs(a.out, exist_ok=True)
    # 1. docker save | gzip: classic layout, <id>/layer.tar, manifest.json last
    files = {}
    for r in raws:
        lid = hashlib.sha256(r).hexdigest()
        files[f"{lid}/VERSION"] = b"1.0"
        files[f"{lid}/layer.tar"] = r
    cname = hashlib.sha256(cbytes).hexdigest() + ".json"
    files[cname] = cbytes
    tag = f"{a.name}:latest"
    manifest = [{"Config": cname, "RepoTags": [tag], "Layers": [f"{hashlib.sha256(r).hexdigest()}/layer.tar" for r in raws]}]
    files["manifest.json"] = json.dumps(manifest, separators=(",", ":")).encode()
    files["repositories"] = json.dumps({a.name: {"latest": hashlib.sha256(raws[-1]).hexdigest()}}).encode()
    docker = tar_of(files)
    with open(os.path.join(a.out, f"{a.name}.docker.tar.gz"), "wb") as f:
        f.write(gz(docker))
    # 2. OCI layout directory, gzip layers
    d = os.path.join(a.out, f"{a.name}.oci")
    for name, b in oci_layout(raws, gz, "+gzip", cbytes, a.name).items():
        os.makedirs(os.path.dirname(os.path.join(d, name)) or d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(b)
    # 3. OCI layout tar, zstd layers
    with open(os.path.join(a.out, f"{a.name}.oci-zstd.tar"), "wb") as f:
        f.write(tar_of(oci_layout(raws, zst, "+zstd", cbytes, a.name)))
    final = {}
    for line in open(a.dpkg[-1]) if a.dpkg else []:
        pkg, ver, arch, src, srcver, status = line.rstrip("\n").split("\t")
        if status.strip() == "ii":
            final[pkg] = {"name": pkg, "version": ver, "architecture": arch, "source": src, "source_version": srcver}
    truth = {
        "image": a.name, "config_digest": sha(cbytes), "layers": truth_layers,
        "packages": {"dpkg": [final[k] for k in sorted(final)], "python": truth_layers[-1]["python"], "npm": truth_layers[-1]["npm"]},
        "generated_by": "testdata/make-tiny-image.sh: dpkg-query --admindir, dist-info/egg-info and node_modules scans of each snapshot",
    }
    with open(os.path.join(a.out, f"{a.name}.truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
