//! Relationships between the packages of the final image: which OS package installed a
//! language package, and which package each recorded dependency resolves to.
//!
//! Both work on indices into the inventory's packages, so they run before ids are final and
//! an edge can never land on the wrong one of two packages that would share an id.

use std::borrow::Cow;
use std::collections::HashMap;

use sbom_core::{Ecosystem, Inventory, Package, Relationship, RelationshipKind};

/// Edges between packages, by index into the package list they were found in.
#[derive(Debug)]
pub(super) struct Links {
    /// (owner, owned): the owner's files include the owned package's metadata.
    pub owners: Vec<(usize, usize)>,
    /// (dependent, dependency).
    pub depends: Vec<(usize, usize)>,
}

impl Links {
    /// Finds the owners and dependencies among `packages`.
    pub fn find(packages: &[Package]) -> Links {
        Links {
            owners: owners(packages),
            depends: dependencies(packages),
        }
    }

    /// Records the edges in `inv`, whose packages are those `find` was given, in the same
    /// order, with their final ids ([`Inventory::assign_ids`]).
    pub fn apply(self, inv: &mut Inventory) {
        let id = |i: usize| inv.packages[i].id.clone();
        let mut rels = Vec::with_capacity(self.owners.len() + self.depends.len());
        for &(o, p) in &self.owners {
            rels.push(Relationship {
                from: id(o),
                kind: RelationshipKind::Contains,
                to: id(p),
            });
        }
        for &(a, b) in &self.depends {
            rels.push(Relationship {
                from: id(a),
                kind: RelationshipKind::DependsOn,
                to: id(b),
            });
        }
        for (o, p) in self.owners {
            inv.packages[p].owner = Some(inv.packages[o].id.clone());
        }
        inv.relationships.extend(rels);
    }
}

/// A language package whose metadata file an OS package owns is that OS package's: record
/// who owns it rather than dropping or double-counting it. Where two OS packages list the
/// same file, the later one is the owner.
fn owners(packages: &[Package]) -> Vec<(usize, usize)> {
    let mut owner_of: HashMap<&str, usize> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        if p.ecosystem.is_os() && p.removed_in.is_none() {
            for f in &p.files {
                owner_of.insert(f.as_str(), i);
            }
        }
    }
    let mut found = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        if p.ecosystem.is_os() || p.database_path.is_empty() {
            continue;
        }
        // the metadata file itself, or its directory (dist-info, node_modules/x)
        if let Some(&o) = p.metadata_paths().iter().find_map(|m| owner_of.get(m)) {
            found.push((o, i));
        }
    }
    found
}

/// Dependencies as the databases recorded them (names or capabilities, `a | b` for
/// alternatives), resolved the way the ecosystem resolves them among the final image's
/// packages: for each alternative in turn, the providers its package manager would load
/// from the dependent package ([`Package::lookup_distance`]), the nearest one, the first
/// recorded among equals. The first alternative that resolves is the edge; one that resolves
/// to the package itself makes none.
fn dependencies(packages: &[Package]) -> Vec<(usize, usize)> {
    let mut provider: HashMap<(Ecosystem, Cow<'_, str>), Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        if p.removed_in.is_some() {
            continue;
        }
        for name in std::iter::once(&p.name).chain(&p.provides) {
            let list = provider
                .entry((p.ecosystem, name_key(p.ecosystem, name)))
                .or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let mut edges = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        if p.removed_in.is_some() {
            continue;
        }
        for dep in &p.depends {
            let target = dep.split('|').map(str::trim).find_map(|alt| {
                let candidates = provider.get(&(p.ecosystem, name_key(p.ecosystem, alt)))?;
                candidates
                    .iter()
                    .filter_map(|&c| p.lookup_distance(&packages[c]).map(|d| (d, c)))
                    .min()
                    .map(|(_, c)| c)
            });
            if let Some(t) = target.filter(|&t| t != i) {
                edges.push((i, t));
            }
        }
    }
    edges
}

/// The form in which a dependency and a package name match: Python compares names
/// normalised (PEP 503: case-insensitive, runs of `-`, `_` and `.` equal), so a
/// requirement on `charset_normalizer` finds `charset-normalizer`; other ecosystems compare
/// names as written.
fn name_key(ecosystem: Ecosystem, name: &str) -> Cow<'_, str> {
    if ecosystem != Ecosystem::Python {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            in_run = false;
            out.extend(c.to_lowercase());
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(eco: Ecosystem, name: &str, db: &str, depends: &[&str]) -> Package {
        let mut p = Package::new(eco, name, "1.0.0");
        p.database_path = db.into();
        p.depends = depends.iter().map(|d| d.to_string()).collect();
        p
    }

    fn named(packages: &[Package], edges: &[(usize, usize)]) -> Vec<(String, String)> {
        let at = |i: usize| format!("{}@{}", packages[i].name, packages[i].database_path);
        edges.iter().map(|&(a, b)| (at(a), at(b))).collect()
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn npm_copies_in_two_trees_each_link_inside_their_own_tree() {
        // the order that made /srv's `a` link to /app's `b`: /app's packages first
        let packages = vec![
            pkg(
                Ecosystem::Npm,
                "a",
                "/app/node_modules/a/package.json",
                &["b"],
            ),
            pkg(Ecosystem::Npm, "b", "/app/node_modules/b/package.json", &[]),
            pkg(
                Ecosystem::Npm,
                "a",
                "/srv/node_modules/a/package.json",
                &["b"],
            ),
            pkg(Ecosystem::Npm, "b", "/srv/node_modules/b/package.json", &[]),
        ];
        assert_eq!(
            named(&packages, &dependencies(&packages)),
            [
                pair(
                    "a@/app/node_modules/a/package.json",
                    "b@/app/node_modules/b/package.json"
                ),
                pair(
                    "a@/srv/node_modules/a/package.json",
                    "b@/srv/node_modules/b/package.json"
                ),
            ]
        );
    }

    #[test]
    fn npm_prefers_the_nested_copy_then_walks_up_and_never_sideways() {
        let packages = vec![
            pkg(Ecosystem::Npm, "b", "/node_modules/b/package.json", &[]),
            pkg(Ecosystem::Npm, "b", "/app/node_modules/b/package.json", &[]),
            pkg(
                Ecosystem::Npm,
                "a",
                "/app/node_modules/a/package.json",
                &["b", "c"],
            ),
            pkg(
                Ecosystem::Npm,
                "b",
                "/app/node_modules/a/node_modules/b/package.json",
                &[],
            ),
            pkg(
                Ecosystem::Npm,
                "x",
                "/app/node_modules/@s/x/package.json",
                &["b"],
            ),
            pkg(
                Ecosystem::Npm,
                "y",
                "/opt/tool/node_modules/y/package.json",
                &["b", "c"],
            ),
            // another package's nested copy is not visible to anyone else
            pkg(
                Ecosystem::Npm,
                "c",
                "/app/node_modules/x/node_modules/c/package.json",
                &[],
            ),
        ];
        assert_eq!(
            named(&packages, &dependencies(&packages)),
            [
                pair(
                    "a@/app/node_modules/a/package.json",
                    "b@/app/node_modules/a/node_modules/b/package.json"
                ),
                pair(
                    "x@/app/node_modules/@s/x/package.json",
                    "b@/app/node_modules/b/package.json"
                ),
                pair(
                    "y@/opt/tool/node_modules/y/package.json",
                    "b@/node_modules/b/package.json"
                ),
            ]
        );
    }

    #[test]
    fn python_and_gems_resolve_in_their_own_site_directory_or_gem_home() {
        let site = "/usr/local/lib/python3.11/site-packages";
        let venv = "/opt/venv/lib/python3.11/site-packages";
        let packages = vec![
            pkg(
                Ecosystem::Python,
                "charset-normalizer",
                &format!("{site}/charset_normalizer-3.4.7.dist-info/METADATA"),
                &[],
            ),
            pkg(
                Ecosystem::Python,
                "requests",
                &format!("{site}/requests-2.34.2.dist-info/METADATA"),
                &["charset_normalizer", "idna"],
            ),
            pkg(
                Ecosystem::Python,
                "idna",
                &format!("{venv}/idna-3.13.dist-info/METADATA"),
                &[],
            ),
            pkg(
                Ecosystem::Python,
                "Requests",
                &format!("{venv}/requests-2.34.2.dist-info/METADATA"),
                &["IDNA", "charset-normalizer"],
            ),
            pkg(
                Ecosystem::Gem,
                "rake",
                "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.3.gemspec",
                &[],
            ),
            pkg(
                Ecosystem::Gem,
                "rake",
                "/app/vendor/bundle/ruby/3.1.0/specifications/rake-13.0.3.gemspec",
                &[],
            ),
            pkg(
                Ecosystem::Gem,
                "app",
                "/app/vendor/bundle/ruby/3.1.0/specifications/app-1.0.0.gemspec",
                &["rake"],
            ),
            pkg(
                Ecosystem::Gem,
                "test-unit",
                "/usr/lib/ruby/gems/3.1.0/specifications/default/test-unit-3.3.7.gemspec",
                &["rake"],
            ),
        ];
        let names: Vec<(String, String)> = named(&packages, &dependencies(&packages));
        assert_eq!(
            names,
            [
                // PEP 503 names: `charset_normalizer` is `charset-normalizer`, `IDNA` is `idna`
                pair(
                    &format!("requests@{site}/requests-2.34.2.dist-info/METADATA"),
                    &format!("charset-normalizer@{site}/charset_normalizer-3.4.7.dist-info/METADATA")
                ),
                pair(
                    &format!("Requests@{venv}/requests-2.34.2.dist-info/METADATA"),
                    &format!("idna@{venv}/idna-3.13.dist-info/METADATA")
                ),
                pair(
                    "app@/app/vendor/bundle/ruby/3.1.0/specifications/app-1.0.0.gemspec",
                    "rake@/app/vendor/bundle/ruby/3.1.0/specifications/rake-13.0.3.gemspec"
                ),
                pair(
                    "test-unit@/usr/lib/ruby/gems/3.1.0/specifications/default/test-unit-3.3.7.gemspec",
                    "rake@/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.3.gemspec"
                ),
            ]
        );
    }

    #[test]
    fn os_packages_resolve_names_provides_and_alternatives_the_same_database_first() {
        let chroot = "/srv/chroot/var/lib/dpkg/status";
        let mut mta = pkg(Ecosystem::Deb, "postfix", "/var/lib/dpkg/status", &[]);
        mta.provides = vec!["mail-transport-agent".into()];
        let packages = vec![
            pkg(Ecosystem::Deb, "libc6", chroot, &[]),
            pkg(Ecosystem::Deb, "libc6", "/var/lib/dpkg/status", &[]),
            pkg(
                Ecosystem::Deb,
                "coreutils",
                "/var/lib/dpkg/status",
                &["libc6"],
            ),
            pkg(Ecosystem::Deb, "coreutils", chroot, &["libc6"]),
            mta,
            // the first alternative is not installed, the second is provided by postfix;
            // the chroot has no libssl3, so the host's is the only one the name finds
            pkg(
                Ecosystem::Deb,
                "bsd-mailx",
                chroot,
                &["exim4 | mail-transport-agent", "libssl3"],
            ),
            pkg(
                Ecosystem::Deb,
                "libssl3",
                "/var/lib/dpkg/status.d/libssl3",
                &["libc6"],
            ),
            // a dependency on itself (`Provides` of its own name) makes no edge
            pkg(Ecosystem::Deb, "mawk", "/var/lib/dpkg/status", &["mawk"]),
            // other ecosystems never provide
            pkg(
                Ecosystem::Rpm,
                "zlib",
                "/var/lib/rpm/rpmdb.sqlite",
                &["libc6"],
            ),
        ];
        assert_eq!(
            named(&packages, &dependencies(&packages)),
            [
                pair(
                    "coreutils@/var/lib/dpkg/status",
                    "libc6@/var/lib/dpkg/status"
                ),
                pair(&format!("coreutils@{chroot}"), &format!("libc6@{chroot}")),
                pair(
                    &format!("bsd-mailx@{chroot}"),
                    "postfix@/var/lib/dpkg/status"
                ),
                pair(
                    &format!("bsd-mailx@{chroot}"),
                    "libssl3@/var/lib/dpkg/status.d/libssl3"
                ),
                // distroless status.d files are one database with /var/lib/dpkg/status
                pair(
                    "libssl3@/var/lib/dpkg/status.d/libssl3",
                    "libc6@/var/lib/dpkg/status"
                ),
            ]
        );
    }

    #[test]
    fn removed_packages_neither_depend_nor_are_depended_on() {
        let mut gone = pkg(Ecosystem::Npm, "b", "/app/node_modules/b/package.json", &[]);
        gone.removed_in = Some(2);
        let packages = vec![
            pkg(
                Ecosystem::Npm,
                "a",
                "/app/node_modules/a/package.json",
                &["b"],
            ),
            gone,
            pkg(Ecosystem::Npm, "b", "/node_modules/b/package.json", &[]),
        ];
        assert_eq!(
            named(&packages, &dependencies(&packages)),
            [pair(
                "a@/app/node_modules/a/package.json",
                "b@/node_modules/b/package.json"
            )]
        );
    }

    #[test]
    fn an_os_package_owns_the_language_package_whose_metadata_it_ships() {
        let mut pip_deb = pkg(Ecosystem::Deb, "python3-pip", "/var/lib/dpkg/status", &[]);
        pip_deb.files = vec!["/usr/lib/python3/dist-packages/pip-23.0.1.dist-info".into()];
        let mut six_deb = pkg(Ecosystem::Deb, "python3-six", "/var/lib/dpkg/status", &[]);
        six_deb.files = vec!["/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO".into()];
        let packages = vec![
            pip_deb,
            pkg(
                Ecosystem::Python,
                "pip",
                "/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA",
                &[],
            ),
            pkg(
                Ecosystem::Python,
                "six",
                "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
                &[],
            ),
            six_deb,
            pkg(
                Ecosystem::Python,
                "pip",
                "/opt/venv/lib/python3.11/site-packages/pip-24.0.dist-info/METADATA",
                &[],
            ),
        ];
        assert_eq!(owners(&packages), [(0, 1), (3, 2)]);
    }

    #[test]
    fn python_names_compare_as_pep_503_normalises_them() {
        for (a, b) in [
            ("charset_normalizer", "charset-normalizer"),
            ("Zope.Interface", "zope-interface"),
            ("a__b-.c", "a-b-c"),
        ] {
            assert_eq!(
                name_key(Ecosystem::Python, a),
                name_key(Ecosystem::Python, b)
            );
        }
        assert_eq!(name_key(Ecosystem::Python, "A_B"), "a-b");
        assert_ne!(
            name_key(Ecosystem::Npm, "a_b"),
            name_key(Ecosystem::Npm, "a-b")
        );
    }
}
