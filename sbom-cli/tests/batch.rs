//! Several images in one run, and the layer cache on the command line: one set of documents
//! per image, layers shared, failures reported without stopping the rest; `--cache` shared
//! by processes at once; `sbom cache stats|prune`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn image(name: &str) -> PathBuf {
    root().join("testdata/images").join(name)
}

fn sbom() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sbom"));
    c.env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("SBOM_LOG")
        .env_remove("SBOM_CACHE")
        .env_remove("COLUMNS");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("running sbom")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One image scanned alone: the document every batch or cached scan must reproduce.
fn single(img: &Path, format: &str) -> Vec<u8> {
    let o = run(sbom().arg("scan").arg(img).args(["-q", "-o", format]));
    assert!(o.status.success(), "{}", stderr(&o));
    o.stdout
}

#[test]
fn a_batch_writes_each_image_as_alone_and_goes_on_past_a_failure() {
    let out = tempfile::tempdir().unwrap();
    let list = out.path().join("list.txt");
    let missing = out.path().join("missing.tar");
    std::fs::write(
        &list,
        format!(
            "# images to scan\n\n{}\n{}\n",
            missing.display(),
            image("whiteout-3layers-docker-save.tar").display()
        ),
    )
    .unwrap();
    let o = run(sbom()
        .arg("scan")
        .arg(image("tiny-debian.oci"))
        .arg("--images-from")
        .arg(&list)
        .arg("-o")
        .arg(format!(
            "spdx-json={}/{{name}}.spdx.json",
            out.path().display()
        ))
        .arg("-o")
        .arg(format!("json={}/{{index}}.json", out.path().display())));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // the failure named, the summary lists all three, the others written
    assert!(err.contains("missing.tar"), "{err}");
    assert!(err.contains("3 images, 1 failed"), "{err}");
    assert!(err.contains("IMAGE") && err.contains("PACKAGES"), "{err}");
    for (name, index, img) in [
        ("tiny-debian.oci", 1, "tiny-debian.oci"),
        (
            "whiteout-3layers-docker-save.tar",
            3,
            "whiteout-3layers-docker-save.tar",
        ),
    ] {
        let spdx = std::fs::read(out.path().join(format!("{name}.spdx.json"))).unwrap();
        assert_eq!(spdx, single(&image(img), "spdx-json"), "{name}");
        let json = std::fs::read(out.path().join(format!("{index}.json"))).unwrap();
        assert_eq!(json, single(&image(img), "json"), "{name}");
    }
    assert!(!out.path().join("2.json").exists());
}

#[test]
fn a_batch_needs_a_file_name_per_image_before_it_scans_anything() {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("one.json");
    let o = run(sbom()
        .arg("scan")
        .arg(image("tiny-debian.oci"))
        .arg(image("whiteout-3layers-docker-save.tar"))
        .arg("-o")
        .arg(format!("json={}", file.display())));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("{name}"), "{}", stderr(&o));
    assert!(!file.exists());
    // a machine format on stdout cannot take several documents either
    let o = run(sbom()
        .arg("scan")
        .arg(image("tiny-debian.oci"))
        .arg(image("whiteout-3layers-docker-save.tar"))
        .args(["-o", "spdx-json"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // two images that make one name
    let copy = out.path().join("a");
    std::fs::create_dir(&copy).unwrap();
    let o = run(sbom()
        .arg("scan")
        .arg(image("tiny-debian.oci"))
        .arg(copy.join("..").join("a"))
        .arg(image("tiny-debian.oci"))
        .arg("-o")
        .arg(format!("json={}/{{name}}.json", out.path().display())));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("{index}"), "{}", stderr(&o));
}

/// A list holding one image (one pod's shard of a fleet's list in deploy/kubernetes) goes
/// through the single-image path: its file names are filled in all the same.
#[test]
fn a_list_of_one_image_fills_in_the_file_name() {
    let out = tempfile::tempdir().unwrap();
    let list = out.path().join("list.txt");
    let img = image("tiny-debian.oci");
    std::fs::write(&list, format!("# one\n{}\n", img.display())).unwrap();
    let o = run(sbom()
        .arg("scan")
        .arg("--images-from")
        .arg(&list)
        .arg("-q")
        .arg("-o")
        .arg(format!(
            "spdx-json={}/{{name}}-{{index}}.spdx.json",
            out.path().display()
        )));
    assert!(o.status.success(), "{}", stderr(&o));
    let want = out.path().join("tiny-debian.oci-1.spdx.json");
    assert!(!out.path().join("{name}-{index}.spdx.json").exists());
    assert_eq!(
        std::fs::read(&want).unwrap_or_else(|e| panic!("{}: {e}", want.display())),
        single(&img, "spdx-json")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn a_batch_shares_layers_without_a_cache_directory() {
    // the same image under two names: the second takes every layer from the first
    let out = tempfile::tempdir().unwrap();
    let twin = out.path().join("twin.oci");
    copy_dir(&image("tiny-debian.oci"), &twin);
    let o = run(sbom()
        .env("SBOM_LOG", "info")
        .arg("scan")
        .arg(image("tiny-debian.oci"))
        .arg(&twin)
        .arg("-o")
        .arg(format!("json={}/{{index}}.json", out.path().display())));
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("3 of 3 layers from the layer cache"), "{err}");
    let a = std::fs::read(out.path().join("1.json")).unwrap();
    let b = std::fs::read(out.path().join("2.json")).unwrap();
    let strip = |v: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(v).unwrap();
        v["image"]["source"] = serde_json::Value::Null;
        v["image"]["name"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&a), strip(&b));
    // nothing was written outside the outputs
    let made: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(made.len(), 3);
}

fn real_or_fixture() -> PathBuf {
    match std::env::var_os("SBOM_IMAGES") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("debian-small.docker.tar"),
        _ => {
            eprintln!("SKIP (partly): SBOM_IMAGES is not set; the fixture image stands in");
            image("whiteout-3layers-docker-save.tar")
        }
    }
}

#[test]
fn two_processes_share_one_cache_directory_at_once() {
    let img = real_or_fixture();
    let cold = single(&img, "cyclonedx-json");
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let spawn = || {
        sbom()
            .arg("scan")
            .arg(&img)
            .args(["-q", "-o", "cyclonedx-json", "--cache"])
            .arg(&cache)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // both miss, both write every entry: the renames race, and either whole entry wins
    let (a, b) = (spawn(), spawn());
    for o in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(o.stdout, cold);
    }
    let stats = run(sbom()
        .args(["cache", "stats", "-o", "json", "--cache"])
        .arg(&cache));
    assert!(stats.status.success(), "{}", stderr(&stats));
    let s: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    let entries = s["entries"].as_u64().unwrap();
    assert!(entries >= 3, "{s}");
    assert_eq!(
        std::fs::read_dir(cache.join("tmp")).unwrap().count(),
        0,
        "no temporary file left"
    );
    // warm, and through SBOM_CACHE: every layer from the cache, the same document
    let o = run(sbom()
        .env("SBOM_CACHE", &cache)
        .env("SBOM_LOG", "info")
        .arg("scan")
        .arg(&img)
        .args(["-o", "cyclonedx-json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{entries} of {entries} layers from the layer cache"
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(o.stdout, cold);
    // prune: to a size, then everything
    let o = run(sbom()
        .args(["cache", "prune", "--max-size", "1", "--cache"])
        .arg(&cache));
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        said.contains(&format!("removed {entries} layers")),
        "{said}"
    );
    let o = run(sbom().args(["cache", "prune", "--cache"]).arg(&cache));
    assert_eq!(o.status.code(), Some(2), "prune says what to keep");
    let o = run(sbom()
        .args(["cache", "stats", "--cache"])
        .arg(dir.path().join("nope")));
    assert_eq!(o.status.code(), Some(2));
}
