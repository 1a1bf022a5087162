//! Where a package manager finds a dependency: `Package::install_root` and
//! `Package::lookup_distance` for each ecosystem's rule.

use sbom_core::{Ecosystem, Package};

fn at(eco: Ecosystem, db: &str) -> Package {
    let mut p = Package::new(eco, "x", "1");
    p.database_path = db.into();
    p
}

#[test]
fn install_roots() {
    for (eco, db, root) in [
        (
            Ecosystem::Npm,
            "/app/node_modules/a/package.json",
            "/app/node_modules",
        ),
        (
            Ecosystem::Npm,
            "/app/node_modules/@types/node/package.json",
            "/app/node_modules",
        ),
        (
            Ecosystem::Npm,
            "/app/node_modules/a/node_modules/b/package.json",
            "/app/node_modules/a/node_modules",
        ),
        (
            Ecosystem::Npm,
            "/node_modules/a/package.json",
            "/node_modules",
        ),
        (
            Ecosystem::Python,
            "/usr/local/lib/python3.11/site-packages/idna-3.13.dist-info/METADATA",
            "/usr/local/lib/python3.11/site-packages",
        ),
        (
            Ecosystem::Python,
            "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
            "/usr/lib/python3/dist-packages",
        ),
        (
            Ecosystem::Python,
            "/usr/lib/python2.7/dist-packages/Python-2.7.egg-info",
            "/usr/lib/python2.7/dist-packages",
        ),
        (
            Ecosystem::Gem,
            "/usr/local/bundle/specifications/rake-13.0.3.gemspec",
            "/usr/local/bundle",
        ),
        (
            Ecosystem::Gem,
            "/usr/lib/ruby/gems/3.1.0/specifications/default/test-unit-3.3.7.gemspec",
            "/usr/lib/ruby/gems/3.1.0",
        ),
        (Ecosystem::Deb, "/var/lib/dpkg/status", "/var/lib/dpkg"),
        (
            Ecosystem::Deb,
            "/var/lib/dpkg/status.d/libssl3",
            "/var/lib/dpkg",
        ),
        (
            Ecosystem::Rpm,
            "/usr/lib/sysimage/rpm/rpmdb.sqlite",
            "/usr/lib/sysimage/rpm",
        ),
        (Ecosystem::Apk, "/lib/apk/db/installed", "/lib/apk/db"),
        (
            Ecosystem::Nuget,
            "/app/MyApp.deps.json",
            "/app/MyApp.deps.json",
        ),
        (
            Ecosystem::Composer,
            "/var/www/vendor/composer/installed.json",
            "/var/www/vendor/composer/installed.json",
        ),
    ] {
        assert_eq!(at(eco, db).install_root(), root, "{db}");
    }
}

#[test]
fn npm_looks_in_each_ancestors_node_modules_nearest_first() {
    let a = at(Ecosystem::Npm, "/app/node_modules/a/package.json");
    let scoped = at(Ecosystem::Npm, "/app/node_modules/@s/x/package.json");
    for (db, from_a, from_scoped) in [
        (
            "/app/node_modules/a/node_modules/b/package.json",
            Some(0),
            None,
        ),
        ("/app/node_modules/b/package.json", Some(2), Some(3)),
        ("/node_modules/b/package.json", Some(3), Some(4)),
        // a sibling's nested node_modules, another tree, node_modules/node_modules: never
        (
            "/app/node_modules/c/node_modules/b/package.json",
            None,
            None,
        ),
        ("/srv/node_modules/b/package.json", None, None),
        ("/app/node_modules/node_modules/b/package.json", None, None),
        // a directory whose name only starts like an ancestor's
        ("/ap/node_modules/b/package.json", None, None),
    ] {
        let b = at(Ecosystem::Npm, db);
        assert_eq!(a.lookup_distance(&b), from_a, "a -> {db}");
        assert_eq!(scoped.lookup_distance(&b), from_scoped, "@s/x -> {db}");
    }
}

#[test]
fn python_gems_and_recorded_files_look_in_their_own_place_only() {
    let site = "/usr/local/lib/python3.11/site-packages";
    let requests = at(
        Ecosystem::Python,
        &format!("{site}/requests-2.34.2.dist-info/METADATA"),
    );
    let here = at(
        Ecosystem::Python,
        &format!("{site}/idna-3.13.dist-info/METADATA"),
    );
    let venv = at(
        Ecosystem::Python,
        "/opt/venv/lib/python3.11/site-packages/idna-3.13.dist-info/METADATA",
    );
    assert_eq!(requests.lookup_distance(&here), Some(0));
    assert_eq!(requests.lookup_distance(&venv), None);
    let app = at(
        Ecosystem::Gem,
        "/app/vendor/bundle/ruby/3.1/specifications/app-1.gemspec",
    );
    let rake = at(
        Ecosystem::Gem,
        "/app/vendor/bundle/ruby/3.1/specifications/rake-13.gemspec",
    );
    let system = at(
        Ecosystem::Gem,
        "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.gemspec",
    );
    assert_eq!(app.lookup_distance(&rake), Some(0));
    assert_eq!(app.lookup_distance(&system), None);
    let lib = at(Ecosystem::Nuget, "/app/MyApp.deps.json");
    assert_eq!(
        lib.lookup_distance(&at(Ecosystem::Nuget, "/app/MyApp.deps.json")),
        Some(0)
    );
    assert_eq!(
        lib.lookup_distance(&at(Ecosystem::Nuget, "/other/Other.deps.json")),
        None
    );
}

#[test]
fn os_packages_see_the_whole_system_their_own_database_first() {
    let host = at(Ecosystem::Deb, "/var/lib/dpkg/status");
    let distroless = at(Ecosystem::Deb, "/var/lib/dpkg/status.d/libc6");
    let chroot = at(Ecosystem::Deb, "/srv/chroot/var/lib/dpkg/status");
    assert_eq!(host.lookup_distance(&distroless), Some(0));
    assert_eq!(host.lookup_distance(&chroot), Some(1));
    assert_eq!(chroot.lookup_distance(&host), Some(1));
    // never across ecosystems
    assert_eq!(
        host.lookup_distance(&at(Ecosystem::Rpm, "/var/lib/dpkg/status")),
        None
    );
    assert_eq!(
        at(Ecosystem::Python, "/a/x.dist-info/METADATA")
            .lookup_distance(&at(Ecosystem::Npm, "/a/x.dist-info/METADATA")),
        None
    );
}

#[test]
fn an_os_package_owns_what_lists_its_metadata_or_the_directory_holding_it() {
    let dist_info = "/usr/lib/python3/dist-packages/pip-23.0.1.dist-info";
    let pip = at(Ecosystem::Python, &format!("{dist_info}/METADATA"));
    let mut by_dir = at(Ecosystem::Deb, "/var/lib/dpkg/status");
    by_dir.files = vec![dist_info.into()];
    let mut by_file = at(Ecosystem::Deb, "/var/lib/dpkg/status");
    by_file.files = vec![format!("{dist_info}/METADATA")];
    let mut neither = at(Ecosystem::Deb, "/var/lib/dpkg/status");
    neither.files = vec!["/usr/lib/python3/dist-packages".into()];
    assert!(by_dir.owns(&pip));
    assert!(by_file.owns(&pip));
    assert!(!neither.owns(&pip));
    assert_eq!(
        pip.metadata_paths(),
        [format!("{dist_info}/METADATA").as_str(), dist_info]
    );
}
