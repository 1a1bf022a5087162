#!/usr/bin/env python3
"""Times sbom, Syft and Trivy on image archives and prints a Markdown table.

Called by compare.sh (which builds the binaries first); standard library only.

  compare.py [--rounds N] [--timeout S] [--json OUT] [--engine] [IMAGE...]

Without IMAGE: testdata/images/tiny-debian.docker.tar.gz, plus, when $SBOM_IMAGES is set,
debian-small.{docker,oci,oci-zstd}.tar and debian-large.{docker,oci}.tar that exist there.
The tools run in alternation (sbom, sbom spdx, syft, trivy, floor; repeat) so machine noise
hits them alike. Each run is timed by `/usr/bin/time -f` (wall, user+sys CPU, max RSS);
the table shows medians. A tool that is not installed is skipped and said so.

With --engine (and DOCKER_HOST naming a running dockerd), every docker-archive image is also
loaded into that engine (untimed) and read from it: `sbom scan docker:ID` against the
engine's own export, `docker save ID > /dev/null` (the floor: Debian's 20.10 client refuses
`-o /dev/null`), `syft docker:REF` and `trivy image --image-src docker REF`.
"""
import argparse
import gzip
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHORS = os.environ.get("SBOM_ANCHORS") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sbom-anchors")
TIME = "/usr/bin/time"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def which(name):
    p = shutil.which(name, path=os.path.join(ANCHORS, "bin") + os.pathsep + os.environ.get("PATH", ""))
    return p


def default_images():
    imgs = [os.path.join(ROOT, "testdata/images/tiny-debian.docker.tar.gz")]
    d = os.environ.get("SBOM_IMAGES")
    if d:
        for n in ["debian-small.docker.tar", "debian-small.oci.tar", "debian-small.oci-zstd.tar",
                  "debian-large.docker.tar", "debian-large.oci.tar", "many-files.docker.tar"]:
            p = os.path.join(d, n)
            if os.path.exists(p):
                imgs.append(p)
            else:
                log(f"note: {p} not present, skipped")
    return imgs


def kind_of(path):
    if os.path.isdir(path):
        return "oci-dir"
    base = os.path.basename(path)
    if ".oci" in base:
        return "oci-archive"
    return "docker-archive"


class Prepared:
    """Untimed per-image preparation for the other tools (gunzip, OCI tar -> dir)."""

    def __init__(self, path, tmp):
        self.path = path
        self.kind = kind_of(path)
        self.notes = []
        self.syft_ref = None
        self.trivy_input = None
        self.tmp = tmp
        src = path
        if path.endswith(".gz"):
            # Syft's docker-archive: source wants an uncompressed tar
            src = os.path.join(tmp, os.path.basename(path)[:-3])
            with gzip.open(path, "rb") as f, open(src, "wb") as out:
                shutil.copyfileobj(f, out, 1 << 20)
            self.notes.append("syft/trivy read the gunzipped tar (gunzip untimed)")
        if self.kind == "docker-archive":
            self.syft_ref = f"docker-archive:{src}"
            self.trivy_input = src
        elif self.kind == "oci-archive":
            self.syft_ref = f"oci-archive:{src}"
            # Trivy reads OCI layouts only as directories
            d = os.path.join(tmp, "oci-layout")
            os.makedirs(d, exist_ok=True)
            with tarfile.open(src) as t:
                t.extractall(d, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(d)
            self.trivy_input = d
            self.notes.append("trivy reads the OCI tar extracted to a dir (untimed)")
        else:
            self.syft_ref = f"oci-dir:{src}"
            self.trivy_input = src


def timed(cmd, timeout, env=None):
    """Runs cmd under /usr/bin/time; returns dict(wall, cpu, rss_mb, rc)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = [TIME, "-f", "%e %U %S %M", "-o", tf.name] + cmd
        t0 = time.monotonic()
        # own process group, so a timeout kills the tool and not only /usr/bin/time
        proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
        try:
            _, stderr = proc.communicate(timeout=timeout)
            p = subprocess.CompletedProcess(full, proc.returncode, None, stderr)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"wall": time.monotonic() - t0, "cpu": None, "rss_mb": None, "rc": "timeout",
                    "err": f"did not finish within {timeout} s"}
        lines = [l for l in tf.read().splitlines() if l.strip()]
        try:
            e, u, s, m = lines[-1].split()
            r = {"wall": float(e), "cpu": float(u) + float(s), "rss_mb": int(m) / 1024,
                 "rc": p.returncode}
        except (IndexError, ValueError):
            r = {"wall": time.monotonic() - t0, "cpu": None, "rss_mb": None, "rc": p.returncode}
        if p.returncode != 0:
            r["err"] = p.stderr.decode(errors="replace").strip().splitlines()[-3:]
        return r


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    for l in out.splitlines():
        if l.strip().lower().startswith("version") or l.startswith("sbom"):
            return l.split(":", 1)[-1].strip() if ":" in l else l.strip()
    return out.strip().splitlines()[0] if out.strip() else "?"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=2):
    return "-" if x is None else f"{x:.{nd}f}"


def free_port():
    import socket
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def start_registry(tmp):
    """docker-registry serve on 127.0.0.1 (plain HTTP, storage in tmp); returns (proc, host)."""
    port = free_port()
    cfg = os.path.join(tmp, "registry.yml")
    with open(cfg, "w") as f:
        f.write(f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                f"storage:\n  filesystem:\n    rootdirectory: {tmp}/registry\n"
                f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    import socket
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"127.0.0.1:{port}"


def registry_rows(images, tools, a, sbom, syft, trivy, env):
    """`--registry`: each image pushed (skopeo, untimed) to a loopback registry, then pulled
    and scanned: sbom registry:, Syft registry:, Trivy --image-src remote, and sbom on the
    same archive as the baseline."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="sbom-compare-registry-") as tmp:
        proc, host = start_registry(tmp)
        try:
            for img in images:
                name = os.path.basename(img.rstrip("/"))
                repo = name.split(".")[0].lower()
                kind = kind_of(img)
                src = f"{kind}:{img}" if kind != "oci-dir" else f"oci:{img}"
                subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", src,
                                f"docker://{host}/{repo}:bench"], check=True)
                ref = f"{host}/{repo}:bench"
                cache = os.path.join(tmp, "trivy-cache")
                cmds = {
                    "sbom": [sbom, "scan", f"registry:{ref}", "-q", "-o", "cyclonedx-json=/dev/null"],
                    "sbom-archive": [sbom, "scan", img, "-q", "-o", "cyclonedx-json=/dev/null"],
                }
                if syft:
                    cmds["syft"] = [syft, f"registry:{ref}", "-q", "-o", "cyclonedx-json=/dev/null"]
                if trivy:
                    cmds["trivy"] = [trivy, "image", "--image-src", "remote", "--insecure", ref,
                                     "--format", "cyclonedx", "--output", "/dev/null",
                                     "--skip-db-update", "--skip-java-db-update", "--offline-scan",
                                     "--cache-backend", "memory", "--cache-dir", cache, "-q"] + (
                        # offline Trivy has no Java DB and refuses jars without it
                        ["--skip-files", "**/*.jar"] if any(s in name for s in a.skip_jars) else [])
                renv = dict(env, SYFT_REGISTRY_INSECURE_USE_HTTP="true")
                runs = {t: [] for t in cmds}
                for r in range(a.rounds):
                    for t, cmd in cmds.items():
                        res = timed(cmd, a.timeout, renv)
                        runs[t].append(res)
                        log(f"registry {name} round {r + 1} {t}: wall {fmt(res['wall'])} s "
                            f"cpu {fmt(res['cpu'])} s rss {fmt(res['rss_mb'], 0)} MB rc {res['rc']}"
                            + (f" {res.get('err')}" if res.get("err") else ""))
                results[f"registry:{name}"] = {"runs": runs, "notes": ["pushed with skopeo (untimed)"]}
        finally:
            proc.kill()
            proc.wait()
    return results, [t for t in ["sbom", "sbom-archive", "syft", "trivy"] if t in tools or t == "sbom-archive"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="*")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("TIMEOUT", "600")))
    ap.add_argument("--json", help="also write raw runs here")
    ap.add_argument("--tools", default="sbom,sbom-spdx,syft,trivy,floor")
    ap.add_argument("--engine", action="store_true",
                    help="also read each docker-archive image from the dockerd at DOCKER_HOST")
    ap.add_argument("--registry", action="store_true",
                    help="pull the images from a loopback registry (docker-registry, skopeo) instead")
    ap.add_argument("--skip-jars", action="append", default=[],
                    help="image basename substring for which trivy gets --skip-files '**/*.jar'")
    a = ap.parse_args()
    images = a.images or default_images()
    tools_wanted = a.tools.split(",")

    sbom = os.path.join(ROOT, "target/release/sbom")
    floor = os.path.join(ROOT, "target/release/floor")
    syft = which("syft")
    trivy = which("trivy")
    if not os.path.exists(TIME):
        sys.exit(f"{TIME} (GNU time) is missing: apt-get install time")
    avail = {"sbom": os.path.exists(sbom), "sbom-spdx": os.path.exists(sbom),
             "syft": bool(syft), "trivy": bool(trivy), "floor": os.path.exists(floor)}
    for t in tools_wanted:
        if not avail.get(t):
            log(f"note: {t} not found, skipped")
    tools = [t for t in tools_wanted if avail.get(t)]

    versions = {
        "sbom": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                               capture_output=True, text=True).stdout.strip() + " (git)",
    }
    if syft:
        versions["syft"] = version([syft, "version"])
    if trivy:
        versions["trivy"] = version([trivy, "--version"])
    env = dict(os.environ, SYFT_CHECK_FOR_APP_UPDATE="false", TRIVY_NO_PROGRESS="true")

    if a.registry:
        results, rtools = registry_rows(images, tools, a, sbom, syft, trivy, env)
        print_table(results, rtools, versions, a.rounds)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"versions": versions, "results": results}, f, indent=1)
        return

    results = {}
    for img in images:
        name = os.path.basename(img.rstrip("/"))
        with tempfile.TemporaryDirectory(prefix="sbom-compare-") as tmp:
            prep = Prepared(img, tmp) if ("syft" in tools or "trivy" in tools) else None
            cache = os.path.join(tmp, "trivy-cache")
            skip_jars = any(s in name for s in a.skip_jars)
            cmds = {
                "sbom": [sbom, "scan", img, "-q", "-o", "cyclonedx-json=/dev/null"],
                "sbom-spdx": [sbom, "scan", img, "-q", "-o", "spdx-json=/dev/null"],
                "floor": [floor, img],
            }
            if prep:
                cmds["syft"] = [syft, prep.syft_ref, "-q", "-o", "cyclonedx-json=/dev/null"]
                cmds["trivy"] = [trivy, "image", "--input", prep.trivy_input, "--format", "cyclonedx",
                                 "--output", "/dev/null", "--skip-db-update", "--skip-java-db-update",
                                 "--offline-scan", "--cache-backend", "memory", "--cache-dir", cache,
                                 "-q"] + (["--skip-files", "**/*.jar"] if skip_jars else [])
            runs = {t: [] for t in tools}
            dead = set()
            for r in range(a.rounds):
                for t in tools:
                    if t in dead:
                        continue
                    res = timed(cmds[t], a.timeout, env)
                    runs[t].append(res)
                    log(f"{name} round {r + 1} {t}: wall {fmt(res['wall'])} s cpu {fmt(res['cpu'])} s "
                        f"rss {fmt(res['rss_mb'], 0)} MB rc {res['rc']}"
                        + (f" {res.get('err')}" if res.get("err") else ""))
                    if res["rc"] != 0:
                        dead.add(t)  # a failure or timeout does not get better by repeating
            notes = list(prep.notes) if prep else []
            if skip_jars and "trivy" in tools:
                notes.append("trivy ran with --skip-files '**/*.jar'")
            results[name] = {"runs": runs, "notes": notes}
            if a.engine and kind_of(img) == "docker-archive":
                results[name + " via dockerd"] = engine_runs(img, name, a, sbom, syft, trivy, env,
                                                             cache, skip_jars)

    print_table(results, tools, versions, a.rounds)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"versions": versions, "results": results}, f, indent=1)


DOCKER = "/usr/bin/docker"


def engine_runs(img, name, a, sbom, syft, trivy, env, cache, skip_jars):
    """Loads img into the dockerd at DOCKER_HOST (untimed), then times the engine readers."""
    if not os.environ.get("DOCKER_HOST"):
        sys.exit("--engine needs DOCKER_HOST naming a running dockerd")
    out = subprocess.run([DOCKER, "load", "-i", img], capture_output=True, text=True, check=True).stdout
    ref = None
    for l in out.splitlines():
        if l.startswith("Loaded image: "):
            ref = l.split(": ", 1)[1].strip()
        elif l.startswith("Loaded image ID: "):
            ref = ref or l.split(": ", 1)[1].strip()
    image_id = subprocess.run([DOCKER, "image", "inspect", "-f", "{{.Id}}", ref], capture_output=True,
                              text=True, check=True).stdout.strip()
    # untimed: the first export after a load is slower for whoever comes first
    subprocess.run(["sh", "-c", f"{DOCKER} save {image_id} > /dev/null"], check=True)
    cmds = {
        "sbom": [sbom, "scan", f"docker:{image_id}", "-q", "-o", "cyclonedx-json=/dev/null"],
        "docker-save": ["sh", "-c", f"{DOCKER} save {image_id} > /dev/null"],
    }
    if syft:
        cmds["syft"] = [syft, f"docker:{ref}", "-q", "-o", "cyclonedx-json=/dev/null"]
    if trivy:
        cmds["trivy"] = [trivy, "image", "--image-src", "docker", "--format", "cyclonedx", "--output",
                         "/dev/null", "--skip-db-update", "--skip-java-db-update", "--offline-scan",
                         "--cache-backend", "memory", "--cache-dir", cache, "-q"] \
            + (["--skip-files", "**/*.jar"] if skip_jars else []) + [ref]
    runs = {t: [] for t in cmds}
    for r in range(a.rounds):
        for t, cmd in cmds.items():
            res = timed(cmd, a.timeout, env)
            runs[t].append(res)
            log(f"{name} via dockerd round {r + 1} {t}: wall {fmt(res['wall'])} s cpu {fmt(res['cpu'])} s "
                f"rss {fmt(res['rss_mb'], 0)} MB rc {res['rc']}" + (f" {res.get('err')}" if res.get("err") else ""))
    return {"runs": runs, "notes": [f"loaded as {ref}; CPU and RSS are the client's, not dockerd's"]}


def summary(runs):
    ok = [r for r in runs if r["rc"] == 0]
    if not ok:
        rc = runs[0]["rc"] if runs else "?"
        return None, f"failed (rc {rc})" if rc != "timeout" else runs[0]["err"]
    return {"wall": med(r["wall"] for r in ok), "cpu": med(r["cpu"] for r in ok),
            "rss": med(r["rss_mb"] for r in ok), "n": len(ok)}, ""


def print_table(results, tools, versions, rounds):
    print(f"Medians of {rounds} alternating rounds; machine: {os.cpu_count()} vCPU, "
          f"{platform.machine()}, Linux {platform.release()}; {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print()
    print("| image | tool | wall s | CPU s (user+sys) | max RSS MB | wall ÷ sbom | CPU ÷ sbom | notes |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for name, res in results.items():
        base, _ = summary(res["runs"].get("sbom", []))
        for t in [t for t in tools if t in res["runs"]] + [t for t in res["runs"] if t not in tools]:
            s, err = summary(res["runs"].get(t, []))
            if s is None:
                print(f"| {name} | {t} | - | - | - | - | - | {err} |")
                continue
            rw = s["wall"] / base["wall"] if base and base["wall"] else None
            rc = s["cpu"] / base["cpu"] if base and base["cpu"] else None
            note = ""
            if t == "floor" and base:
                note = (f"sbom ÷ floor: {base['wall'] / s['wall']:.2f}x wall, "
                        f"{base['cpu'] / s['cpu']:.2f}x CPU") if s["wall"] and s["cpu"] else ""
            if t == "docker-save" and base and s["wall"]:
                note = f"sbom ÷ docker save: {base['wall'] / s['wall']:.2f}x wall; " + "; ".join(res["notes"])
            elif t in ("syft", "trivy") and res["notes"]:
                note = "; ".join(n for n in res["notes"] if t in n or "syft/trivy" in n)
            label = {"sbom": "sbom (cyclonedx-json)", "sbom-spdx": "sbom (spdx-json)",
                     "sbom-archive": "sbom on the archive"}.get(t, t)
            print(f"| {name} | {label} | {fmt(s['wall'])} | {fmt(s['cpu'])} | {fmt(s['rss'], 0)} | "
                  f"{fmt(rw)} | {fmt(rc)} | {note} |")


if __name__ == "__main__":
    main()
