//! `Inventory::finalize` on inventories built by hand: ids made unique without losing what
//! named them (relationships, owners, layer change lists), and a second call changing nothing.

mod common;

use sbom_core::*;

const HOST: &str = "/var/lib/dpkg/status";
const CHROOT: &str = "/srv/chroot/var/lib/dpkg/status";

fn distro() -> Distro {
    Distro {
        id: "debian".into(),
        version_id: Some("12".into()),
        ..Default::default()
    }
}

/// A package as an embedder makes one: purl and id filled from the package itself, so two
/// records of the same package get the same id.
fn deb(name: &str, version: &str, db: &str) -> Package {
    let mut p = Package::new(Ecosystem::Deb, name, version);
    p.arch = Some("amd64".into());
    p.database_path = db.into();
    p.purl = purl::package_purl(&p, Some(&distro()));
    p.id = default_id(&p);
    p
}

fn rel(from: &Package, kind: RelationshipKind, to: &Package) -> Relationship {
    Relationship {
        from: from.id.clone(),
        kind,
        to: to.id.clone(),
    }
}

fn pref(p: &Package) -> PackageRef {
    PackageRef {
        id: p.id.clone(),
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
    }
}

/// The package with `name` recorded at `db` (and not removed, unless `removed`).
fn find<'a>(inv: &'a Inventory, name: &str, db: &str, removed: Option<usize>) -> &'a Package {
    inv.packages
        .iter()
        .find(|p| p.name == name && p.database_path == db && p.removed_in == removed)
        .unwrap_or_else(|| panic!("{name} at {db} (removed {removed:?})"))
}

fn edges(inv: &Inventory) -> Vec<(String, RelationshipKind, String)> {
    let at = |id: &PackageId| {
        let p = inv.package(id).expect("a relationship names a package");
        format!("{}@{}", p.name, p.database_path)
    };
    inv.relationships
        .iter()
        .map(|r| (at(&r.from), r.kind, at(&r.to)))
        .collect()
}

fn assert_ids_unique(inv: &Inventory) {
    let mut ids: Vec<&PackageId> = inv.packages.iter().map(|p| &p.id).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "every package has its own id");
}

/// One Debian system with a second one in a chroot: the same two packages in both
/// databases, so each pair shares an id, and one dependency recorded between the ids.
fn host_and_chroot() -> Inventory {
    let libc = deb("libc6", "2.36-9+deb12u4", HOST);
    let coreutils = deb("coreutils", "9.1-1", HOST);
    let mut inv = Inventory {
        distro: Some(distro()),
        relationships: vec![rel(&coreutils, RelationshipKind::DependsOn, &libc)],
        packages: vec![
            coreutils,
            libc,
            deb("libc6", "2.36-9+deb12u4", CHROOT),
            deb("coreutils", "9.1-1", CHROOT),
        ],
        ..Default::default()
    };
    // the chroot's was installed by a later layer
    inv.packages[2].layer = Some(1);
    inv.packages[3].layer = Some(1);
    inv.packages[0].layer = Some(0);
    inv.packages[1].layer = Some(0);
    inv.layers = vec![
        LayerInfo {
            index: 0,
            added: vec![pref(&inv.packages[0]), pref(&inv.packages[1])],
            ..Default::default()
        },
        LayerInfo {
            index: 1,
            added: vec![pref(&inv.packages[2]), pref(&inv.packages[3])],
            ..Default::default()
        },
    ];
    inv
}

#[test]
fn a_relationship_to_a_shared_id_stays_and_links_each_copy_to_the_one_in_its_database() {
    let mut inv = host_and_chroot();
    inv.finalize();
    assert_ids_unique(&inv);
    assert_eq!(
        find(&inv, "libc6", HOST, None).id.as_str(),
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12#/var/lib/dpkg/status"
    );
    let mut got = edges(&inv);
    got.sort();
    assert_eq!(
        got,
        [
            (
                format!("coreutils@{CHROOT}"),
                RelationshipKind::DependsOn,
                format!("libc6@{CHROOT}")
            ),
            (
                format!("coreutils@{HOST}"),
                RelationshipKind::DependsOn,
                format!("libc6@{HOST}")
            ),
        ]
    );
}

#[test]
fn layer_change_lists_name_the_copy_each_layer_introduced() {
    let mut inv = host_and_chroot();
    inv.finalize();
    let named = |l: usize| -> Vec<String> {
        inv.layers[l]
            .added
            .iter()
            .map(|r| {
                let p = inv.package(&r.id).expect("a layer entry names a package");
                assert_eq!((p.name.as_str(), p.layer), (r.name.as_str(), Some(l)));
                format!("{}@{}", p.name, p.database_path)
            })
            .collect()
    };
    assert_eq!(
        named(0),
        [format!("coreutils@{HOST}"), format!("libc6@{HOST}")]
    );
    assert_eq!(
        named(1),
        [format!("coreutils@{CHROOT}"), format!("libc6@{CHROOT}")]
    );
}

#[test]
fn a_package_removed_and_installed_again_gets_two_ids_and_each_layer_names_its_own() {
    // all-layers: curl came in layer 0, layer 1 purged it, layer 2 installed it again
    let zlib = deb("zlib1g", "1:1.2.13.dfsg-1", HOST);
    let mut gone = deb("curl", "7.88.1-10+deb12u5", HOST);
    gone.layer = Some(0);
    gone.removed_in = Some(1);
    let mut back = deb("curl", "7.88.1-10+deb12u5", HOST);
    back.layer = Some(2);
    let mut inv = Inventory {
        scope: Scope::AllLayers,
        distro: Some(distro()),
        relationships: vec![rel(&back, RelationshipKind::DependsOn, &zlib)],
        layers: vec![
            LayerInfo {
                index: 0,
                added: vec![pref(&gone), pref(&zlib)],
                ..Default::default()
            },
            LayerInfo {
                index: 1,
                removed: vec![pref(&gone)],
                ..Default::default()
            },
            LayerInfo {
                index: 2,
                added: vec![pref(&back)],
                ..Default::default()
            },
        ],
        packages: vec![zlib, gone, back],
        ..Default::default()
    };
    inv.finalize();
    assert_ids_unique(&inv);
    let gone = find(&inv, "curl", HOST, Some(1)).id.clone();
    let back = find(&inv, "curl", HOST, None).id.clone();
    assert!(
        gone.as_str()
            .ends_with("#/var/lib/dpkg/status#removed-in-1"),
        "{gone}"
    );
    assert!(back.as_str().ends_with("#/var/lib/dpkg/status"), "{back}");
    let curl_in = |refs: &[PackageRef]| -> Vec<String> {
        refs.iter()
            .filter(|r| r.name == "curl")
            .map(|r| r.id.to_string())
            .collect()
    };
    assert_eq!(curl_in(&inv.layers[0].added), [gone.to_string()]);
    assert_eq!(curl_in(&inv.layers[1].removed), [gone.to_string()]);
    assert_eq!(curl_in(&inv.layers[2].added), [back.to_string()]);
    // the dependency was recorded for "curl": both records are curl
    let from: Vec<&PackageId> = inv.relationships.iter().map(|r| &r.from).collect();
    assert_eq!(from.len(), 2);
    assert!(from.contains(&&gone) && from.contains(&&back));
}

#[test]
fn detector_set_ids_shared_by_two_npm_trees_keep_their_edges_inside_each_tree() {
    let npm = |name: &str, tree: &str| {
        let mut p = Package::new(Ecosystem::Npm, name, "1.0.0");
        p.database_path = format!("{tree}/node_modules/{name}/package.json");
        p.id = PackageId(format!("{name}@1.0.0"));
        p
    };
    let mut inv = Inventory {
        packages: vec![
            npm("a", "/app"),
            npm("b", "/app"),
            npm("a", "/srv"),
            npm("b", "/srv"),
        ],
        ..Default::default()
    };
    inv.relationships = vec![rel(
        &inv.packages[0],
        RelationshipKind::DependsOn,
        &inv.packages[1],
    )];
    inv.finalize();
    assert_ids_unique(&inv);
    assert_eq!(
        find(&inv, "a", "/srv/node_modules/a/package.json", None)
            .id
            .as_str(),
        "a@1.0.0#/srv/node_modules/a/package.json"
    );
    let mut got = edges(&inv);
    got.sort();
    assert_eq!(
        got,
        [
            (
                "a@/app/node_modules/a/package.json".to_string(),
                RelationshipKind::DependsOn,
                "b@/app/node_modules/b/package.json".to_string()
            ),
            (
                "a@/srv/node_modules/a/package.json".to_string(),
                RelationshipKind::DependsOn,
                "b@/srv/node_modules/b/package.json".to_string()
            ),
        ]
    );
}

#[test]
fn an_owner_recorded_in_two_databases_is_the_copy_that_lists_the_files() {
    let dist_info = "/usr/lib/python3/dist-packages/pip-23.0.1.dist-info";
    let mut owner = deb("python3-pip", "23.0.1+dfsg-1", HOST);
    owner.files = vec![dist_info.into(), format!("{dist_info}/METADATA")];
    let other = deb("python3-pip", "23.0.1+dfsg-1", CHROOT);
    let mut pip = Package::new(Ecosystem::Python, "pip", "23.0.1");
    pip.database_path = format!("{dist_info}/METADATA");
    pip.purl = purl::package_purl(&pip, None);
    pip.id = default_id(&pip);
    pip.owner = Some(owner.id.clone());
    let mut inv = Inventory {
        distro: Some(distro()),
        relationships: vec![rel(&owner, RelationshipKind::Contains, &pip)],
        // the chroot's copy first: "the first copy" would be the wrong one
        packages: vec![other, pip, owner],
        ..Default::default()
    };
    inv.finalize();
    let host = find(&inv, "python3-pip", HOST, None).id.clone();
    assert_eq!(
        inv.packages.iter().find(|p| p.name == "pip").unwrap().owner,
        Some(host)
    );
    assert_eq!(
        edges(&inv),
        [(
            format!("python3-pip@{HOST}"),
            RelationshipKind::Contains,
            format!("pip@{dist_info}/METADATA")
        )]
    );
}

#[test]
fn the_same_package_reported_twice_at_one_place_still_gets_two_ids() {
    let mut inv = Inventory {
        distro: Some(distro()),
        packages: vec![deb("tzdata", "2024a-0+deb12u1", HOST); 3],
        ..Default::default()
    };
    inv.finalize();
    assert_ids_unique(&inv);
    let ids: Vec<&str> = inv.packages.iter().map(|p| p.id.as_str()).collect();
    let base =
        "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=amd64&distro=debian-12#/var/lib/dpkg/status";
    assert_eq!(
        ids,
        [
            base.to_string(),
            format!("{base}#copy-2"),
            format!("{base}#copy-3")
        ]
    );
}

#[test]
fn finalizing_twice_changes_nothing() {
    for mut inv in [host_and_chroot(), common::realistic(), common::big(40)] {
        inv.finalize();
        let once = inv.clone();
        inv.finalize();
        assert_eq!(inv, once);
    }
}

#[test]
fn ids_are_filled_without_reordering_and_id_for_agrees() {
    let mut inv = host_and_chroot();
    for p in &mut inv.packages {
        p.id = PackageId::default();
        p.purl.clear();
    }
    let before: Vec<(String, String)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.database_path.clone()))
        .collect();
    let libc = inv.packages[1].clone();
    inv.assign_ids();
    let after: Vec<(String, String)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.database_path.clone()))
        .collect();
    assert_eq!(before, after);
    assert_ids_unique(&inv);
    // id_for names a package the way assign_ids does when no other package shares its id
    let mut alone = Inventory {
        distro: Some(distro()),
        packages: vec![libc.clone()],
        ..Default::default()
    };
    alone.assign_ids();
    assert_eq!(alone.id_for(&libc), alone.packages[0].id);
    assert_eq!(alone.packages[0].purl, inv.packages[1].purl);
}
