//! The supply-chain commands end to end: in-toto statements (`-o in-toto-*`, checked with the
//! in-toto attestation bindings from PyPI), the policy gate (`sbom check`) on our documents
//! and on Syft's and Trivy's for the same images (`testdata/sboms/`, see SOURCES.md), and
//! `sbom diff` between images and documents.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn image(name: &str) -> PathBuf {
    root().join("testdata/images").join(name)
}

fn sboms(name: &str) -> PathBuf {
    root().join("testdata/sboms").join(name)
}

fn sbom() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sbom"));
    c.env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("SBOM_LOG")
        .env_remove("COLUMNS");
    c
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn scan_to(img: &Path, format: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!(
        "{}.{format}.json",
        img.file_name().unwrap().to_string_lossy()
    ));
    let mut spec = std::ffi::OsString::from(format!("{format}="));
    spec.push(&out);
    let o = sbom()
        .arg("scan")
        .arg(img)
        .arg("-q")
        .arg("-o")
        .arg(spec)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "scan {}: {}",
        img.display(),
        text(&o.stderr)
    );
    out
}

/// A Python with the `in_toto_attestation` package: `SBOM_INTOTO_PYTHON`, the anchors'
/// validation venv, or `python3`. None (and a SKIP line) when there is none; under CI, a
/// failure.
fn intoto_python() -> Option<PathBuf> {
    let anchors = std::env::var_os("SBOM_ANCHORS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/sbom-anchors")));
    let candidates = std::env::var_os("SBOM_INTOTO_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(anchors.map(|a| a.join("venv-validate/bin/python")))
        .chain([PathBuf::from("python3")]);
    for py in candidates {
        let ok = Command::new(&py)
            .args(["-c", "import in_toto_attestation.v1.statement"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set and no python has in-toto-attestation (pip install in-toto-attestation, or set SBOM_INTOTO_PYTHON)"
    );
    eprintln!("SKIP: no python with in-toto-attestation (pip install in-toto-attestation==0.9.3)");
    None
}

/// Parses the statement into the bindings' protobuf `Statement` (unknown fields refused) and
/// runs their `validate()`; prints the subject and predicate type it read.
const VALIDATE_PY: &str = r#"
import sys
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
pb = json_format.Parse(open(sys.argv[1]).read(), statement_pb2.Statement())
st = Statement.copy_from_pb(pb)
st.validate()
s = pb.subject[0]
print(s.name, s.digest["sha256"], pb.predicate_type)
"#;

#[test]
fn in_toto_statements_name_the_manifest_and_carry_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let oci = image("tiny-debian.oci");
    let index: Value =
        serde_json::from_slice(&std::fs::read(oci.join("index.json")).unwrap()).unwrap();
    let manifest = index["manifests"][0]["digest"].as_str().unwrap();
    let hex = manifest.strip_prefix("sha256:").unwrap();
    let py = intoto_python();
    for (format, inner, predicate_type) in [
        (
            "in-toto-spdx-json",
            "spdx-json",
            "https://spdx.dev/Document",
        ),
        (
            "in-toto-cyclonedx-json",
            "cyclonedx-json",
            "https://cyclonedx.org/bom",
        ),
    ] {
        let path = scan_to(&oci, format, dir.path());
        let st: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
        assert_eq!(st["predicateType"], predicate_type);
        assert_eq!(st["subject"].as_array().unwrap().len(), 1);
        // the archive records io.containerd.image.name localhost/tiny-debian:latest
        assert_eq!(st["subject"][0]["name"], "localhost/tiny-debian");
        assert_eq!(
            st["subject"][0]["digest"]["sha256"], hex,
            "the manifest's digest"
        );
        // the predicate is exactly the document -o INNER writes
        let doc: Value =
            serde_json::from_slice(&std::fs::read(scan_to(&oci, inner, dir.path())).unwrap())
                .unwrap();
        assert_eq!(st["predicate"], doc, "{format}");
        if let Some(py) = &py {
            let o = Command::new(py)
                .args(["-c", VALIDATE_PY])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{format}: in-toto-attestation rejects it: {}",
                text(&o.stderr)
            );
            assert_eq!(
                text(&o.stdout).trim(),
                format!("localhost/tiny-debian {hex} {predicate_type}")
            );
        }
        // what `sbom check` reads: the statement's predicate
        let (code, out, err) = check(&path, &["--require", "version"]);
        assert_eq!(code, Some(0), "{out}{err}");
    }
}

#[test]
fn no_statement_without_a_manifest_digest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("st.json");
    // a classic docker save records only the config digest, and a config digest is not what
    // registries serve
    let o = sbom()
        .arg("scan")
        .arg(image("tiny-debian.docker.tar.gz"))
        .arg("-q")
        .arg("-o")
        .arg(format!("in-toto-spdx-json={}", out.display()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("tiny-debian.docker.tar.gz") && err.contains("no manifest digest"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!out.exists(), "no statement written");
    assert!(o.stdout.is_empty());
}

/// Every document of the tiny image: ours (SPDX and CycloneDX), Syft's and Trivy's.
fn tiny_documents(dir: &Path) -> Vec<PathBuf> {
    let img = image("tiny-debian.docker.tar.gz");
    vec![
        scan_to(&img, "spdx-json", dir),
        scan_to(&img, "cyclonedx-json", dir),
        sboms("tiny-debian.syft.spdx.json"),
        sboms("tiny-debian.syft.cdx.json"),
        sboms("tiny-debian.trivy.spdx.json"),
        sboms("tiny-debian.trivy.cdx.json"),
    ]
}

fn check(target: &Path, rest: &[&str]) -> (Option<i32>, String, String) {
    let o = sbom().arg("check").arg(target).args(rest).output().unwrap();
    (o.status.code(), text(&o.stdout), text(&o.stderr))
}

fn check_json(target: &Path, rest: &[&str]) -> (Option<i32>, Value) {
    let mut args = rest.to_vec();
    args.extend(["--format", "json"]);
    let (code, out, err) = check(target, &args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, v)
}

/// (rule, package name) of every violation.
fn hits(report: &Value) -> Vec<(String, String)> {
    report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["rule"].as_str().unwrap().to_string(),
                v["package"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn package_rules_hold_on_every_producers_documents() {
    let dir = tempfile::tempdir().unwrap();
    for doc in tiny_documents(dir.path()) {
        let name = doc.display().to_string();
        // busybox-static is 1:1.35.0-4+deb12u1+b1: the epoch puts it above 1.36 for dpkg, and
        // Trivy writes the epoch in a purl qualifier
        let (code, r) = check_json(
            &doc,
            &[
                "--deny-package",
                "pkg:deb/debian/hostname",
                "--deny-package",
                "pkg:deb/debian/busybox-static@<1:1.35.0-4+deb12u2",
                "--deny-package",
                "pkg:deb/debian/libzstd1@<1.36",
                "--deny-package",
                "pkg:deb/busybox-static@<1.36",
                "--deny-package",
                "pkg:deb/debian/curl",
            ],
        );
        assert_eq!(code, Some(1), "{name}");
        let mut got = hits(&r);
        got.sort();
        let want: Vec<(String, String)> = [
            ("package-denied", "busybox-static"),
            ("package-denied", "hostname"),
            ("package-denied", "libzstd1"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want, "{name}");

        // PEP 440: attrs 23.2.0 is below 23.2.1 and not below 23.2 (the same version); Trivy
        // misses the Debian-owned dists but has attrs
        let (code, r) = check_json(&doc, &["--deny-package", "pkg:pypi/attrs@<23.2.1"]);
        assert_eq!((code, hits(&r).len()), (Some(1), 1), "{name}");
        let (code, r) = check_json(&doc, &["--deny-package", "pkg:PyPI/Attrs@<23.2"]);
        assert_eq!((code, hits(&r).len()), (Some(0), 0), "{name}");
    }
}

#[test]
fn license_rules_are_evaluated_as_expressions() {
    let dir = tempfile::tempdir().unwrap();
    for doc in tiny_documents(dir.path()) {
        let name = doc.display().to_string();
        // every producer reads hostname's copyright as GPL-2.0-only
        let (code, r) = check_json(&doc, &["--deny-license", "GPL-2.0-only"]);
        assert_eq!(code, Some(1), "{name}");
        let denied: Vec<String> = hits(&r).into_iter().map(|(_, n)| n).collect();
        assert!(
            denied.contains(&"hostname".to_string()),
            "{name}: {denied:?}"
        );
        for v in r["violations"].as_array().unwrap() {
            assert_eq!(v["rule"], "license-denied");
            let lic = v["package"]["license"].as_str().unwrap();
            assert!(lic.contains("GPL-2.0-only"), "{name}: {lic}");
        }
        // a prefix
        let (_, prefixed) = check_json(&doc, &["--deny-license", "GPL-2.0-o*"]);
        assert!(hits(&prefixed).len() >= denied.len(), "{name}");

        // allow-list: attrs is MIT everywhere, so allowing MIT alone fails everything else
        let (code, r) = check_json(&doc, &["--allow-license", "MIT"]);
        assert_eq!(code, Some(1));
        assert!(
            !hits(&r).iter().any(|(_, n)| n == "attrs"),
            "{name}: attrs is MIT"
        );
        assert!(hits(&r)
            .iter()
            .all(|(rule, _)| rule == "license-not-allowed"));
    }
}

#[test]
fn or_passes_when_one_branch_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("bom.cdx.json");
    std::fs::write(
        &doc,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":[
          {"type":"library","name":"dual","version":"1.0.0","purl":"pkg:npm/dual@1.0.0",
           "licenses":[{"expression":"MIT OR GPL-3.0-only"}]},
          {"type":"library","name":"both","version":"1.0.0","purl":"pkg:npm/both@1.0.0",
           "licenses":[{"expression":"MIT AND GPL-3.0-only"}]}]}"#,
    )
    .unwrap();
    let (code, r) = check_json(&doc, &["--deny-license", "GPL-3.0-only"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        hits(&r),
        [("license-denied".to_string(), "both".to_string())]
    );
    let (code, r) = check_json(&doc, &["--allow-license", "MIT"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        hits(&r),
        [("license-not-allowed".to_string(), "both".to_string())]
    );
    let (code, _) = check_json(
        &doc,
        &["--allow-license", "MIT", "--allow-license", "GPL-3.0-only"],
    );
    assert_eq!(code, Some(0));
}

#[test]
fn policy_files_in_toml_and_yaml_agree_with_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("policy.toml");
    std::fs::write(
        &toml,
        "require = [\"supplier\"]\n[licenses]\ndeny = [\"GPL-2.0-only\"]\n[packages]\ndeny = [\"pkg:apk/alpine/musl@<1.1.22-r4\"]\n",
    )
    .unwrap();
    let yaml = dir.path().join("policy.yaml");
    std::fs::write(
        &yaml,
        "require: [supplier]\nlicenses:\n  deny: [GPL-2.0-only]\npackages:\n  deny: ['pkg:apk/alpine/musl@<1.1.22-r4']\n",
    )
    .unwrap();
    let alpine = image("alpine-3.10-docker-save.tar.gz");
    for doc in [
        alpine.clone(),
        sboms("alpine-3.10.syft.spdx.json"),
        sboms("alpine-3.10.syft.cdx.json"),
        sboms("alpine-3.10.trivy.spdx.json"),
        sboms("alpine-3.10.trivy.cdx.json"),
    ] {
        let (c1, a) = check_json(&doc, &["--policy", toml.to_str().unwrap()]);
        let (c2, b) = check_json(&doc, &["--policy", yaml.to_str().unwrap()]);
        let (c3, c) = check_json(
            &doc,
            &[
                "--require",
                "supplier",
                "--deny-license",
                "GPL-2.0-only",
                "--deny-package",
                "pkg:apk/alpine/musl@<1.1.22-r4",
            ],
        );
        assert_eq!(
            (c1, c2, c3),
            (Some(1), Some(1), Some(1)),
            "{}",
            doc.display()
        );
        assert_eq!(a["violations"], b["violations"]);
        assert_eq!(a["violations"], c["violations"]);
        // musl 1.1.22-r3 < 1.1.22-r4 by apk's order
        assert!(
            hits(&a).contains(&("package-denied".into(), "musl".into())),
            "{}",
            doc.display()
        );
    }
}

#[test]
fn sarif_output_is_a_code_scanning_log() {
    let doc = sboms("tiny-debian.trivy.spdx.json");
    let (code, out, _) = check(
        &doc,
        &["--deny-package", "pkg:deb/debian/hostname", "-f", "sarif"],
    );
    assert_eq!(code, Some(1));
    let log: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "sbom");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    let i = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[i]["id"], r["ruleId"], "ruleIndex points at the rule");
    assert_eq!(r["ruleId"], "package-denied");
    assert!(r["message"]["text"].as_str().unwrap().contains("hostname"));
    let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("tiny-debian.trivy.spdx.json"), "{uri}");
}

#[test]
fn check_reads_images_too() {
    // six 1.16.0 is the Debian-owned dist python3-six installed
    let oci = image("tiny-debian.oci");
    let (code, out, err) = check(&oci, &["--deny-package", "pkg:pypi/six"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        out.contains("pkg:pypi/six@1.16.0") && out.contains("FAIL"),
        "{out}"
    );
    let (code, out, _) = check(&oci, &["--deny-package", "pkg:pypi/six@>=1.16.1"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("PASS"), "{out}");
}

#[test]
fn bad_input_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 5] = [
        ("notjson.json", "{ this is not json", "not JSON"),
        ("array.json", "[1, 2]", "not an SBOM document"),
        (
            "spdx3.json",
            r#"{"spdxVersion":"SPDX-3.0","packages":[]}"#,
            "SPDX-3.0",
        ),
        (
            "cdx13.json",
            r#"{"bomFormat":"CycloneDX","specVersion":"1.3"}"#,
            "1.3",
        ),
        (
            "wrongtype.json",
            r#"{"spdxVersion":"SPDX-2.3","packages":[{"name":7}]}"#,
            "invalid type",
        ),
    ];
    for (file, body, says) in cases {
        let p = dir.path().join(file);
        std::fs::write(&p, body).unwrap();
        let (code, out, err) = check(&p, &["--deny-license", "MIT"]);
        assert_eq!(code, Some(2), "{file}: {err}");
        assert!(err.contains(file) && err.contains(says), "{file}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.is_empty());
    }
    // a huge file is refused by its size, before it is read (sparse: no disk, no memory)
    let huge = dir.path().join("huge.json");
    let f = std::fs::File::create(&huge).unwrap();
    std::io::Write::write_all(&mut &f, b"{").unwrap();
    f.set_len(600 << 20).unwrap();
    let (code, _, err) = check(&huge, &["--deny-license", "MIT"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("huge.json") && err.contains("larger than"),
        "{err}"
    );

    let doc = sboms("tiny-debian.syft.spdx.json");
    let bad_policy = dir.path().join("policy.toml");
    std::fs::write(&bad_policy, "[licenses]\ndeny = [\"GPL-3.0-or-latr\"]\n").unwrap();
    for (args, says) in [
        (
            vec!["--policy", bad_policy.to_str().unwrap()],
            "policy.toml",
        ),
        (vec!["--deny-license", "NOT-A-LICENSE"], "NOT-A-LICENSE"),
        (
            vec!["--deny-package", "pkg:maven/org.x/y@<2"],
            "no version order",
        ),
        (vec!["--deny-package", "curl"], "purl"),
        (vec![], "no rules"),
    ] {
        let (code, _, err) = check(&doc, &args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

fn diff_json(old: &Path, new: &Path, rest: &[&str]) -> (Option<i32>, Value) {
    let o = sbom()
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(["--format", "json"])
        .args(rest)
        .output()
        .unwrap();
    let v =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
    (o.status.code(), v)
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn diff_of_one_image_in_two_forms_and_against_other_producers() {
    let docker = image("tiny-debian.docker.tar.gz");
    // the same image as an OCI layout: nothing changed, exit 0 even with --exit-code
    let (code, d) = diff_json(&docker, &image("tiny-debian.oci"), &["--exit-code"]);
    assert_eq!(code, Some(0), "{d}");
    // Syft reads the same versions of the same packages
    let (code, d) = diff_json(
        &docker,
        &sboms("tiny-debian.syft.spdx.json"),
        &["--exit-code"],
    );
    assert_eq!(code, Some(0), "{d}");
    // Trivy misses the Debian-owned Python dists (README: How it compares); they are removed,
    // with the layer that installed them on the image side
    let (code, d) = diff_json(
        &docker,
        &sboms("tiny-debian.trivy.cdx.json"),
        &["--exit-code"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(names(&d["removed"]), ["idna", "six"]);
    for r in d["removed"].as_array().unwrap() {
        assert_eq!(r["origin"]["layer"], 1);
        assert!(r["origin"]["instruction"]
            .as_str()
            .unwrap()
            .contains("python3-six"));
    }
    for k in ["added", "upgraded", "downgraded", "changed"] {
        assert_eq!(d[k], Value::Array(vec![]), "{k}");
    }
    // without --exit-code a difference is still exit 0
    let (code, _) = diff_json(&docker, &sboms("tiny-debian.trivy.cdx.json"), &[]);
    assert_eq!(code, Some(0));
}

/// debian-small (built from its Dockerfile by the shared image scripts) against the tiny
/// image: the changes the real dpkg databases imply, each with the layer it came from.
#[test]
fn diff_between_two_real_images() {
    let Some(dir) = std::env::var_os("SBOM_IMAGES").map(PathBuf::from) else {
        println!("SKIP: SBOM_IMAGES is not set (see README: Tests with real images)");
        return;
    };
    let small = dir.join("debian-small.docker.tar");
    let dockerfile = dir.join("debian-small.Dockerfile");
    assert!(
        small.exists(),
        "SBOM_IMAGES is set but {} is missing",
        small.display()
    );
    let tiny = image("tiny-debian.docker.tar.gz");
    let (code, d) = diff_json(
        &tiny,
        &small,
        &["--exit-code", "--dockerfile", dockerfile.to_str().unwrap()],
    );
    assert_eq!(code, Some(1));
    // the truth files say which dpkg packages each image holds
    let truth = |p: &Path| -> std::collections::BTreeMap<String, String> {
        let t: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        t["packages"]["dpkg"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| {
                Some((
                    p["name"].as_str()?.to_string(),
                    p["version"].as_str()?.to_string(),
                ))
            })
            .collect()
    };
    let old = truth(&image("tiny-debian.truth.json"));
    let new = truth(&dir.join("debian-small.truth.json"));
    let deb = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ecosystem"] == "deb")
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let added: Vec<String> = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .cloned()
        .collect();
    let removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let mut got_added = deb(&d["added"]);
    got_added.sort();
    let mut got_removed = deb(&d["removed"]);
    got_removed.sort();
    assert_eq!(got_added, added);
    assert_eq!(got_removed, removed);
    let moved: Vec<&String> = old
        .iter()
        .filter(|(k, v)| new.get(*k).is_some_and(|n| n != *v))
        .map(|(k, _)| k)
        .collect();
    let mut got_moved = deb(&d["upgraded"]);
    got_moved.extend(deb(&d["downgraded"]));
    got_moved.extend(deb(&d["changed"]));
    got_moved.sort();
    assert_eq!(got_moved.iter().collect::<Vec<_>>(), moved);
    // upgrade or downgrade is what the real dpkg says (these images have both: debian-small's
    // base is an older point release than the tiny image's .debs)
    let dpkg = Command::new("dpkg")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    for (kind, op) in [("upgraded", "lt"), ("downgraded", "gt")] {
        for c in d[kind]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ecosystem"] == "deb")
        {
            let (from, to) = (c["from"].as_str().unwrap(), c["to"].as_str().unwrap());
            if dpkg {
                let ok = Command::new("dpkg")
                    .args(["--compare-versions", from, op, to])
                    .status()
                    .unwrap()
                    .success();
                assert!(ok, "{kind}: dpkg disagrees that {from} {op} {to}");
            }
        }
    }
    assert!(
        deb(&d["downgraded"]).contains(&"liblzma5".to_string()),
        "{}",
        d["downgraded"]
    );
    // every addition names its layer and the Dockerfile instruction that made it
    for a in d["added"].as_array().unwrap() {
        let i = a["origin"]["instruction"].as_str().unwrap_or("");
        assert!(i.contains("Dockerfile line"), "{a}");
    }
}
