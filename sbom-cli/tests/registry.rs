//! `sbom scan registry:...` against real registries (Distribution's `docker-registry`, images
//! pushed with skopeo; see `support/registry.rs`): each scan must give what scanning the same
//! image's archive gives, and every fault must be one clean error line, exit 1.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::registry::{self as reg, Auth, Fault, Proxy, Registry, TokenMode, PASSWORD, USER};

const TOOLS: &[&str] = &["docker-registry", "skopeo", "openssl", "htpasswd"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tiny_oci() -> PathBuf {
    root().join("testdata/images/tiny-debian.oci")
}

/// The binary with nothing from the user's environment that could change a registry scan.
fn sbom(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sbom"));
    c.env("SOURCE_DATE_EPOCH", "1700000000")
        .env("HOME", home)
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("SBOM_REGISTRY_PASSWORD")
        .env_remove("SBOM_LOG")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("https_proxy")
        .env_remove("http_proxy")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("running sbom")
}

fn ok(c: &mut Command) -> Value {
    let o = run(c);
    assert!(
        o.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON")
}

/// One `error:` line containing every piece, exit 1, nothing on stdout, no secret anywhere.
fn assert_fails(o: &Output, must: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {err}");
    for m in must {
        assert!(lines[0].contains(m), "{m:?} not in {:?}", lines[0]);
    }
    for l in err.lines() {
        assert!(
            l.starts_with("error:") || l.starts_with("hint:"),
            "stray line {l:?}"
        );
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains(PASSWORD), "the password leaked: {err}");
    assert!(o.stdout.is_empty());
    eprintln!("as expected: {}", lines[0]);
    lines[0].to_string()
}

/// The native JSON without what says where the image came from.
fn content(mut v: Value, same_blobs: bool) -> Value {
    let image = v["image"].as_object_mut().unwrap();
    for k in ["name", "source", "source_kind", "repo_tags"] {
        image.remove(k);
    }
    if !same_blobs {
        // a docker-archive's layers are pushed compressed: other blobs, same diff_ids
        image.remove("manifest_digest");
        for l in v["layers"].as_array_mut().unwrap() {
            let l = l.as_object_mut().unwrap();
            for k in ["digest", "media_type", "compression", "size"] {
                l.remove(k);
            }
        }
    }
    v.as_object_mut().unwrap().remove("created");
    v
}

fn scan_json(home: &Path, image: &str, extra: &[&str]) -> Value {
    ok(sbom(home)
        .args(["scan", image, "-o", "json", "-q"])
        .args(extra))
}

/// An uncompressed copy of the shipped docker-archive, which skopeo reads.
fn tiny_docker_tar(dir: &Path) -> PathBuf {
    let gz = std::fs::read(root().join("testdata/images/tiny-debian.docker.tar.gz")).unwrap();
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut tar).unwrap();
    let p = dir.join("tiny.docker.tar");
    std::fs::write(&p, tar).unwrap();
    p
}

#[test]
fn open_registry_scans_match_the_archives_by_tag_and_by_digest() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    r.push(
        &format!("oci:{}", tiny_oci().display()),
        "tiny/oci:1",
        false,
    );
    let tar = tiny_docker_tar(home.path());
    r.push(
        &format!("docker-archive:{}", tar.display()),
        "tiny-docker:1",
        false,
    );

    let archive = scan_json(home.path(), tiny_oci().to_str().unwrap(), &[]);
    let pulled = scan_json(
        home.path(),
        &format!("registry:{}/tiny/oci:1", r.host()),
        &[],
    );
    assert_eq!(
        content(pulled.clone(), true),
        content(archive.clone(), true)
    );
    let img = &pulled["image"];
    assert_eq!(img["name"], format!("{}/tiny/oci:1", r.host()));
    assert_eq!(img["source_kind"], "registry");
    let digest = img["manifest_digest"].as_str().unwrap().to_string();
    assert_eq!(
        digest,
        archive["image"]["manifest_digest"].as_str().unwrap()
    );

    // pinned by digest: the same image, named by its digest
    let pinned = scan_json(
        home.path(),
        &format!("registry:{}/tiny/oci@{digest}", r.host()),
        &[],
    );
    assert_eq!(
        content(pinned.clone(), true),
        content(archive.clone(), true)
    );
    assert_eq!(
        pinned["image"]["name"],
        format!("{}/tiny/oci@{digest}", r.host())
    );

    // a docker-archive pushed becomes a schema 2 manifest with gzip layers: same content
    let d = scan_json(
        home.path(),
        &format!("registry:{}/tiny-docker:1", r.host()),
        &[],
    );
    let from_tar = scan_json(home.path(), tar.to_str().unwrap(), &[]);
    assert_eq!(content(d.clone(), false), content(from_tar, false));
    assert_eq!(d["layers"][0]["compression"], "gzip");

    // the purl names repository, tag, digest and arch
    let cdx = ok(sbom(home.path()).args([
        "scan",
        &format!("registry:{}/tiny/oci:1", r.host()),
        "-o",
        "cyclonedx-json",
        "-q",
    ]));
    let purl = cdx["metadata"]["component"]["purl"]
        .as_str()
        .unwrap()
        .to_string();
    let port = r.port;
    assert_eq!(
        purl,
        format!(
            "pkg:oci/oci@{}?arch=amd64&repository_url=127.0.0.1:{port}%2Ftiny%2Foci&tag=1",
            digest.replace(':', "%3A")
        )
    );
}

fn two_platform_layout(dir: &Path) -> PathBuf {
    support::layouts::two_platform_layout(dir, &tiny_oci())
}

#[test]
fn a_multi_platform_index_is_chosen_from_as_for_archives() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    let layout = two_platform_layout(home.path());
    r.push(&format!("oci:{}", layout.display()), "multi:1", true);
    let image = format!("registry:{}/multi:1", r.host());
    let default = scan_json(home.path(), &image, &[]);
    assert_eq!(default["image"]["platform"]["architecture"], "amd64");
    let arm = scan_json(home.path(), &image, &["--platform", "linux/arm64"]);
    assert_eq!(arm["image"]["platform"]["architecture"], "arm64");
    let from_layout = scan_json(
        home.path(),
        &format!("oci-dir:{}", layout.display()),
        &["--platform", "linux/arm64"],
    );
    assert_eq!(content(arm, true), content(from_layout, true));
    let o = run(sbom(home.path()).args(["scan", &image, "--platform", "linux/s390x"]));
    assert_fails(&o, &[&image, "linux/s390x", "linux/amd64, linux/arm64"]);
    // a single-platform image and a --platform that it is not: its config says
    r.push(&format!("oci:{}", tiny_oci().display()), "single:1", false);
    let o = run(sbom(home.path()).args([
        "scan",
        &format!("registry:{}/single:1", r.host()),
        "--platform",
        "linux/arm64",
    ]));
    assert_fails(&o, &["linux/arm64", "linux/amd64"]);
}

fn sbom_images() -> Option<PathBuf> {
    let dir = std::env::var_os("SBOM_IMAGES")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/sbom-images"))
        })?;
    if dir.join("debian-small.oci.tar").exists() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI: {} has no debian-small.oci.tar", dir.display());
    }
    eprintln!("SKIP: no debian-small.oci.tar in {}", dir.display());
    None
}

#[test]
fn debian_small_from_the_registry_matches_its_archive_with_the_dockerfile() {
    if !reg::tools(TOOLS) {
        return;
    }
    let Some(images) = sbom_images() else { return };
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    let oci = images.join("debian-small.oci.tar");
    r.push(
        &format!("oci-archive:{}", oci.display()),
        "debian-small:1",
        false,
    );
    let dockerfile = images.join("debian-small.Dockerfile");
    let df = dockerfile.to_str().unwrap();
    let archive = scan_json(home.path(), oci.to_str().unwrap(), &["--dockerfile", df]);
    let pulled = scan_json(
        home.path(),
        &format!("registry:{}/debian-small:1", r.host()),
        &["--dockerfile", df],
    );
    assert!(archive["packages"].as_array().unwrap().len() > 100);
    assert!(
        pulled["layers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| !l["instruction"].is_null()),
        "the Dockerfile mapped no layer"
    );
    assert_eq!(content(pulled, true), content(archive, true));
}

/// HOME with a docker config.json holding `auths` for `host`.
fn docker_config(home: &Path, host: &str) {
    let auth = base64_encode(&format!("{USER}:{PASSWORD}"));
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    std::fs::write(
        home.join(".docker/config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
}

fn base64_encode(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn basic_auth_over_tls_with_a_ca_credentials_from_flags_files_and_helpers() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::BasicTls);
    let home = tempfile::tempdir().unwrap();
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let image = format!("registry:{}/tiny:1", r.host());
    let ca = r.ca.clone().unwrap();
    let ca = ca.to_str().unwrap();
    let archive = content(
        scan_json(home.path(), tiny_oci().to_str().unwrap(), &[]),
        true,
    );

    // flags and the environment; -vv logs must not carry the secret either
    let o = run(sbom(home.path())
        .args(["-vv", "scan", &image, "-o", "json", "--registry-ca", ca])
        .args(["--registry-username", USER])
        .env("SBOM_REGISTRY_PASSWORD", PASSWORD));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for out in [&o.stdout, &o.stderr] {
        let s = String::from_utf8_lossy(out);
        assert!(!s.contains(PASSWORD), "the password leaked");
        assert!(
            !s.contains(&base64_encode(&format!("{USER}:{PASSWORD}"))),
            "the Basic header leaked"
        );
    }
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(content(v, true), archive);

    // --registry-password-stdin
    let mut c = sbom(home.path());
    c.args(["scan", &image, "-o", "json", "-q", "--registry-ca", ca])
        .args(["--registry-username", USER, "--registry-password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        format!("{PASSWORD}\n").as_bytes(),
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // docker config.json `auths`
    docker_config(home.path(), &r.host());
    let v = scan_json(home.path(), &image, &["--registry-ca", ca]);
    assert_eq!(content(v, true), archive);
    std::fs::remove_file(home.path().join(".docker/config.json")).unwrap();

    // containers' auth.json, named by REGISTRY_AUTH_FILE
    let auth_file = home.path().join("auth.json");
    std::fs::write(
        &auth_file,
        format!(
            r#"{{"auths":{{"{}/tiny":{{"auth":"{}"}}}}}}"#,
            r.host(),
            base64_encode(&format!("{USER}:{PASSWORD}"))
        ),
    )
    .unwrap();
    let v = ok(sbom(home.path())
        .args(["scan", &image, "-o", "json", "-q", "--registry-ca", ca])
        .env("REGISTRY_AUTH_FILE", &auth_file));
    assert_eq!(content(v, true), archive);

    // a credential helper through credHelpers, speaking the docker-credential protocol
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-sbomtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\n[ \"$server\" = \"{}\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\necho '{{\"ServerURL\":\"'$server'\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n",
            r.host()
        ),
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&helper).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    std::fs::write(
        home.path().join(".docker/config.json"),
        format!(r#"{{"credHelpers":{{"{}":"sbomtest"}}}}"#, r.host()),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let v = ok(sbom(home.path())
        .args(["scan", &image, "-o", "json", "-q", "--registry-ca", ca])
        .env("PATH", &path));
    assert_eq!(content(v, true), archive);
    // the same helper as the store for every registry (credsStore)
    std::fs::write(
        home.path().join(".docker/config.json"),
        r#"{"credsStore":"sbomtest"}"#,
    )
    .unwrap();
    let v = ok(sbom(home.path())
        .args(["scan", &image, "-o", "json", "-q", "--registry-ca", ca])
        .env("PATH", &path));
    assert_eq!(content(v, true), archive);
    std::fs::remove_file(home.path().join(".docker/config.json")).unwrap();

    // podman login's file: $XDG_RUNTIME_DIR/containers/auth.json
    let runtime = home.path().join("run");
    std::fs::create_dir_all(runtime.join("containers")).unwrap();
    std::fs::copy(&auth_file, runtime.join("containers/auth.json")).unwrap();
    let v = ok(sbom(home.path())
        .args(["scan", &image, "-o", "json", "-q", "--registry-ca", ca])
        .env("XDG_RUNTIME_DIR", &runtime));
    assert_eq!(content(v, true), archive);
    std::fs::remove_dir_all(&runtime).unwrap();

    // without the CA: the system roots do not trust it
    let o = run(sbom(home.path())
        .args(["scan", &image, "--registry-username", USER])
        .env("SBOM_REGISTRY_PASSWORD", PASSWORD));
    assert_fails(&o, &[&image, "TLS", "--registry-ca"]);
    // no credentials, then wrong ones: auth failed, the user named, never the secret
    let o = run(sbom(home.path()).args(["scan", &image, "--registry-ca", ca]));
    assert_fails(&o, &[&image, "authentication failed", "needs credentials"]);
    let o = run(sbom(home.path())
        .args([
            "scan",
            &image,
            "--registry-ca",
            ca,
            "--registry-username",
            USER,
        ])
        .env("SBOM_REGISTRY_PASSWORD", "wrong-password-123"));
    let line = assert_fails(&o, &[&image, "authentication failed", USER]);
    assert!(!line.contains("wrong-password-123"));
    // --insecure-registry: that host's certificate is not verified (as Docker's
    // insecure-registries), so no CA is needed
    let v = ok(sbom(home.path())
        .args([
            "scan",
            &image,
            "-o",
            "json",
            "-q",
            "--insecure-registry",
            &r.host(),
        ])
        .args(["--registry-username", USER])
        .env("SBOM_REGISTRY_PASSWORD", PASSWORD));
    assert_eq!(content(v, true), archive);
    // a password without a user, or a user without a password: usage errors
    let o = run(sbom(home.path()).args(["scan", &image, "--registry-username", USER]));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_bearer_token_flow_anonymous_and_with_credentials_reusing_tokens() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Token);
    let home = tempfile::tempdir().unwrap();
    r.push(
        &format!("oci:{}", tiny_oci().display()),
        "team/tiny:1",
        false,
    );
    let tokens = r.tokens.as_ref().unwrap();
    let image = format!("registry:{}/team/tiny:1", r.host());
    let archive = content(
        scan_json(home.path(), tiny_oci().to_str().unwrap(), &[]),
        true,
    );

    let before = tokens.requests.load(std::sync::atomic::Ordering::Relaxed);
    let v = scan_json(home.path(), &image, &[]);
    assert_eq!(content(v, true), archive);
    let used = tokens.requests.load(std::sync::atomic::Ordering::Relaxed) - before;
    // one token for repository:team/tiny:pull, reused for manifests, config and 3 layers
    assert_eq!(used, 1, "token requests: {:?}", tokens.log.lock().unwrap());
    assert!(tokens
        .log
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .contains("scope=repository%3Ateam%2Ftiny%3Apull"));

    let v = ok(sbom(home.path())
        .args([
            "scan",
            &image,
            "-o",
            "json",
            "-q",
            "--registry-username",
            USER,
        ])
        .env("SBOM_REGISTRY_PASSWORD", PASSWORD));
    assert_eq!(content(v, true), archive);

    let o = run(sbom(home.path())
        .args(["scan", &image, "--registry-username", USER])
        .env("SBOM_REGISTRY_PASSWORD", "not-the-password"));
    let line = assert_fails(
        &o,
        &[&image, "authentication failed", "token service", USER],
    );
    assert!(!line.contains("not-the-password"));

    // a blob redirected to another host (blob storage): the token is not sent there
    let storage = Proxy::start(
        r.port,
        Fault::Inject(format!(
            "Bearer {}",
            tokens.token("repository:team/tiny:pull")
        )),
    );
    let front = Proxy::start(r.port, Fault::RedirectTo(storage.port));
    let v = scan_json(
        home.path(),
        &format!("registry:{}/team/tiny:1", front.host()),
        &[],
    );
    assert_eq!(content(v, true), archive);
    let has_auth = |heads: &[String]| {
        heads
            .iter()
            .filter(|h| h.contains("/blobs/"))
            .map(|h| h.to_ascii_lowercase().contains("\nauthorization:"))
            .collect::<Vec<_>>()
    };
    let sent_front = has_auth(&front.heads.lock().unwrap());
    let sent_storage = has_auth(&storage.heads.lock().unwrap());
    assert!(
        !sent_front.is_empty() && sent_front.iter().all(|a| *a),
        "{sent_front:?}"
    );
    assert!(
        !sent_storage.is_empty() && sent_storage.iter().all(|a| !*a),
        "Authorization went to the other host"
    );

    *tokens.mode.lock().unwrap() = TokenMode::Oversized;
    let o = run(sbom(home.path()).args(["scan", &image]));
    assert_fails(&o, &[&image, "token response", "exceeds the limit"]);
}

#[test]
fn registry_faults_are_one_clean_error_line() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let host = r.host();

    // nothing listening
    let port = reg::free_port();
    let o = run(sbom(h).args(["scan", &format!("registry:127.0.0.1:{port}/app:1")]));
    assert_fails(
        &o,
        &[&format!("registry:127.0.0.1:{port}/app:1"), "refused"],
    );

    // unknown repository, tag, digest
    for (reference, what) in [
        ("nope:1", "manifest 1 of"),
        ("tiny:2", "manifest 2 of"),
        (
            "tiny@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "manifest sha256:0000",
        ),
    ] {
        let image = format!("registry:{host}/{reference}");
        let o = run(sbom(h).args(["scan", &image]));
        assert_fails(&o, &[&image, what, "not found"]);
    }

    // a manifest naming a layer with the wrong size
    let manifest: Value = serde_json::from_slice(&r.manifest("tiny", "1")).unwrap();
    let mut lying = manifest.clone();
    let real = lying["layers"][1]["size"].as_u64().unwrap();
    lying["layers"][1]["size"] = (real + 7).into();
    r.plant_manifest("tiny", "lying", &serde_json::to_vec(&lying).unwrap());
    let layer1 = manifest["layers"][1]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let o = run(sbom(h).args(["scan", &format!("registry:{host}/tiny:lying")]));
    assert_fails(
        &o,
        &[
            &layer1,
            &format!("{real} bytes"),
            &format!("says {}", real + 7),
        ],
    );

    // an oversized config (Distribution itself refuses to serve manifests over 4 MiB, so
    // the metadata bound is shown on the config, which it serves as any blob)
    let mut big_config = b"{\"pad\":\"".to_vec();
    big_config.extend(std::iter::repeat_n(b'x', 17 << 20));
    big_config.extend(b"\"}");
    let big_digest = r.plant_blob("tiny", &big_config);
    let mut big = manifest.clone();
    big["config"]["digest"] = big_digest.clone().into();
    big["config"]["size"] = big_config.len().into();
    r.plant_manifest("tiny", "big", &serde_json::to_vec(&big).unwrap());
    let o = run(sbom(h).args(["scan", &format!("registry:{host}/tiny:big")]));
    assert_fails(&o, &["tiny:big", &big_digest, "exceeds the limit"]);
    let schema1 = serde_json::json!({
        "schemaVersion": 1, "name": "tiny", "tag": "old", "architecture": "amd64",
        "fsLayers": [], "history": [],
    });
    r.plant_manifest("tiny", "old", &serde_json::to_vec(&schema1).unwrap());
    let o = run(sbom(h).args(["scan", &format!("registry:{host}/tiny:old")]));
    let line = String::from_utf8_lossy(&o.stderr).into_owned();
    eprintln!("schema 1: {line}");
    assert_eq!(o.status.code(), Some(1), "{line}");
    assert!(
        line.contains("tiny:old") && (line.contains("schema 1") || line.contains("not found")),
        "{line}"
    );

    // a layer blob corrupted in the registry's storage (its gzip header's mtime: the layer
    // still inflates, its digest no longer matches)
    let layer0 = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let f = r.blob_file(&layer0);
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[4] ^= 0x55;
    std::fs::write(&f, &bytes).unwrap();
    let o = run(sbom(h).args(["scan", &format!("registry:{host}/tiny:1")]));
    assert_fails(
        &o,
        &[
            &format!("registry:{host}/tiny:1"),
            "digest mismatch",
            &layer0,
        ],
    );
}

#[test]
fn cut_transfers_resume_with_range_and_stalls_and_redirect_loops_fail() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let archive = content(scan_json(h, tiny_oci().to_str().unwrap(), &[]), true);

    // cut twice after 100 KiB: resumed where it stopped, every byte still verified
    let p = Proxy::start(
        r.port,
        Fault::Cut {
            after: 100 << 10,
            cuts: 2,
        },
    );
    let v = scan_json(h, &format!("registry:{}/tiny:1", p.host()), &[]);
    assert_eq!(content(v, true), archive);
    let heads = p.heads.lock().unwrap().clone();
    assert!(
        heads
            .iter()
            .any(|h| h.to_ascii_lowercase().contains("range: bytes=")),
        "no Range request: {heads:?}"
    );

    // cut every time: a clear error once the retries are spent
    let p = Proxy::start(
        r.port,
        Fault::Cut {
            after: 100 << 10,
            cuts: 1000,
        },
    );
    let image = format!("registry:{}/tiny:1", p.host());
    let o = run(sbom(h).args(["scan", &image]));
    assert_fails(&o, &[&image, "layer 0", "after 3 retries"]);

    // a registry that stops sending: the timeout, then the same
    let p = Proxy::start(r.port, Fault::Stall { after: 1000 });
    let image = format!("registry:{}/tiny:1", p.host());
    let t = std::time::Instant::now();
    let o = run(sbom(h).args(["scan", &image, "--registry-timeout", "1"]));
    assert_fails(&o, &[&image, "layer 0"]);
    assert!(t.elapsed().as_secs() < 60);

    let p = Proxy::start(r.port, Fault::RedirectLoop);
    let image = format!("registry:{}/tiny:1", p.host());
    let o = run(sbom(h).args(["scan", &image]));
    assert_fails(&o, &[&image, "redirect"]);

    // a registry that is briefly overloaded: 503 and 429 are retried with backoff
    for code in [503, 429] {
        let p = Proxy::start(r.port, Fault::Status { code, times: 2 });
        let v = scan_json(h, &format!("registry:{}/tiny:1", p.host()), &[]);
        assert_eq!(content(v, true), archive, "after {code}");
        assert!(p.heads.lock().unwrap().len() > 2);
    }
    // ... and one that stays so: an error once the retries are spent
    let p = Proxy::start(
        r.port,
        Fault::Status {
            code: 503,
            times: usize::MAX,
        },
    );
    let image = format!("registry:{}/tiny:1", p.host());
    let o = run(sbom(h).args(["scan", &image]));
    assert_fails(&o, &[&image, "503"]);
    // a registry that forbids the pull: said to be an access problem, not retried
    let p = Proxy::start(
        r.port,
        Fault::Status {
            code: 403,
            times: usize::MAX,
        },
    );
    let image = format!("registry:{}/tiny:1", p.host());
    let o = run(sbom(h).args(["scan", &image]));
    let err = assert_fails(&o, &[&image, "denied access", "403"]);
    assert!(p.heads.lock().unwrap().len() <= 2, "403 was retried: {err}");
}

/// A registry scan writes nothing: run from a read-only directory with an unwritable,
/// empty TMPDIR, under strace, no file is opened for writing, created, renamed or removed
/// (the document goes to stdout, a pipe).
#[test]
fn a_registry_scan_writes_nothing_to_disk() {
    if !reg::tools(TOOLS) || !reg::tools(&["strace"]) {
        return;
    }
    let r = Registry::start(Auth::Open);
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let home = tempfile::tempdir().unwrap();
    let (ro, tmp) = (home.path().join("ro"), home.path().join("tmp"));
    for d in [&ro, &tmp] {
        std::fs::create_dir(d).unwrap();
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
    }
    let trace = home.path().join("trace");
    let o = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%file", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_sbom"))
        .args([
            "scan",
            &format!("registry:{}/tiny:1", r.host()),
            "-q",
            "-o",
            "cyclonedx-json",
        ])
        .current_dir(&ro)
        .env("TMPDIR", &tmp)
        .env("HOME", home.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["components"].as_array().unwrap().len() > 10);
    let trace = std::fs::read_to_string(&trace).unwrap();
    let writes: Vec<&str> = trace
        .lines()
        .filter(|l| {
            let call = l.split_whitespace().nth(1).unwrap_or("");
            let opens = call.starts_with("open") || call.starts_with("creat");
            (opens
                && ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
                    .iter()
                    .any(|f| l.contains(f)))
                || [
                    "mkdir", "rename", "unlink", "rmdir", "link", "symlink", "truncate", "mknod",
                ]
                .iter()
                .any(|c| call.starts_with(&format!("{c}(")) || call.starts_with(&format!("{c}at(")))
        })
        .filter(|l| !l.contains("\"/dev/null\"") && !l.contains("\"/dev/tty\""))
        .collect();
    assert!(writes.is_empty(), "writes: {writes:#?}");
    assert!(
        trace.contains("openat("),
        "strace saw no file access at all"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

/// Through the library: the same reference as an `ImageRef`, with progress reporting the
/// bytes downloaded (every byte of every layer blob) and each layer done.
#[test]
fn the_library_scans_a_registry_image_with_progress() {
    if !reg::tools(TOOLS) {
        return;
    }
    use layer_walker::{ImageRef, Progress, RegistryOptions, Scanner};
    use std::sync::{Arc, Mutex};
    let r = Registry::start(Auth::Open);
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = seen.clone();
    let mut opts = RegistryOptions::default();
    opts.credential_files = false;
    let scan = Scanner::new()
        .registry(opts)
        .on_progress(move |p| log.lock().unwrap().push(p.clone()))
        .scan(&ImageRef::parse(&format!("registry:{}/tiny:1", r.host())).unwrap())
        .unwrap();
    assert_eq!(scan.inventory.image.source_kind, "registry");
    let seen = seen.lock().unwrap();
    let total = seen
        .iter()
        .find_map(|p| match p {
            Progress::Layers {
                count: 3,
                total_bytes,
            } => Some(*total_bytes),
            _ => None,
        })
        .expect("a Layers event");
    let bytes: u64 = seen
        .iter()
        .map(|p| match p {
            Progress::Bytes {
                layer: Some(_),
                bytes,
            } => *bytes,
            _ => 0,
        })
        .sum();
    assert_eq!(
        bytes, total,
        "bytes downloaded vs the manifest's layer sizes"
    );
    let done = seen
        .iter()
        .filter(|p| matches!(p, Progress::LayerDone { .. }))
        .count();
    assert_eq!(done, 3);
}

#[test]
fn lock_pins_the_base_image_to_the_digest_its_registry_serves() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    r.push(
        &format!("oci:{}", tiny_oci().display()),
        "base/tiny:1",
        false,
    );
    let digest = layer_walker::Digest::sha256(&r.manifest("base/tiny", "1")).to_string();
    let dockerfile = home.path().join("Dockerfile");
    let base = format!("{}/base/tiny:1", r.host());
    std::fs::write(
        &dockerfile,
        format!(
            "# the base, by tag\nFROM {base}\nFROM {}/base/tiny:nope AS other\n",
            r.host()
        ),
    )
    .unwrap();
    let out = home.path().join("Dockerfile.lock");
    let o = run(sbom(home.path())
        .arg("lock")
        .arg(tiny_oci())
        .arg("--dockerfile")
        .arg(&dockerfile)
        .arg("-o")
        .arg(&out));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let locked = std::fs::read_to_string(&out).unwrap();
    assert!(
        locked.contains(&format!("\nFROM {base}@{digest}\n")),
        "{locked}"
    );
    assert!(locked.starts_with("# the base, by tag\n"), "{locked}");
    // a tag the registry does not have: left as written, with the reason
    let note = locked
        .lines()
        .find(|l| l.starts_with("# sbom lock: base image") && l.contains("tiny:nope"))
        .unwrap_or_else(|| panic!("no note for the unknown tag in\n{locked}"));
    assert!(note.contains("not pinned"), "{note}");
    assert!(locked.contains(&format!("\nFROM {}/base/tiny:nope AS other", r.host())));
}

#[test]
fn a_proxy_from_the_environment_is_used_unless_no_proxy_names_the_host() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let archive = content(scan_json(h, tiny_oci().to_str().unwrap(), &[]), true);
    let image = format!("registry:{}/tiny:1", r.host());
    for var in ["HTTPS_PROXY", "HTTP_PROXY"] {
        let proxy = reg::ForwardProxy::start();
        let v = ok(sbom(h)
            .args(["scan", &image, "-o", "json", "-q"])
            .env(var, format!("http://127.0.0.1:{}", proxy.port)));
        assert_eq!(content(v, true), archive, "{var}");
        let asked = proxy.asked.lock().unwrap().clone();
        assert!(
            asked.iter().any(|l| l.contains(&r.host())),
            "{var}: the proxy was not asked for {}: {asked:?}",
            r.host()
        );

        // NO_PROXY naming the registry's host: straight to it
        let proxy = reg::ForwardProxy::start();
        let v = ok(sbom(h)
            .args(["scan", &image, "-o", "json", "-q"])
            .env(var, format!("http://127.0.0.1:{}", proxy.port))
            .env("NO_PROXY", "127.0.0.1"));
        assert_eq!(content(v, true), archive, "{var} with NO_PROXY");
        assert!(
            proxy.asked.lock().unwrap().is_empty(),
            "{var}: NO_PROXY ignored"
        );
    }
}

#[test]
fn with_a_warm_layer_cache_no_layer_blob_is_downloaded() {
    if !reg::tools(TOOLS) {
        return;
    }
    let r = Registry::start(Auth::Open);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    r.push(&format!("oci:{}", tiny_oci().display()), "tiny:1", false);
    let cache = h.join("cache");
    let p = Proxy::start(
        r.port,
        Fault::Status {
            code: 500,
            times: 0,
        },
    );
    let image = format!("registry:{}/tiny:1", p.host());
    let cache_arg = cache.to_str().unwrap();
    let cold = scan_json(h, &image, &["--cache", cache_arg]);
    let layer_gets = |heads: &[String]| {
        heads
            .iter()
            .filter(|h| h.starts_with("GET ") && h.contains("/blobs/"))
            .count()
    };
    let cold_gets = layer_gets(&p.heads.lock().unwrap());
    // three layers and the config
    assert_eq!(cold_gets, 4, "{:?}", p.heads.lock().unwrap());
    p.heads.lock().unwrap().clear();
    let warm = scan_json(h, &image, &["--cache", cache_arg]);
    let heads = p.heads.lock().unwrap().clone();
    // only the config, which names the diff_ids the cache is keyed by
    assert_eq!(layer_gets(&heads), 1, "{heads:?}");
    assert_eq!(cold, warm);
    assert_eq!(cold, scan_json(h, &image, &[]));
}
