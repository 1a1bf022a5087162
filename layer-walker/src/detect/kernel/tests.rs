//! On Debian's cloud kernel (testdata/binaries/fetch.sh puts its bzImage and three modules,
//! plus xz, zstd and gzip copies of the modules, under `$SBOM_BINARIES/kernel`), checked
//! against what kmod's `modinfo` read from the same modules and the release dpkg installs
//! them under; and on broken and hostile bodies.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::detect::testutil::{files_of, run};

/// The fetched kernel directory, or `None` (with a note) when SBOM_BINARIES is unset.
fn kernel_dir() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("SBOM_BINARIES") else {
        eprintln!("SBOM_BINARIES unset: skipping (testdata/binaries/fetch.sh makes it)");
        return None;
    };
    let dir = Path::new(&dir).to_path_buf();
    assert!(
        dir.join("kernel-truth.tsv").is_file(),
        "SBOM_BINARIES is set but kernel-truth.tsv is missing: run testdata/binaries/fetch.sh"
    );
    Some(dir)
}

struct Truth {
    release: String,
    /// (path, name, version, license, vermagic)
    modules: Vec<[String; 5]>,
}

fn truth(dir: &Path) -> Truth {
    let text = std::fs::read_to_string(dir.join("kernel-truth.tsv")).unwrap();
    let release = text
        .lines()
        .find_map(|l| l.strip_prefix("# release\t"))
        .unwrap()
        .to_string();
    let modules = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<String> = l.split('\t').map(str::to_string).collect();
            [
                f[0].clone(),
                f[1].clone(),
                f[2].clone(),
                f[3].clone(),
                f[4].clone(),
            ]
        })
        .collect();
    Truth { release, modules }
}

#[test]
fn modules_read_as_modinfo_reads_them_plain_and_compressed() {
    let Some(dir) = kernel_dir() else { return };
    let t = truth(&dir);
    assert_eq!(t.modules.len(), 3);
    let files = files_of(&dir.join("kernel"));
    let found = run(Arc::new(KernelDetector), &files);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    for [path, name, version, license, vermagic] in &t.modules {
        let stem = path.rsplit('/').next().unwrap().trim_end_matches(".ko");
        // the module itself and its three compressed copies
        let copies: Vec<&Package> = found
            .packages
            .iter()
            .filter(|p| {
                let file = p.database_path.rsplit('/').next().unwrap();
                file == format!("{stem}.ko") || file.starts_with(&format!("{stem}-"))
            })
            .collect();
        assert_eq!(copies.len(), 4, "{stem}: {copies:?}");
        let release = vermagic.split_whitespace().next().unwrap();
        assert_eq!(release, t.release);
        for p in copies {
            assert_eq!(&p.name, name, "{}", p.database_path);
            let want_version = if version.is_empty() { release } else { version };
            assert_eq!(p.version, want_version, "{}", p.database_path);
            assert_eq!(p.licenses_declared, vec![license.clone()]);
            assert_eq!(
                p.properties.get(KERNEL_RELEASE).map(String::as_str),
                Some(release)
            );
            assert_eq!(p.ecosystem, Ecosystem::Generic);
        }
    }
}

#[test]
fn the_kernel_image_names_its_release() {
    let Some(dir) = kernel_dir() else { return };
    let t = truth(&dir);
    let path = format!("/boot/vmlinuz-{}", t.release);
    let body = std::fs::read(dir.join(format!("kernel{path}"))).unwrap();
    let found = run(Arc::new(KernelDetector), &[(path.clone(), body)]);
    assert_eq!(found.packages.len(), 1);
    let k = &found.packages[0];
    assert_eq!(k.name, KERNEL_PACKAGE);
    assert_eq!(k.version, t.release);
    assert_eq!(k.database_path, path);
    let upstream = t.release.split('-').next().unwrap();
    assert_eq!(
        k.cpes,
        vec![format!(
            "cpe:2.3:o:linux:linux_kernel:{upstream}:*:*:*:*:*:*:*"
        )]
    );
    assert!(k.properties["kernel:version"].starts_with(&t.release));
}

#[test]
fn broken_modules_fail_naming_the_file_and_bombs_are_refused() {
    let Some(dir) = kernel_dir() else { return };
    let t = truth(&dir);
    let extra = dir.join(format!("kernel/lib/modules/{}/extra", t.release));
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for name in ["tipc-xz.ko.xz", "tipc-zst.ko.zst", "tipc-gz.ko.gz"] {
        let body = std::fs::read(extra.join(name)).unwrap();
        // cut in the middle, and with garbage after the first bytes
        cases.push((name.into(), body[..body.len() / 2].to_vec()));
        let mut garbled = body.clone();
        for b in garbled.iter_mut().skip(32).take(256) {
            *b ^= 0x5a;
        }
        cases.push((name.into(), garbled));
    }
    let plain = std::fs::read(dir.join(format!("kernel/lib/modules/{}/kernel/tipc.ko", t.release)))
        .unwrap();
    cases.push(("tipc.ko".into(), plain[..plain.len() / 3].to_vec()));
    for (name, body) in cases {
        let path = format!("/lib/modules/x/extra/{name}");
        let view = FsView::from_files(
            &[Arc::new(KernelDetector) as Arc<dyn Detector>],
            &[(path.as_str(), body.as_slice())],
            &[],
        );
        let failures: Vec<_> = view.failures().collect();
        assert_eq!(failures.len(), 1, "{name}");
        assert!(
            failures[0].message.contains(&path),
            "{}",
            failures[0].message
        );
    }
}

#[test]
fn a_module_that_unpacks_past_the_limit_is_refused() {
    // a real xz stream of zeros a little larger than the limit, made by xz itself
    let Ok(child) = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "head -c {} /dev/zero | xz -1 -c",
            MAX_MODULE + (1 << 20)
        ))
        .output()
    else {
        panic!("sh with head and xz is needed");
    };
    assert!(child.status.success(), "xz failed");
    let bomb = child.stdout;
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let err = parse_module("/lib/modules/x/bomb.ko.xz", &bomb).unwrap_err();
    assert!(err.0.contains("unpacks to more than"), "{err}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::copy(&mut std::io::repeat(0).take(MAX_MODULE + 1), &mut gz).unwrap();
    let err = parse_module("/lib/modules/x/bomb.ko.gz", &gz.finish().unwrap()).unwrap_err();
    assert!(err.0.contains("unpacks to more than"), "{err}");
}

#[test]
fn files_by_those_names_that_are_not_kernels_or_modules_are_nothing() {
    for (path, body) in [
        (
            "/usr/bin/kernel-install",
            b"#!/bin/sh\necho hi\n".as_slice(),
        ),
        ("/boot/vmlinuz-6.1", b"MZ not really".as_slice()),
        ("/lib/modules/6.1/x.ko", b"not an elf".as_slice()),
    ] {
        let found = run(
            Arc::new(KernelDetector),
            &[(path.to_string(), body.to_vec())],
        );
        assert!(found.packages.is_empty(), "{path}");
    }
    // a header that points past the end of the file
    let mut fake = vec![0u8; 0x300];
    fake[0x202..0x206].copy_from_slice(b"HdrS");
    fake[0x20e..0x210].copy_from_slice(&0xfff0u16.to_le_bytes());
    assert_eq!(parse_kernel(&fake), Found::Other);
}

#[test]
fn claims() {
    let d = KernelDetector;
    let meta = EntryMeta {
        size: 10,
        mode: 0o644,
    };
    for (path, wanted) in [
        ("/boot/vmlinuz-6.1.0-57-cloud-amd64", true),
        ("/boot/vmlinuz", true),
        ("/usr/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko.zst", true),
        ("/lib/modules/6.1.0/extra/zfs.ko", true),
        ("/lib/modules/6.1.0/modules.dep", false),
        ("/usr/src/linux/drivers/x.ko", false),
        ("/usr/bin/kernelshark", false),
    ] {
        assert_eq!(d.claim(path, &meta).is_some(), wanted, "{path}");
    }
}
