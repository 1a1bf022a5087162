use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The package world a package belongs to. Decides the purl type and how versions compare.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian packages (dpkg): Debian, Ubuntu, distroless.
    #[default]
    Deb,
    /// rpm packages: RHEL and its rebuilds, Fedora, SUSE, Amazon Linux, CBL-Mariner.
    Rpm,
    /// Alpine packages (apk): Alpine, Wolfi.
    Apk,
    /// Arch Linux packages (pacman's ALPM database): Arch, Manjaro, SteamOS.
    Alpm,
    /// Python distributions (`dist-info`, `egg-info`), from pip or a distro package.
    Python,
    /// npm packages under `node_modules`.
    Npm,
    /// Go modules compiled into executables.
    Go,
    /// Java archives, named by their Maven coordinates where they carry them.
    Maven,
    /// Rust crates compiled into executables built with `cargo auditable`.
    Cargo,
    /// Ruby gems.
    Gem,
    /// PHP packages installed by Composer.
    Composer,
    /// .NET packages (NuGet), from an application's `deps.json`.
    Nuget,
    /// R packages installed in an R library (`DESCRIPTION`), named as CRAN names them.
    Cran,
    /// Bitnami components (`pkg:bitnami`), as the SPDX documents Bitnami images ship beside
    /// each component under `/opt/bitnami` record them.
    Bitnami,
    /// conda packages in a conda environment (`conda-meta/*.json`): conda, mamba, pixi.
    Conda,
    /// Gentoo portage packages (`/var/db/pkg/<category>/<name>-<version>/`), named
    /// `<category>/<name>` as portage names them.
    Portage,
    /// Nix store paths (`/nix/store/<hash>-<name>-<version>`).
    Nix,
    /// Homebrew (and Linuxbrew) formulae installed in a Cellar.
    Homebrew,
    /// Software installed without a package manager and named by its vendor and product
    /// (purl type `generic`, the vendor as namespace): a JDK or JRE installation read from
    /// its `release` file, as Syft reports it (`pkg:generic/oracle/openjdk@17.0.9+9`).
    Generic,
}

impl Ecosystem {
    /// The purl `type` (purl-spec `PURL-TYPES.rst`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Apk => "apk",
            Ecosystem::Alpm => "alpm",
            Ecosystem::Python => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Cran => "cran",
            Ecosystem::Bitnami => "bitnami",
            Ecosystem::Conda => "conda",
            // purl-spec's candidate type for portage (not yet defined), as Syft writes it
            Ecosystem::Portage => "ebuild",
            // purl-spec's candidate type for Nix, as Syft writes it
            Ecosystem::Nix => "nix",
            Ecosystem::Homebrew => "brew",
            Ecosystem::Generic => "generic",
        }
    }

    /// The ecosystem a purl `type` names: the inverse of [`Ecosystem::purl_type`], case
    /// insensitive (purl types are). `None` for types we have no ecosystem for.
    ///
    /// ```
    /// use sbom_core::Ecosystem;
    /// assert_eq!(Ecosystem::from_purl_type("PyPI"), Some(Ecosystem::Python));
    /// assert_eq!(Ecosystem::from_purl_type("oci"), None);
    /// ```
    pub fn from_purl_type(t: &str) -> Option<Ecosystem> {
        const ALL: [Ecosystem; 19] = [
            Ecosystem::Deb,
            Ecosystem::Rpm,
            Ecosystem::Apk,
            Ecosystem::Alpm,
            Ecosystem::Python,
            Ecosystem::Npm,
            Ecosystem::Go,
            Ecosystem::Maven,
            Ecosystem::Cargo,
            Ecosystem::Gem,
            Ecosystem::Composer,
            Ecosystem::Nuget,
            Ecosystem::Cran,
            Ecosystem::Bitnami,
            Ecosystem::Conda,
            Ecosystem::Portage,
            Ecosystem::Nix,
            Ecosystem::Homebrew,
            Ecosystem::Generic,
        ];
        ALL.into_iter()
            .find(|e| e.purl_type().eq_ignore_ascii_case(t))
    }

    /// True for the distribution's own package managers.
    pub fn is_os(self) -> bool {
        matches!(
            self,
            Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk | Ecosystem::Alpm | Ecosystem::Portage
        )
    }

    /// Lower-case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Apk => "apk",
            Ecosystem::Alpm => "alpm",
            Ecosystem::Python => "python",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "go",
            Ecosystem::Maven => "maven",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Cran => "cran",
            Ecosystem::Bitnami => "bitnami",
            Ecosystem::Conda => "conda",
            Ecosystem::Portage => "portage",
            Ecosystem::Nix => "nix",
            Ecosystem::Homebrew => "homebrew",
            Ecosystem::Generic => "generic",
        }
    }
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable identifier of a package inside one inventory: its purl, plus `#` and the path that
/// recorded it for language packages (the same npm package can sit in two `node_modules`).
/// Used as CycloneDX `bom-ref` and, sanitised, as SPDX `SPDXID`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PackageId(pub String);

impl PackageId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PackageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The source package a binary package was built from (`Source:` in dpkg, `SOURCERPM`, apk
/// `origin`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePackage {
    /// The source package's name (`glibc` for `libc6`).
    pub name: String,
    /// Its version, when known; it can differ from the binary package's (a binNMU).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A digest of the package as the database recorded it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Checksum {
    /// `SHA256`, `SHA1`, `MD5`, ... (SPDX spelling).
    pub algorithm: String,
    /// Lower-case hex.
    pub value: String,
}

/// The [`Package::properties`] key that says how a package was found when no package
/// database or manifest recorded it: writers turn it into evidence of identity (CycloneDX
/// `evidence.identity`).
pub const FOUND_BY: &str = "sbom:found_by";

/// The [`FOUND_BY`] value of a package identified from an executable's contents by a binary
/// classifier (its file name and a version string its build embeds).
pub const FOUND_BY_BINARY_CLASSIFIER: &str = "binary-classifier";

/// The [`FOUND_BY`] value of a package named by an ELF package note (`.note.package`, the
/// package metadata a packager's linker writes into the binaries it builds).
pub const FOUND_BY_ELF_PACKAGE_NOTE: &str = "elf-package-note";

/// One installed package, as one package database recorded it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// Filled by [`crate::Inventory::finalize`] when empty.
    pub id: PackageId,
    /// Which package manager installed it.
    pub ecosystem: Ecosystem,
    /// The name the package manager knows it by.
    pub name: String,
    /// The version as the package manager prints it: dpkg `1:2.3-4`, rpm `2:3.4.5-7.el9`
    /// (epoch only when set), apk `1.2.3-r0`, pip `23.0.1`.
    pub version: String,
    /// Epoch, for deb and rpm, when the database has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// The architecture the database records (`amd64`, `x86_64`, `noarch`), for packages
    /// that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Namespace for the purl where the ecosystem has one: Maven group, npm scope (`@types`),
    /// Go module path prefix. OS packages take the distro id instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The source package it was built from, for OS packages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// Filled by [`crate::Inventory::finalize`] when empty.
    pub purl: String,
    /// CPE names for vulnerability matching, written as SPDX `SECURITY` references and the
    /// CycloneDX `cpe`. Empty unless the caller sets them: no detector derives CPEs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
    /// License strings exactly as declared by the package metadata.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses_declared: Vec<String>,
    /// The declared licenses as one valid SPDX expression (unknown names as `LicenseRef-`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The license concluded for the package as one valid SPDX expression, only where a
    /// machine-readable record concludes it (a DEP-5 copyright file whose every `Files:`
    /// paragraph names its license); `None` means "not concluded", never "no license".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_concluded: Option<String>,
    /// Copyright notices as the package's own files write them (one a line), never made up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright: Option<String>,
    /// Who supplies the package: the distribution for OS packages, the author for others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// The maintainer as the metadata names them (`Name <mail>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintainer: Option<String>,
    /// The project's home page, as the metadata gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// The package's own description (the summary line where there is one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Digests of the package as its database recorded them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checksums: Vec<Checksum>,
    /// Bytes the package occupies once installed, when the database says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_size: Option<u64>,
    /// Index of the layer that introduced the package in the version listed here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// Index of the layer that removed it (only with the `all-layers` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_in: Option<usize>,
    /// Absolute path in the image of the database or metadata file that recorded it.
    pub database_path: String,
    /// Files the package says it owns, absolute paths in the image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Names or capabilities the package requires, as the database recorded them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends: Vec<String>,
    /// Names or capabilities the package provides besides its own name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<String>,
    /// The OS package that owns this package's files (e.g. Debian's `python3-pip` owns
    /// pip's dist-info).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<PackageId>,
    /// Ecosystem-specific facts worth keeping (rpm vendor, Go toolchain version, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl Package {
    /// A package with only its ecosystem, name and version set; detectors fill the rest,
    /// [`crate::Inventory::finalize`] the purl and id.
    ///
    /// ```
    /// use sbom_core::{Ecosystem, Package};
    /// let p = Package::new(Ecosystem::Python, "six", "1.16.0");
    /// assert!(p.purl.is_empty() && p.id.as_str().is_empty());
    /// ```
    pub fn new(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            ..Default::default()
        }
    }

    /// The version without its `epoch:` prefix (deb and rpm), as purls carry it.
    pub fn version_without_epoch(&self) -> &str {
        match (self.epoch, self.version.split_once(':')) {
            (Some(_), Some((e, rest))) if e.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => &self.version,
        }
    }

    /// What identifies "the same package" across layers: ecosystem, name, arch and where it
    /// was recorded (language packages at different paths are different installs).
    pub fn identity(&self) -> (Ecosystem, &str, Option<&str>, &str) {
        let place = if self.ecosystem.is_os() {
            ""
        } else {
            self.database_path.as_str()
        };
        (
            self.ecosystem,
            self.name.as_str(),
            self.arch.as_deref(),
            place,
        )
    }

    /// The paths an OS package lists among its files when it ships this package: the
    /// metadata file itself and the directory holding it (a dist-info, `node_modules/x`).
    /// Empty strings where the package has no recorded path.
    pub fn metadata_paths(&self) -> [&str; 2] {
        [self.database_path.as_str(), parent(&self.database_path)]
    }

    /// True when this package's files include `other`'s metadata file or its directory:
    /// this (OS) package is the one that installed `other`.
    pub fn owns(&self, other: &Package) -> bool {
        other
            .metadata_paths()
            .iter()
            .filter(|m| !m.is_empty())
            .any(|m| self.files.iter().any(|f| f == m))
    }

    /// The place the package is installed in, as its package manager sees it when it
    /// resolves a dependency by name (see [`Package::lookup_distance`]):
    ///
    /// - npm: the `node_modules` directory holding the package's directory;
    /// - Python: the site directory, the parent of the `.dist-info`/`.egg-info` (or the
    ///   directory holding a single-file egg-info);
    /// - gems: the gem home, the parent of `specifications/` (`specifications/default/` for
    ///   the gems Ruby ships);
    /// - conda: the environment's `conda-meta` directory, where every record of it is;
    /// - deb, rpm, apk: the directory of the database (`/var/lib/dpkg`, also for distroless
    ///   `status.d/` files);
    /// - others: the file that recorded the package (a binary, a `deps.json`, Composer's
    ///   `installed.json`), which lists everything its packages can load.
    ///
    /// Always a prefix of `database_path`.
    pub fn install_root(&self) -> &str {
        let db = self.database_path.as_str();
        let dir = parent(db);
        match self.ecosystem {
            Ecosystem::Npm => match dir.rfind("/node_modules/") {
                Some(i) => &dir[..i + "/node_modules".len()],
                None => db,
            },
            Ecosystem::Python if dir.ends_with(".dist-info") || dir.ends_with(".egg-info") => {
                parent(dir)
            }
            Ecosystem::Python => dir,
            Ecosystem::Gem => {
                let specs = dir
                    .strip_suffix("/default")
                    .filter(|d| d.ends_with("/specifications"))
                    .unwrap_or(dir);
                specs.strip_suffix("/specifications").unwrap_or(dir)
            }
            Ecosystem::Conda => dir,
            e if e.is_os() => dir.strip_suffix("/status.d").unwrap_or(dir),
            _ => db,
        }
    }

    /// Whether this package's dependency on `candidate`'s name would find `candidate`, and
    /// how near it is: `Some(0)` for the first place looked in, larger for later ones,
    /// `None` when the ecosystem never looks where `candidate` is installed. The nearest
    /// candidate is the one the package manager loads.
    ///
    /// - npm follows Node's module resolution from the package's directory: its own
    ///   `node_modules`, then the `node_modules` of each ancestor (never a
    ///   `node_modules/node_modules`), nearest first;
    /// - Python and gems look in their own site directory or gem home only, the other
    ///   ecosystems (except OS packages) in the file that recorded them
    ///   ([`Package::install_root`]);
    /// - deb, rpm and apk resolve names over the whole system: every package of the
    ///   ecosystem is visible, those of the same database first (`Some(0)`, others
    ///   `Some(1)`).
    ///
    /// `None` across ecosystems.
    pub fn lookup_distance(&self, candidate: &Package) -> Option<usize> {
        if self.ecosystem != candidate.ecosystem {
            return None;
        }
        let root = candidate.install_root();
        match self.ecosystem {
            Ecosystem::Npm => {
                // "" for `/node_modules`, which every package can see
                let base = root.strip_suffix("/node_modules")?;
                if base.rsplit('/').next() == Some("node_modules") {
                    return None;
                }
                let rest = parent(&self.database_path).strip_prefix(base)?;
                if !(rest.is_empty() || rest.starts_with('/')) {
                    return None;
                }
                Some(rest.split('/').filter(|c| !c.is_empty()).count())
            }
            e if e.is_os() => Some(usize::from(root != self.install_root())),
            _ => (root == self.install_root()).then_some(0),
        }
    }
}

/// `/a/b/c` -> `/a/b`; `""` for a path without a directory.
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |x| x.0)
}
