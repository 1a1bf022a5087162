//! `sbom lock` round trip with a real Docker daemon: an image built from a Dockerfile that
//! installs unpinned packages (apt from the Debian mirror, pip from PyPI), locked, rebuilt from
//! the lock, must hold the same packages at the same versions.

#[path = "../../testdata/engines.rs"]
mod engines;

use std::path::{Path, PathBuf};
use std::process::Command;

const DOCKERFILE: &str = "\
FROM debian-small:latest
# tools, unpinned: the lock pins them
RUN apt-get update && \\
    apt-get install -y --no-install-recommends jq less && \\
    rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir --break-system-packages \\
    --trusted-host pypi.org --trusted-host files.pythonhosted.org six
";

fn sbom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sbom"))
}

fn docker(engine: &engines::Running) -> Command {
    let mut c = Command::new("/usr/bin/docker");
    let (var, value) = engine.host_env();
    c.env(var, value).env("DOCKER_BUILDKIT", "1");
    c
}

fn build_and_save(engine: &engines::Running, ctx: &Path, file: &str, tag: &str) -> PathBuf {
    let out = docker(engine)
        .args([
            "build",
            "--network",
            "host",
            "-q",
            "-f",
            file,
            "-t",
            tag,
            ".",
        ])
        .current_dir(ctx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker build {file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let archive = ctx.join(format!("{tag}.tar"));
    let st = docker(engine)
        .args(["save", "-o"])
        .arg(&archive)
        .arg(tag)
        .status()
        .unwrap();
    assert!(st.success());
    archive
}

fn packages(archive: &Path) -> Vec<(String, String, String)> {
    let out = sbom()
        .arg("scan")
        .arg(archive)
        .args(["-o", "json", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut v: Vec<_> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["ecosystem"].as_str().unwrap_or_default().to_string(),
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_locked_dockerfile_rebuilds_the_same_packages() {
    let Some(images) = std::env::var_os("SBOM_IMAGES").filter(|v| !v.is_empty()) else {
        eprintln!("SKIP: SBOM_IMAGES is not set; the lock round trip needs debian-small");
        return;
    };
    let Some(engine) = engines::docker() else {
        return;
    };
    engine.load(&Path::new(&images).join("debian-small.docker.tar"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), DOCKERFILE).unwrap();
    let first = build_and_save(engine, dir.path(), "Dockerfile", "lock-first");

    let out = sbom()
        .arg("lock")
        .arg(&first)
        .args(["--dockerfile", "Dockerfile", "-o", "Dockerfile.lock"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let locked = std::fs::read_to_string(dir.path().join("Dockerfile.lock")).unwrap();
    let want = packages(&first);
    let version = |name: &str| {
        want.iter()
            .find(|p| p.1 == name)
            .map(|p| p.2.clone())
            .unwrap_or_else(|| panic!("{name} not in the first image"))
    };
    for pin in [
        format!("jq={}", version("jq")),
        format!("less={}", version("less")),
        format!("six=={}", version("six")),
    ] {
        assert!(locked.contains(&pin), "{pin} not in\n{locked}");
    }
    // comments stay; the base, named by a tag the image does not pin, gets a note
    assert!(locked.contains("# tools, unpinned: the lock pins them"));
    assert!(locked.contains("# sbom lock: base image debian-small:latest"));

    let second = build_and_save(engine, dir.path(), "Dockerfile.lock", "lock-second");
    assert_eq!(packages(&second), want);
}
