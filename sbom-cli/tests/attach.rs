//! `sbom attach`, `discover`, `fetch` and `scan --attach` against the real Distribution
//! registry (`docker-registry`, started by `support/registry.rs` open, with Basic auth over
//! TLS, and with token auth). Distribution has no referrers API, so the referrers tag schema
//! is what is exercised there; the referrers API branch runs against the same registry
//! behind the test proxy, which serves `/v2/<name>/referrers/` from the subjects of the
//! manifests pushed through it. What is pushed is read back with skopeo and with curl, by
//! the spec's URLs, not only by our own client.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::registry::{
    self as reg, Auth, Fault, Proxy, ReferrersAnswer, Registry, TokenMode, PASSWORD, USER,
};

const TOOLS: &[&str] = &["docker-registry", "skopeo", "openssl", "htpasswd", "curl"];
const EPOCH: &str = "1700000000";
const CREATED: &str = "2023-11-14T22:13:20Z";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tiny_oci() -> PathBuf {
    root().join("testdata/images/tiny-debian.oci")
}

/// The binary with nothing from the user's environment that could change what it does.
fn sbom(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sbom"));
    c.env("SOURCE_DATE_EPOCH", EPOCH).env("HOME", home);
    for v in [
        "DOCKER_CONFIG",
        "REGISTRY_AUTH_FILE",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "SBOM_REGISTRY_PASSWORD",
        "SBOM_LOG",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        c.env_remove(v);
    }
    c
}

/// `sbom` with the flags and password the registry needs.
fn sbom_for(home: &Path, r: &Registry) -> Command {
    let mut c = sbom(home);
    if r.auth != Auth::Open {
        c.env("SBOM_REGISTRY_PASSWORD", PASSWORD);
    }
    c
}

fn flags(r: &Registry) -> Vec<String> {
    let mut f = Vec::new();
    if r.auth != Auth::Open {
        f.extend(["--registry-username".to_string(), USER.to_string()]);
    }
    if let Some(ca) = &r.ca {
        f.extend(["--registry-ca".to_string(), ca.display().to_string()]);
    }
    f
}

fn run(c: &mut Command) -> Output {
    c.output().expect("running sbom")
}

fn ok(c: &mut Command) -> Output {
    let o = run(c);
    assert!(
        o.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!String::from_utf8_lossy(&o.stderr).contains(PASSWORD));
    o
}

/// One `error:` line containing every piece, exit `code`, no secret anywhere.
fn assert_fails(o: &Output, code: i32, must: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {err}");
    for m in must {
        assert!(lines[0].contains(m), "{m:?} not in {:?}", lines[0]);
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains(PASSWORD), "the password leaked: {err}");
    eprintln!("as expected: {}", lines[0]);
    lines[0].to_string()
}

/// The SPDX and CycloneDX documents of the tiny image, under names that do not say which is
/// which (the type comes from the content).
fn documents(home: &Path) -> (PathBuf, PathBuf) {
    let (spdx, cdx) = (home.join("first.json"), home.join("second.txt"));
    ok(sbom(home).arg("scan").arg(tiny_oci()).args([
        "-q",
        "-o",
        &format!("spdx-json={}", spdx.display()),
        "-o",
        &format!("cyclonedx-json={}", cdx.display()),
    ]));
    (spdx, cdx)
}

fn discover(home: &Path, r: &Registry, host: &str, image: &str) -> Value {
    let o = ok(sbom_for(home, r)
        .args(["discover", &format!("{host}/{image}"), "-o", "json"])
        .args(flags(r)));
    serde_json::from_slice(&o.stdout).expect("discover -o json")
}

fn sha256(bytes: &[u8]) -> String {
    layer_walker::Digest::sha256(bytes).to_string()
}

/// `curl` GET of a spec URL on an open registry: the body, or the HTTP status as an error.
fn curl(url: &str, accept: Option<&str>) -> Result<Vec<u8>, String> {
    let mut c = Command::new("curl");
    c.args(["-s", "-S", "-f", "--noproxy", "*"]);
    if let Some(a) = accept {
        c.args(["-H", &format!("Accept: {a}")]);
    }
    let o = c.arg(url).output().expect("curl");
    if o.status.success() {
        Ok(o.stdout)
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

fn skopeo_raw(r: &Registry, image: &str) -> Vec<u8> {
    let mut c = Command::new("skopeo");
    c.args(["inspect", "--raw", "--tls-verify=false"]);
    if r.auth != Auth::Open {
        c.arg(format!("--creds={USER}:{PASSWORD}"));
    }
    let o = c
        .arg(format!("docker://{}/{image}", r.host()))
        .env("REGISTRY_AUTH_FILE", r.dir.path().join("skopeo-auth.json"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "skopeo inspect --raw {image}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Attach, discover and fetch by the tag schema, with every kind of auth the support code
/// starts: the artifact manifest is what OCI 1.1 asks for, skopeo reads it, earlier entries
/// survive later attaches.
#[test]
fn attach_discover_fetch_through_the_referrers_tag_schema_with_each_auth() {
    if !reg::tools(TOOLS) {
        return;
    }
    for auth in [Auth::Open, Auth::BasicTls, Auth::Token] {
        let r = Registry::start(auth);
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        r.push(
            &format!("oci:{}", tiny_oci().display()),
            "team/tiny:1",
            false,
        );
        let image = format!("{}/team/tiny:1", r.host());
        let (spdx, cdx) = documents(h);

        let o = ok(sbom_for(h, &r)
            .arg("attach")
            .arg(&image)
            .arg(&spdx)
            .arg(&cdx)
            .args(flags(&r)));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("(referrers tag schema)"), "{auth:?}: {err}");
        let printed = String::from_utf8_lossy(&o.stdout).into_owned();
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(lines.len(), 2, "{printed}");
        assert!(
            lines[0].ends_with(" application/spdx+json first.json"),
            "{printed}"
        );
        assert!(
            lines[1].ends_with(" application/vnd.cyclonedx+json second.txt"),
            "{printed}"
        );

        // the subject is the manifest as the registry serves it (skopeo's raw bytes)
        let image_raw = skopeo_raw(&r, "team/tiny:1");
        let subject = sha256(&image_raw);
        let found = discover(h, &r, &r.host(), "team/tiny:1");
        assert_eq!(found["subject"]["digest"], subject.as_str());
        assert_eq!(found["subject"]["size"], image_raw.len());
        assert_eq!(found["support"], "tag-schema");
        let manifests = found["manifests"].as_array().unwrap();
        assert_eq!(manifests.len(), 2, "{found:#}");
        let types: Vec<&str> = manifests
            .iter()
            .map(|m| m["artifactType"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            ["application/spdx+json", "application/vnd.cyclonedx+json"]
        );
        for (m, (line, doc)) in manifests.iter().zip(lines.iter().zip([&spdx, &cdx])) {
            let digest = m["digest"].as_str().unwrap();
            assert!(line.starts_with(digest), "{line} vs {digest}");
            assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
            assert_eq!(
                m["annotations"]["org.opencontainers.image.created"],
                CREATED
            );
            assert!(m["annotations"]["invalid.example.sbom.tool"]
                .as_str()
                .unwrap()
                .starts_with("sbom/"));

            // skopeo reads the artifact manifest; it is the OCI 1.1 artifact shape
            let raw = skopeo_raw(&r, &format!("team/tiny@{digest}"));
            assert_eq!(sha256(&raw), digest);
            assert_eq!(m["size"], raw.len());
            let a: Value = serde_json::from_slice(&raw).unwrap();
            if auth == Auth::Open {
                eprintln!("skopeo inspect --raw: {}", String::from_utf8_lossy(&raw));
            }
            assert_eq!(a["schemaVersion"], 2);
            assert_eq!(a["mediaType"], "application/vnd.oci.image.manifest.v1+json");
            assert_eq!(a["artifactType"], m["artifactType"]);
            assert_eq!(
                a["config"],
                serde_json::json!({
                    "mediaType": "application/vnd.oci.empty.v1+json",
                    "digest": sha256(b"{}"),
                    "size": 2,
                    "data": "e30=",
                })
            );
            let bytes = std::fs::read(doc).unwrap();
            let layers = a["layers"].as_array().unwrap();
            assert_eq!(layers.len(), 1);
            assert_eq!(layers[0]["mediaType"], m["artifactType"]);
            assert_eq!(layers[0]["digest"], sha256(&bytes).as_str());
            assert_eq!(layers[0]["size"], bytes.len());
            assert_eq!(
                layers[0]["annotations"]["org.opencontainers.image.title"],
                doc.file_name().unwrap().to_str().unwrap()
            );
            assert_eq!(a["subject"]["digest"], subject.as_str());
            assert_eq!(a["subject"]["size"], image_raw.len());
            assert_eq!(
                a["subject"]["mediaType"],
                serde_json::from_slice::<Value>(&image_raw).unwrap()["mediaType"]
            );
            assert_eq!(a["annotations"], m["annotations"]);

            // plain HTTP by the spec's URLs, blob by blob (the open registry: no auth to do)
            if auth == Auth::Open {
                let base = format!("http://{}/v2/team/tiny", r.host());
                let got = curl(
                    &format!("{base}/manifests/{digest}"),
                    Some("application/vnd.oci.image.manifest.v1+json"),
                )
                .unwrap();
                assert_eq!(got, raw);
                assert_eq!(
                    curl(&format!("{base}/blobs/{}", sha256(b"{}")), None).unwrap(),
                    b"{}"
                );
                let layer = curl(&format!("{base}/blobs/{}", sha256(&bytes)), None).unwrap();
                assert_eq!(layer, bytes);
                let tag = subject.replace(':', "-");
                let index = curl(
                    &format!("{base}/manifests/{tag}"),
                    Some("application/vnd.oci.image.index.v1+json"),
                )
                .unwrap();
                let index: Value = serde_json::from_slice(&index).unwrap();
                assert_eq!(
                    index["mediaType"],
                    "application/vnd.oci.image.index.v1+json"
                );
                assert!(index["manifests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["digest"] == digest));
                // the registry itself has no referrers API: the tag schema was right
                assert!(curl(&format!("{base}/referrers/{subject}"), None).is_err());
            }
        }

        // fetched back byte for byte, to a file and to stdout
        let out = h.join("fetched.spdx.json");
        ok(sbom_for(h, &r)
            .args(["fetch", &image, "--type", "spdx", "-q", "-o"])
            .arg(&out)
            .args(flags(&r)));
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&spdx).unwrap());
        let o = ok(sbom_for(h, &r)
            .args([
                "fetch",
                &format!("registry:{image}"),
                "--type",
                "cyclonedx",
                "-q",
            ])
            .args(flags(&r)));
        assert_eq!(o.stdout, std::fs::read(&cdx).unwrap());
        assert_fails(
            &run(sbom_for(h, &r)
                .args(["fetch", &image, "--type", "in-toto"])
                .args(flags(&r))),
            1,
            &["no in-toto document is attached"],
        );

        // a third document, an in-toto statement, later: the first two entries stay
        let statement = h.join("statement.json");
        ok(sbom(h).arg("scan").arg(tiny_oci()).args([
            "-q",
            "-o",
            &format!("in-toto-spdx-json={}", statement.display()),
        ]));
        ok(sbom_for(h, &r)
            .env("SOURCE_DATE_EPOCH", "1700000100")
            .args(["attach", &image])
            .arg(&statement)
            .args(flags(&r)));
        let after = discover(h, &r, &r.host(), "team/tiny:1");
        let after = after["manifests"].as_array().unwrap();
        assert_eq!(after.len(), 3);
        assert_eq!(&after[..2], manifests.as_slice(), "earlier entries changed");
        assert_eq!(after[2]["artifactType"], "application/vnd.in-toto+json");
        let o = ok(sbom_for(h, &r)
            .args(["discover", &image, "--type", "in-toto"])
            .args(flags(&r)));
        let tree = String::from_utf8_lossy(&o.stdout);
        assert!(
            tree.starts_with(&format!("{}/team/tiny@{subject}\n", r.host())),
            "{tree}"
        );
        assert!(
            tree.contains("└── application/vnd.in-toto+json\n"),
            "{tree}"
        );
        assert!(!tree.contains("spdx+json"), "{tree}");
        assert!(
            tree.contains("org.opencontainers.image.created: 2023-11-14T22:15:00Z"),
            "{tree}"
        );
        let o = ok(sbom_for(h, &r)
            .args([
                "fetch",
                &image,
                "--type",
                "application/vnd.in-toto+json",
                "-q",
            ])
            .args(flags(&r)));
        assert_eq!(o.stdout, std::fs::read(&statement).unwrap());

        if auth == Auth::Token {
            scan_attach(h, &r);
        }
        if auth == Auth::Open {
            newest_or_digest(h, &image, &spdx);
        }
    }
}

/// `scan registry:... --attach` attaches what it wrote, to the image it read.
fn scan_attach(h: &Path, r: &Registry) {
    r.push(&format!("oci:{}", tiny_oci().display()), "scanned:2", false);
    let image = format!("{}/scanned:2", r.host());
    let out = h.join("scanned.cdx.json");
    let o = ok(sbom_for(h, r)
        .args(["scan", &format!("registry:{image}"), "--attach", "-o"])
        .arg(format!("cyclonedx-json={}", out.display()))
        .args(["-o", "table=/dev/null"])
        .args(flags(r)));
    assert!(o.stdout.is_empty());
    let found = discover(h, r, &r.host(), "scanned:2");
    let m = found["manifests"].as_array().unwrap();
    assert_eq!(
        m.len(),
        1,
        "only the CycloneDX document is attachable: {found:#}"
    );
    assert_eq!(m[0]["artifactType"], "application/vnd.cyclonedx+json");
    let o = ok(sbom_for(h, r)
        .args(["fetch", &image, "--type", "cyclonedx", "-q"])
        .args(flags(r)));
    assert_eq!(o.stdout, std::fs::read(&out).unwrap());
    // a batch attaches each image's own documents to it (the file names from {index})
    let other = root().join("testdata/images/whiteout-3layers-docker-save.tar");
    r.push(
        &format!("docker-archive:{}", other.display()),
        "batch-b:1",
        false,
    );
    r.push(&format!("oci:{}", tiny_oci().display()), "batch-a:1", false);
    let list = h.join("batch.txt");
    let (a, b) = (
        format!("{}/batch-a:1", r.host()),
        format!("{}/batch-b:1", r.host()),
    );
    std::fs::write(&list, format!("registry:{a}\nregistry:{b}\n")).unwrap();
    ok(sbom_for(h, r)
        .args(["scan", "-q", "--attach", "--images-from"])
        .arg(&list)
        .arg("-o")
        .arg(format!(
            "spdx-json={}/batch-{{index}}.spdx.json",
            h.display()
        ))
        .args(flags(r)));
    for (i, image) in [(1, &a), (2, &b)] {
        let found = discover(h, r, &r.host(), image.rsplit_once('/').unwrap().1);
        assert_eq!(found["manifests"].as_array().unwrap().len(), 1, "{found:#}");
        let o = ok(sbom_for(h, r)
            .args(["fetch", image, "--type", "spdx", "-q"])
            .args(flags(r)));
        let written = std::fs::read(h.join(format!("batch-{i}.spdx.json"))).unwrap();
        assert_eq!(o.stdout, written, "{image}");
    }
    // nothing attachable, or no registry image: a usage error before any scan
    assert_fails(
        &run(sbom_for(h, r)
            .args([
                "scan",
                &format!("registry:{image}"),
                "--attach",
                "-o",
                "json",
            ])
            .args(flags(r))),
        2,
        &["--attach: no document to attach"],
    );
    assert_fails(
        &run(sbom(h)
            .arg("scan")
            .arg(tiny_oci())
            .args(["--attach", "-o", "spdx-json"])),
        2,
        &["--attach: the image must be a registry: image"],
    );
}

/// Several documents of one type: the newest by creation time, else an error listing them,
/// unless --digest picks one.
fn newest_or_digest(h: &Path, image: &str, spdx: &Path) {
    // the same document, pretty-printed, attached later: the newest SPDX one
    let v: Value = serde_json::from_slice(&std::fs::read(spdx).unwrap()).unwrap();
    let newer = h.join("newer.spdx.json");
    std::fs::write(&newer, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    ok(sbom(h)
        .env("SOURCE_DATE_EPOCH", "1700000200")
        .args(["attach", image])
        .arg(&newer));
    let o = ok(sbom(h).args(["fetch", image, "--type", "spdx", "-q"]));
    assert_eq!(o.stdout, std::fs::read(&newer).unwrap());
    // a third at the same second: no newest; the error lists them, --digest picks one
    let same = h.join("same.spdx.json");
    let mut compact = serde_json::to_vec(&v).unwrap();
    compact.push(b'\n');
    std::fs::write(&same, &compact).unwrap();
    let o = ok(sbom(h)
        .env("SOURCE_DATE_EPOCH", "1700000200")
        .args(["attach", image])
        .arg(&same));
    let digest = String::from_utf8_lossy(&o.stdout)
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let line = assert_fails(
        &run(sbom(h).args(["fetch", image, "--type", "spdx"])),
        1,
        &["spdx documents are attached", "--digest", &digest],
    );
    assert_eq!(line.matches("sha256:").count(), 1 + 3, "{line}");
    let o = ok(sbom(h).args(["fetch", image, "--type", "spdx", "--digest", &digest, "-q"]));
    assert_eq!(o.stdout, compact);
}

/// A registry with the referrers API (Distribution behind the proxy that serves one): the
/// artifact is found through it, detected by `OCI-Subject` or by the API's answer, and no
/// referrers tag is written.
#[test]
fn the_referrers_api_is_used_where_the_registry_has_one() {
    if !reg::tools(TOOLS) {
        return;
    }
    for subject_header in [true, false] {
        let r = Registry::start(Auth::Open);
        let p = Proxy::start(
            r.port,
            Fault::Referrers {
                subject_header,
                answer: ReferrersAnswer::Honest,
            },
        );
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
        let (spdx, cdx) = documents(h);
        let image = format!("{}/tiny:1", p.host());
        let o = ok(sbom(h).args(["attach", &image]).arg(&spdx).arg(&cdx));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.matches("(referrers API)").count(), 2, "{err}");
        let subject = sha256(&r.manifest("tiny", "1"));
        assert_eq!(p.recorded_referrers(&subject), 2);
        let found = discover(h, &r, &p.host(), "tiny:1");
        assert_eq!(found["support"], "referrers-api");
        assert_eq!(found["manifests"].as_array().unwrap().len(), 2, "{found:#}");
        let o = ok(sbom(h).args(["fetch", &image, "--type", "cyclonedx", "-q"]));
        assert_eq!(o.stdout, std::fs::read(&cdx).unwrap());
        let heads = p.heads.lock().unwrap().clone();
        assert!(
            heads
                .iter()
                .any(|h| h.starts_with("GET /v2/tiny/referrers/")),
            "the API was not asked"
        );
        assert!(
            !heads.iter().any(|h| h.contains("/manifests/sha256-")),
            "the tag schema was used beside the API"
        );
        let tag = format!(
            "http://{}/v2/tiny/manifests/{}",
            r.host(),
            subject.replace(':', "-")
        );
        assert!(curl(&tag, None).is_err(), "a referrers tag was written");
    }
}

/// Two writers of one referrers tag, made to collide (both read the index before either
/// writes): each reads back what it wrote, and the one whose entry was overwritten adds it
/// again, so both are listed.
///
/// Distribution ignores `If-Match`, so the spec's conditional update cannot refuse the
/// losing write; what makes the outcome certain here is the read-back, in this interleaving.
/// A writer whose confirmed entry is overwritten afterwards (another client's read before
/// our write, its write after our read-back) cannot be protected on such a registry by any
/// client; this test does not pretend otherwise.
#[test]
fn colliding_attaches_from_two_processes_keep_both_entries() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let p = Proxy::start(r.port, Fault::RaceReferrersTag);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let (spdx, cdx) = documents(h);
    let image = format!("{}/tiny:1", p.host());
    let spawn = |doc: &Path| {
        sbom(h)
            .args(["attach", &image])
            .arg(doc)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(&spdx), spawn(&cdx));
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let heads = p.heads.lock().unwrap().clone();
    let tag_puts = heads
        .iter()
        .filter(|h| h.starts_with("PUT ") && h.contains("/manifests/sha256-"))
        .count();
    assert!(
        tag_puts >= 3,
        "the collision was not provoked: {tag_puts} PUTs"
    );
    let found = discover(h, &r, &r.host(), "tiny:1");
    let types: Vec<&str> = found["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["artifactType"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 2, "{found:#}");
    assert!(types.contains(&"application/spdx+json"));
    assert!(types.contains(&"application/vnd.cyclonedx+json"));
}

/// Refused pushes, pushes cut midway, and referrers lists that lie: one clear error line,
/// nothing half-done left looking complete.
#[test]
fn attach_faults_are_one_clean_error_line() {
    if !reg::tools(TOOLS) {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (spdx, cdx) = documents(h);
    let r = Registry::start(Auth::Open);
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);

    // not an SBOM: named, nothing pushed
    let notes = h.join("notes.json");
    std::fs::write(&notes, br#"{"hello": "world"}"#).unwrap();
    let image = format!("{}/tiny:1", r.host());
    assert_fails(
        &run(sbom(h).args(["attach", &image]).arg(&spdx).arg(&notes)),
        1,
        &["notes.json", "no SPDX"],
    );
    assert!(discover(h, &r, &r.host(), "tiny:1")["manifests"]
        .as_array()
        .unwrap()
        .is_empty());

    // a registry that refuses writes (403)
    let p = Proxy::start(r.port, Fault::RefuseWrites(403));
    assert_fails(
        &run(sbom(h)
            .args(["attach", &format!("{}/tiny:1", p.host())])
            .arg(&spdx)),
        1,
        &["first.json", "denied access", "HTTP 403", "anonymous push"],
    );
    drop(p);

    // the artifact manifest PUT cut midway: retried, and when it keeps failing, an error
    let p = Proxy::start(
        r.port,
        Fault::BreakPuts {
            path: "/manifests/sha256:".into(),
            times: 100,
        },
    );
    assert_fails(
        &run(sbom(h)
            .args(["attach", &format!("{}/tiny:1", p.host())])
            .arg(&spdx)),
        1,
        &["attaching first.json", "artifact manifest sha256:"],
    );
    assert!(discover(h, &r, &r.host(), "tiny:1")["manifests"]
        .as_array()
        .unwrap()
        .is_empty());
    drop(p);
    let p = Proxy::start(
        r.port,
        Fault::BreakPuts {
            path: "/manifests/".into(),
            times: 1,
        },
    );
    ok(sbom(h)
        .args(["attach", &format!("{}/tiny:1", p.host())])
        .arg(&spdx));
    drop(p);
    // and the referrers tag PUT cut every time: the artifact is pushed, the error says the
    // index was not updated, and what the tag held before is intact
    let p = Proxy::start(
        r.port,
        Fault::BreakPuts {
            path: "/manifests/sha256-".into(),
            times: 100,
        },
    );
    assert_fails(
        &run(sbom(h)
            .args(["attach", &format!("{}/tiny:1", p.host())])
            .arg(&cdx)),
        1,
        &["attaching second.txt", "referrers index sha256-"],
    );
    let kept = discover(h, &r, &r.host(), "tiny:1");
    let kept = kept["manifests"].as_array().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["artifactType"], "application/spdx+json");
    drop(p);

    // a referrers API that lies
    for (answer, must) in [
        (ReferrersAnswer::BadJson, "not JSON"),
        (
            ReferrersAnswer::WrongMediaType,
            "served as application/json, not as an image index",
        ),
    ] {
        let p = Proxy::start(
            r.port,
            Fault::Referrers {
                subject_header: false,
                answer,
            },
        );
        let image = format!("{}/tiny:1", p.host());
        for cmd in [&["discover"][..], &["fetch", "--type", "spdx"][..]] {
            assert_fails(
                &run(sbom(h).arg(cmd[0]).arg(&image).args(&cmd[1..])),
                1,
                &["referrers answer", must],
            );
        }
        assert_fails(
            &run(sbom(h).args(["attach", &image]).arg(&cdx)),
            1,
            &["referrers answer", must],
        );
    }

    // a referrers tag that holds an image manifest, not an index
    let subject = sha256(&r.manifest("tiny", "1"));
    let tag = subject.replace(':', "-");
    r.push(&format!("oci:{}", tiny_oci().display()), "other:1", false);
    r.push(
        &format!("oci:{}", tiny_oci().display()),
        &format!("other:{tag}"),
        false,
    );
    let image = format!("{}/other:1", r.host());
    for cmd in [&["discover"][..], &["fetch", "--type", "spdx"][..]] {
        assert_fails(
            &run(sbom(h).arg(cmd[0]).arg(&image).args(&cmd[1..])),
            1,
            &[&format!("referrers index {tag}"), "not an image index"],
        );
    }
    assert_fails(
        &run(sbom(h).args(["attach", &image]).arg(&spdx)),
        1,
        &[&format!("referrers index {tag}"), "not an image index"],
    );
}

/// Who may not write is told so: no credentials for a Basic registry, a token that grants
/// only pull.
#[test]
fn pushes_without_the_right_to_write_are_refused_clearly() {
    if !reg::tools(TOOLS) {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (spdx, _) = documents(h);

    let r = Registry::start(Auth::BasicTls);
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let ca = r.ca.clone().unwrap();
    assert_fails(
        &run(sbom(h)
            .args(["attach", &format!("{}/tiny:1", r.host())])
            .arg(&spdx)
            .arg("--registry-ca")
            .arg(&ca)),
        1,
        &["authentication failed", "needs credentials"],
    );
    let mut wrong = sbom(h);
    wrong
        .env("SBOM_REGISTRY_PASSWORD", "not-the-password")
        .args(["attach", &format!("{}/tiny:1", r.host())])
        .arg(&spdx)
        .args(["--registry-username", USER, "--registry-ca"])
        .arg(&ca);
    assert_fails(&run(&mut wrong), 1, &["refused the credentials", USER]);

    let r = Registry::start(Auth::Token);
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    *r.tokens.as_ref().unwrap().mode.lock().unwrap() = TokenMode::PullOnly;
    let image = format!("{}/tiny:1", r.host());
    // reading works with a pull-only token; writing is refused, naming the scope
    ok(sbom(h).args(["discover", &image]));
    assert_fails(
        &run(sbom(h).args(["attach", &image]).arg(&spdx)),
        1,
        &["authentication failed", "repository:tiny:pull,push"],
    );
    let log = r.tokens.as_ref().unwrap().log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|q| q.contains("scope=repository%3Atiny%3Apull%2Cpush")),
        "no push scope was asked: {log:?}"
    );
}

/// A multi-platform image: the subject is the index as the registry serves it, unless
/// `--platform` picks a manifest of it; each keeps its own referrers.
#[test]
fn an_index_is_the_subject_unless_a_platform_picks_a_manifest() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let layout = support::layouts::two_platform_layout(h, &tiny_oci());
    r.push(&format!("oci:{}", layout.display()), "multi:1", true);
    let (spdx, cdx) = documents(h);
    let image = format!("{}/multi:1", r.host());
    ok(sbom(h).args(["attach", &image]).arg(&spdx));
    let index_raw = r.manifest("multi", "1");
    let index: Value = serde_json::from_slice(&index_raw).unwrap();
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let arm = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == "arm64")
        .unwrap()
        .clone();
    let out = h.join("arm.cdx.json");
    ok(sbom(h)
        .args([
            "scan",
            &format!("registry:{image}"),
            "--platform",
            "linux/arm64",
            "--attach",
        ])
        .arg("-o")
        .arg(format!("cyclonedx-json={}", out.display())));

    let whole = discover(h, &r, &r.host(), "multi:1");
    assert_eq!(whole["subject"]["digest"], sha256(&index_raw).as_str());
    assert_eq!(
        whole["subject"]["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let m = whole["manifests"].as_array().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["artifactType"], "application/spdx+json");

    let o = ok(sbom(h).args([
        "discover",
        &image,
        "-o",
        "json",
        "--platform",
        "linux/arm64",
    ]));
    let one: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(one["subject"]["digest"], arm["digest"]);
    assert_eq!(one["subject"]["size"], arm["size"]);
    let m = one["manifests"].as_array().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["artifactType"], "application/vnd.cyclonedx+json");
    let o = ok(sbom(h).args([
        "fetch",
        &image,
        "--type",
        "cyclonedx",
        "--platform",
        "linux/arm64",
        "-q",
    ]));
    assert_eq!(o.stdout, std::fs::read(&out).unwrap());
    assert_ne!(
        o.stdout,
        std::fs::read(&cdx).unwrap(),
        "the arm64 scan is its own"
    );
    assert_fails(
        &run(sbom(h).args(["discover", &image, "--platform", "linux/s390x"])),
        1,
        &["linux/s390x", "linux/amd64, linux/arm64"],
    );
}
