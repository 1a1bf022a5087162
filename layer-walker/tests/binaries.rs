//! Software installed by hand, found by its binaries' version strings, in real images built
//! here from Debian's own nginx binary (testdata/binaries/fetch.sh): reported when nothing
//! owns it, attributed to the layer that added it, and not reported twice when dpkg owns it.

mod support;

use layer_walker::{ImageRef, Scanner};
use support::{docker_archive, layer, E};

fn binaries() -> Option<std::path::PathBuf> {
    match std::env::var_os("SBOM_BINARIES") {
        Some(d) if !d.is_empty() => Some(d.into()),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set and SBOM_BINARIES is not (.ci/run runs testdata/binaries/fetch.sh)")
        }
        _ => {
            eprintln!("SKIP: SBOM_BINARIES is not set (testdata/binaries/fetch.sh DIR)");
            None
        }
    }
}

fn scan(layers: &[Vec<u8>]) -> layer_walker::Inventory {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("image.tar");
    std::fs::write(&p, docker_archive(layers)).unwrap();
    let r = ImageRef::parse(p.to_str().unwrap()).unwrap();
    Scanner::new().scan(&r).unwrap().inventory
}

#[test]
fn a_copied_nginx_is_found_and_a_dpkg_owned_one_is_not_listed_twice() {
    let Some(dir) = binaries() else {
        return;
    };
    let nginx = std::fs::read(dir.join("usr/sbin/nginx")).unwrap();
    let truth = std::fs::read_to_string(dir.join("truth.tsv")).unwrap();
    let version = truth
        .lines()
        .find(|l| l.starts_with("usr/sbin/nginx\t"))
        .and_then(|l| l.split('\t').nth(2))
        .unwrap()
        .to_string();
    let base = layer(&[E::File("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")]);

    // copied in by a later layer, owned by nothing
    let inv = scan(&[
        base.clone(),
        layer(&[E::Exec("usr/local/sbin/nginx", &nginx)]),
    ]);
    let found: Vec<_> = inv.packages.iter().filter(|p| p.name == "nginx").collect();
    assert_eq!(found.len(), 1, "{:?}", inv.packages);
    let p = found[0];
    assert_eq!(p.version, version);
    assert_eq!(p.purl, format!("pkg:generic/nginx@{version}"));
    assert!(p
        .cpes
        .contains(&format!("cpe:2.3:a:f5:nginx:{version}:*:*:*:*:*:*:*")));
    assert_eq!(p.layer, Some(1));
    assert_eq!(p.database_path, "/usr/local/sbin/nginx");
    assert_eq!(inv.layers[1].added.len(), 1);

    // installed by dpkg: the deb package alone
    let status = format!(
        "Package: nginx\nStatus: install ok installed\nVersion: {version}-9+deb12u11\nArchitecture: amd64\n\n"
    );
    let inv = scan(&[
        base,
        layer(&[
            E::File("var/lib/dpkg/status", status.as_bytes()),
            E::File(
                "var/lib/dpkg/info/nginx.list",
                b"/.\n/usr\n/usr/sbin\n/usr/sbin/nginx\n",
            ),
            E::Exec("usr/sbin/nginx", &nginx),
        ]),
    ]);
    let names: Vec<(&str, &str)> = inv
        .packages
        .iter()
        .map(|p| (p.purl.split('@').next().unwrap(), p.version.as_str()))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].0.starts_with("pkg:deb/"), "{names:?}");
    assert!(inv.layers[1].added.iter().all(|p| p.name == "nginx"));
    assert_eq!(inv.layers[1].added.len(), 1, "{:?}", inv.layers[1].added);
}

/// Debian's cloud kernel (fetch.sh puts it under `kernel/`): the bzImage and modules dpkg
/// lists are the `linux-image-*` package's; a module and a kernel copied in by hand are
/// reported, in the layer that added them.
#[test]
fn a_kernel_and_modules_dpkg_owns_are_its_and_copied_ones_are_reported() {
    let Some(dir) = binaries() else {
        return;
    };
    let truth = std::fs::read_to_string(dir.join("kernel-truth.tsv")).unwrap();
    let release = truth
        .lines()
        .find_map(|l| l.strip_prefix("# release\t"))
        .unwrap()
        .to_string();
    let k = dir.join("kernel");
    let read = |rel: &str| std::fs::read(k.join(rel)).unwrap();
    let vmlinuz = read(&format!("boot/vmlinuz-{release}"));
    let mods = format!("lib/modules/{release}/kernel");
    let (af_key, tipc, vsock) = (
        read(&format!("{mods}/af_key.ko")),
        read(&format!("{mods}/tipc.ko")),
        read(&format!("{mods}/vsock.ko")),
    );
    let tipc_xz = read(&format!("lib/modules/{release}/extra/tipc-xz.ko.xz"));
    let pkg = format!("linux-image-{release}");
    let status = format!(
        "Package: {pkg}\nStatus: install ok installed\nVersion: 6.1.0-1\nArchitecture: amd64\n\n"
    );
    let list = format!(
        "/.\n/boot\n/boot/vmlinuz-{release}\n/{mods}/af_key.ko\n/{mods}/tipc.ko\n/{mods}/vsock.ko\n"
    );
    let base = layer(&[E::File("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")]);
    let owned = layer(&[
        E::File("var/lib/dpkg/status", status.as_bytes()),
        E::File(&format!("var/lib/dpkg/info/{pkg}.list"), list.as_bytes()),
        E::File(&format!("boot/vmlinuz-{release}"), &vmlinuz),
        E::File(&format!("{mods}/af_key.ko"), &af_key),
        E::File(&format!("{mods}/tipc.ko"), &tipc),
        E::File(&format!("{mods}/vsock.ko"), &vsock),
    ]);
    let extra = format!("lib/modules/{release}/updates/tipc.ko.xz");
    let by_hand = layer(&[
        E::File(&extra, &tipc_xz),
        E::File("opt/kernels/vmlinuz-custom", &vmlinuz),
    ]);
    let inv = scan(&[base, owned, by_hand]);
    let mut got: Vec<(String, String, Option<usize>)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.database_path.clone(), p.layer))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (pkg.clone(), "/var/lib/dpkg/status".into(), Some(1)),
            (
                "linux-kernel".into(),
                "/opt/kernels/vmlinuz-custom".into(),
                Some(2)
            ),
            ("tipc".into(), format!("/{extra}"), Some(2)),
        ],
    );
}

/// An ELF package note, end to end: the package-note fixture copied into an image with no
/// package database is reported as the rpm it names; the same binary listed by an rpm-family
/// manifest without file lists (Azure Linux distroless) is that package, not a second one.
#[test]
fn a_package_note_is_reported_unless_the_image_records_its_package() {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/elfnote/note-rpm-azurelinux.elf"
    ))
    .unwrap();
    let os = layer(&[E::File(
        "etc/os-release",
        b"ID=azurelinux\nVERSION_ID=\"3.0\"\n",
    )]);
    let inv = scan(&[os.clone(), layer(&[E::Exec("usr/bin/hello", &body)])]);
    let found: Vec<_> = inv.packages.iter().filter(|p| p.name == "hello").collect();
    assert_eq!(found.len(), 1, "{:?}", inv.packages);
    let p = found[0];
    assert!(
        p.purl
            .starts_with("pkg:rpm/azurelinux/hello@2.12.1-3.azl3?arch=x86_64"),
        "{}",
        p.purl
    );
    assert_eq!(p.layer, Some(1));

    // a manifest names the same package (name, version-release): listed once, as the manifest's
    let manifest = b"hello\t2.12.1-3.azl3\t1700000000\t(none)\t(none)\t10\tx86_64\thello-2.12.1-3.azl3.src.rpm\n";
    let inv = scan(&[
        os,
        layer(&[
            E::File("var/lib/rpmmanifest/container-manifest-2", manifest),
            E::Exec("usr/bin/hello", &body),
        ]),
    ]);
    let found: Vec<_> = inv.packages.iter().filter(|p| p.name == "hello").collect();
    assert_eq!(found.len(), 1, "{:?}", inv.packages);
    assert_eq!(
        found[0].properties.get("sbom:found_by"),
        None,
        "{:?}",
        found[0]
    );
}
