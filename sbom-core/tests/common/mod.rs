//! Inventories for the writer tests, built by hand so every field a writer reads is set to
//! something realistic (and some things unrealistic on purpose: non-ASCII, LicenseRefs).

#![allow(dead_code)]

use sbom_core::*;

fn dockerfile(keyword: &str, text: &str, start: usize, end: usize) -> Option<DockerfileRef> {
    Some(DockerfileRef {
        keyword: keyword.into(),
        text: text.into(),
        start_line: start,
        end_line: end,
        stage: None,
        from_base_image: keyword == "FROM",
    })
}

fn pref(p: &Package) -> PackageRef {
    PackageRef {
        id: p.id.clone(),
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
    }
}

fn deb(name: &str, version: &str, layer: usize) -> Package {
    let mut p = Package::new(Ecosystem::Deb, name, version);
    p.arch = Some("amd64".into());
    p.supplier = Some("Debian".into());
    p.maintainer = Some("Debian Developers <debian-devel@lists.debian.org>".into());
    p.database_path = "/var/lib/dpkg/status".into();
    p.layer = Some(layer);
    p
}

/// A debian:bookworm image with three layers, built from a Dockerfile:
/// 0 = base (FROM), 1 = `RUN apt-get install python3-pip curl` (lines 3-5),
/// 2 = `COPY app` + `npm ci` that also removes `curl` (lines 7-9).
pub fn realistic() -> Inventory {
    let distro = Distro {
        id: "debian".into(),
        version_id: Some("12".into()),
        codename: Some("bookworm".into()),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        name: Some("Debian GNU/Linux".into()),
        home_url: Some("https://www.debian.org/".into()),
        source_path: "/etc/os-release".into(),
        ..Default::default()
    };
    let mut inv = Inventory {
        distro: Some(distro.clone()),
        ..Default::default()
    };
    inv.image = ImageInfo {
        name: "example.org/team/app:1.0".into(),
        source_kind: "oci-archive".into(),
        source: "app.tar".into(),
        repo_tags: vec!["example.org/team/app:1.0".into()],
        manifest_digest: Some(format!("sha256:{}", "a1".repeat(32))),
        config_digest: Some(format!("sha256:{}", "c0".repeat(32))),
        platform: Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        },
        created: Some("2024-05-01T10:00:00Z".into()),
        ..Default::default()
    };

    let mut pkgs = Vec::new();
    // base layer: dpkg set with epochs, sources and licenses (one unknown -> LicenseRef)
    let mut libc = deb("libc6", "2.36-9+deb12u4", 0);
    libc.source = Some(SourcePackage {
        name: "glibc".into(),
        version: Some("2.36-9+deb12u4".into()),
    });
    libc.licenses_declared = vec!["LGPL-2.1+".into(), "GPL-2+".into()];
    libc.license = license::combine(&libc.licenses_declared);
    libc.checksums = vec![Checksum {
        algorithm: "MD5".into(),
        value: "0123456789abcdef0123456789abcdef".into(),
    }];
    libc.cpes = vec!["cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*".into()];
    libc.description =
        Some("GNU C Library: Shared libraries\n Contains the standard libraries.".into());
    libc.homepage = Some("https://www.gnu.org/software/libc/libc.html".into());
    pkgs.push(libc);
    let mut perl = deb("perl-base", "5.36.0-7+deb12u1", 0);
    perl.licenses_declared = vec!["GPL-1+ or Artistic".into()];
    perl.license = license::combine(&perl.licenses_declared);
    perl.source = Some(SourcePackage {
        name: "perl".into(),
        version: None,
    });
    pkgs.push(perl);
    let mut tzdata = deb("tzdata", "2024a-0+deb12u1", 0);
    tzdata.arch = Some("all".into());
    tzdata.licenses_declared = vec!["public-domain".into()];
    tzdata.license = license::combine(&tzdata.licenses_declared);
    pkgs.push(tzdata);
    let mut bsdutils = deb("bsdutils", "1:2.38.1-5+b1", 0);
    bsdutils.epoch = Some(1);
    bsdutils.source = Some(SourcePackage {
        name: "util-linux".into(),
        version: Some("2.38.1-5".into()),
    });
    bsdutils.licenses_declared = vec!["BSD-4-clause".into(), "MIT".into()];
    bsdutils.license = license::combine(&bsdutils.licenses_declared);
    pkgs.push(bsdutils);
    let mut zlib = deb("zlib1g", "1:1.2.13.dfsg-1", 0);
    zlib.epoch = Some(1);
    zlib.license = Some("Zlib".into());
    zlib.licenses_declared = vec!["Zlib".into()];
    pkgs.push(zlib);
    // a maintainer-style supplier with a person and an e-mail
    let mut mawk = deb("mawk", "1.3.4.20200120-3.1", 0);
    mawk.supplier = Some("Boyuan Yang <byang@debian.org>".into());
    mawk.license = Some("GPL-2.0-only".into());
    pkgs.push(mawk);

    // layer 1: apt-get install python3-pip curl
    let mut pip_deb = deb("python3-pip", "23.0.1+dfsg-1", 1);
    pip_deb.arch = Some("all".into());
    pip_deb.supplier = Some("Debian Python Team <team+python@tracker.debian.org>".into());
    pip_deb.license = Some("MIT".into());
    pkgs.push(pip_deb);
    let mut curl = deb("curl", "7.88.1-10+deb12u5", 1);
    curl.license = Some("curl".into());
    pkgs.push(curl);
    // a non-ASCII package name (Debian allows only ASCII, but language ecosystems do not)
    let mut py = Package::new(Ecosystem::Python, "pip", "23.0.1");
    py.database_path = "/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA".into();
    py.layer = Some(1);
    py.licenses_declared = vec!["MIT".into()];
    py.license = Some("MIT".into());
    py.supplier = Some("The pip developers <distutils-sig@python.org>".into());
    pkgs.push(py);
    let mut uni = Package::new(Ecosystem::Python, "naïve-café", "1.0");
    uni.database_path =
        "/usr/local/lib/python3.11/dist-packages/naïve_café-1.0.dist-info/METADATA".into();
    uni.layer = Some(1);
    uni.license = Some("LicenseRef-Proprietär".replace('ä', "-"));
    uni.supplier = Some("Jürgen Müller <jm@example.org>".into());
    uni.checksums = vec![Checksum {
        algorithm: "SHA256".into(),
        value: "ab".repeat(32),
    }];
    pkgs.push(uni);

    // layer 2: npm ci, with a scoped package; removes curl
    let mut types = Package::new(Ecosystem::Npm, "@types/node", "20.11.5");
    types.database_path = "/app/node_modules/@types/node/package.json".into();
    types.layer = Some(2);
    types.license = Some("MIT".into());
    types.homepage = Some("https://github.com/DefinitelyTyped/DefinitelyTyped".into());
    pkgs.push(types);
    let mut express = Package::new(Ecosystem::Npm, "express", "4.19.2");
    express.database_path = "/app/node_modules/express/package.json".into();
    express.layer = Some(2);
    express.license = Some("MIT OR Apache-2.0".into());
    express.supplier = Some("TJ Holowaychuk <tj@vision-media.ca>".into());
    pkgs.push(express);

    for p in &mut pkgs {
        p.purl = purl::package_purl(p, Some(&distro));
        p.id = default_id(p);
    }
    // curl is removed by layer 2
    let curl_idx = pkgs.iter().position(|p| p.name == "curl").unwrap();
    pkgs[curl_idx].removed_in = Some(2);
    // the python package pip is owned by the deb python3-pip
    let pip_deb_id = pkgs
        .iter()
        .find(|p| p.name == "python3-pip")
        .unwrap()
        .id
        .clone();
    let pip_py = pkgs.iter_mut().find(|p| p.name == "pip").unwrap();
    pip_py.owner = Some(pip_deb_id.clone());
    let pip_py_id = pip_py.id.clone();
    let id_of = |n: &str| pkgs.iter().find(|p| p.name == n).unwrap().id.clone();
    inv.relationships = vec![
        Relationship {
            from: pip_deb_id.clone(),
            kind: RelationshipKind::Contains,
            to: pip_py_id,
        },
        Relationship {
            from: id_of("perl-base"),
            kind: RelationshipKind::DependsOn,
            to: id_of("libc6"),
        },
        Relationship {
            from: id_of("curl"),
            kind: RelationshipKind::DependsOn,
            to: id_of("zlib1g"),
        },
        Relationship {
            from: id_of("express"),
            kind: RelationshipKind::DependsOn,
            to: id_of("@types/node"),
        },
    ];

    let layer_pkgs = |i: usize| -> Vec<PackageRef> {
        pkgs.iter()
            .filter(|p| p.layer == Some(i))
            .map(pref)
            .collect()
    };
    inv.layers = vec![
        LayerInfo {
            index: 0,
            diff_id: format!("sha256:{}", "0a".repeat(32)),
            digest: format!("sha256:{}", "0b".repeat(32)),
            compression: "gzip".into(),
            size: 29_150_000,
            uncompressed_size: 78_000_000,
            entries: 5200,
            created_by: Some("/bin/sh -c #(nop) ADD file:abc in / ".into()),
            dockerfile: dockerfile("FROM", "FROM debian:bookworm", 1, 1),
            distro: Some(distro.clone()),
            added: layer_pkgs(0),
            ..Default::default()
        },
        LayerInfo {
            index: 1,
            diff_id: format!("sha256:{}", "1a".repeat(32)),
            digest: format!("sha256:{}", "1b".repeat(32)),
            compression: "gzip".into(),
            size: 48_500_000,
            uncompressed_size: 150_000_000,
            entries: 9000,
            created_by: Some("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends python3-pip curl # buildkit".into()),
            instruction: Some("RUN apt-get update && apt-get install -y --no-install-recommends python3-pip curl".into()),
            dockerfile: dockerfile(
                "RUN",
                "RUN apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n       python3-pip curl",
                3,
                5,
            ),
            added: layer_pkgs(1),
            changed: vec![PackageChange {
                id: pkgs.iter().find(|p| p.name == "tzdata").unwrap().id.clone(),
                ecosystem: Ecosystem::Deb,
                name: "tzdata".into(),
                from_version: "2023c-5".into(),
                to_version: "2024a-0+deb12u1".into(),
                direction: Some(sbom_core::ChangeDirection::Upgrade),
            }],
            ..Default::default()
        },
        LayerInfo {
            index: 2,
            diff_id: format!("sha256:{}", "2a".repeat(32)),
            digest: format!("sha256:{}", "2b".repeat(32)),
            compression: "zstd".into(),
            size: 812,
            uncompressed_size: 4096,
            entries: 30,
            created_by: Some("RUN /bin/sh -c npm ci && apt-get purge -y curl # buildkit".into()),
            dockerfile: dockerfile("RUN", "RUN npm ci \\\n    && apt-get purge -y curl", 8, 9),
            added: layer_pkgs(2),
            removed: vec![pref(pkgs.iter().find(|p| p.name == "curl").unwrap())],
            ..Default::default()
        },
    ];
    inv.scope = Scope::AllLayers;
    inv.packages = pkgs;
    inv.warnings = vec![Warning {
        path: Some("/app/node_modules/broken/package.json".into()),
        layer: Some(2),
        message: "invalid JSON at line 3, column 1; package skipped".into(),
        incomplete: true,
    }];
    inv.finalize();
    inv
}

/// `n` packages across ecosystems, with dependencies, on one layer.
pub fn big(n: usize) -> Inventory {
    let mut inv = realistic();
    let distro = inv.distro.clone();
    let ecos = [
        Ecosystem::Deb,
        Ecosystem::Python,
        Ecosystem::Npm,
        Ecosystem::Go,
    ];
    let licenses = [
        "MIT",
        "GPL-2.0-or-later",
        "LicenseRef-Custom",
        "Apache-2.0 OR MIT",
    ];
    let mut new = Vec::new();
    for i in 0..n {
        let eco = ecos[i % ecos.len()];
        let mut p = Package::new(eco, format!("pkg{i}"), format!("1.{i}.0"));
        p.database_path = format!("/db/{i}");
        p.layer = Some(i % 3);
        p.license = Some(licenses[i % licenses.len()].to_string());
        p.supplier = Some(format!("Vendor {}", i % 7));
        p.purl = purl::package_purl(&p, distro.as_ref());
        p.id = default_id(&p);
        inv.layers[i % 3].added.push(pref(&p));
        new.push(p);
    }
    for w in new.windows(2) {
        inv.relationships.push(Relationship {
            from: w[1].id.clone(),
            kind: RelationshipKind::DependsOn,
            to: w[0].id.clone(),
        });
    }
    inv.packages.extend(new);
    inv.finalize();
    inv
}
