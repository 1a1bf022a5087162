//! Package URLs, built with the `packageurl` crate (it does the percent-encoding right) by the
//! rules of purl-spec's `PURL-TYPES.rst`: OS packages carry the distro as namespace and the
//! `arch`, `distro` and `epoch` qualifiers that vulnerability scanners match on.

use packageurl::PackageUrl;

use crate::{Distro, Ecosystem, Package};

/// The prefix of [`Package::properties`] keys that are purl qualifiers of the package's type
/// (`purl:build` for conda's `build=`): set by detectors whose type defines qualifiers other
/// than the OS ones (`arch`, `distro`, `epoch`, `upstream`), which are built from fields.
pub const PURL_QUALIFIER: &str = "purl:";

/// The purl of `pkg`. `distro` is the image's distro, used for OS packages' namespace and
/// `distro=` qualifier.
///
/// ```
/// use sbom_core::{Distro, Ecosystem, Package};
/// let d = Distro { id: "debian".into(), version_id: Some("12".into()), ..Default::default() };
/// let mut p = Package::new(Ecosystem::Deb, "libc6", "2.36-9+deb12u4");
/// p.arch = Some("amd64".into());
/// assert_eq!(
///     sbom_core::purl::package_purl(&p, Some(&d)),
///     "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
/// );
/// ```
pub fn package_purl(pkg: &Package, distro: Option<&Distro>) -> String {
    let eco = pkg.ecosystem;
    let (namespace, name) = match eco {
        // portage names are `<category>/<name>`: the category is the namespace
        Ecosystem::Portage => match pkg.name.split_once('/') {
            Some((cat, n)) => (Some(cat.to_string()), n.to_string()),
            None => (None, pkg.name.clone()),
        },
        // purl-spec: brew formula names are case-insensitive and written lower-case
        Ecosystem::Homebrew => (pkg.namespace.clone(), pkg.name.to_lowercase()),
        Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk | Ecosystem::Alpm => {
            // the image's distribution; else the one the package itself names (an ELF
            // package note's `os`, in an image without os-release)
            let ns = distro
                .map(|d| d.id.clone())
                .or_else(|| pkg.namespace.clone().filter(|n| !n.is_empty()))
                .unwrap_or_else(|| default_os_namespace(eco).to_string());
            (Some(ns), pkg.name.clone())
        }
        Ecosystem::Python => (None, pep503_normalize(&pkg.name)),
        Ecosystem::Npm => match pkg.name.split_once('/') {
            Some((scope, n)) if scope.starts_with('@') => (Some(scope.to_string()), n.to_string()),
            _ => (pkg.namespace.clone(), pkg.name.clone()),
        },
        Ecosystem::Go => match pkg.name.rsplit_once('/') {
            Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
            None => (None, pkg.name.clone()),
        },
        Ecosystem::Maven
        | Ecosystem::Cargo
        | Ecosystem::Gem
        | Ecosystem::Nuget
        | Ecosystem::Cran
        | Ecosystem::Bitnami
        | Ecosystem::Conda
        | Ecosystem::Nix
        | Ecosystem::Generic => (pkg.namespace.clone(), pkg.name.clone()),
        // `vendor/package`: the vendor is the purl namespace
        Ecosystem::Composer => match pkg.name.split_once('/') {
            Some((vendor, n)) => (Some(vendor.to_string()), n.to_string()),
            None => (None, pkg.name.clone()),
        },
    };
    let version = pkg.version_without_epoch().to_string();
    match build(
        eco.purl_type(),
        namespace.as_deref(),
        &name,
        &version,
        pkg,
        distro,
    ) {
        Some(s) => s,
        // packageurl rejects only names it cannot encode at all (empty); keep a valid-looking
        // fallback rather than dropping the package
        None => format!("pkg:{}/{}", eco.purl_type(), pct(&name)),
    }
}

fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    pkg: &Package,
    distro: Option<&Distro>,
) -> Option<String> {
    let mut purl = PackageUrl::new(ty, name).ok()?;
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        purl.with_namespace(ns).ok()?;
    }
    if !version.is_empty() {
        purl.with_version(version).ok()?;
    }
    // the qualifiers a type defines, which detectors keep as `purl:<key>` properties, in
    // the order they were recorded (conda's `build`, `channel`, `subdir`, `type`; Nix's
    // `output`, `outputhash`; Bitnami's `arch`, `distro`)
    for (k, v) in &pkg.properties {
        if let Some(q) = k.strip_prefix(PURL_QUALIFIER) {
            purl.add_qualifier(q.to_string(), v.clone()).ok()?;
        }
    }
    if pkg.ecosystem.is_os() {
        if let Some(arch) = pkg.arch.as_deref().filter(|a| !a.is_empty()) {
            purl.add_qualifier("arch", arch).ok()?;
        }
        if let Some(d) = distro {
            purl.add_qualifier("distro", d.purl_qualifier()).ok()?;
        }
        if let Some(e) = pkg
            .epoch
            .filter(|e| *e > 0 || pkg.ecosystem == Ecosystem::Rpm)
        {
            purl.add_qualifier("epoch", e.to_string()).ok()?;
        }
        if let Some(src) = &pkg.source {
            if src.name != pkg.name && !src.name.is_empty() {
                purl.add_qualifier("upstream", src.name.clone()).ok()?;
            }
        }
    }
    Some(purl.to_string())
}

fn default_os_namespace(eco: Ecosystem) -> &'static str {
    match eco {
        Ecosystem::Deb => "debian",
        Ecosystem::Apk => "alpine",
        Ecosystem::Alpm => "arch",
        _ => "unknown",
    }
}

/// PEP 503: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.extend(c.to_lowercase());
    }
    out
}

fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `pkg:oci` purl of an image, when a digest is known (purl-spec: the version of an `oci`
/// purl is the digest; without one the purl would not identify anything).
///
/// ```
/// use sbom_core::ImageInfo;
/// let mut img = ImageInfo { name: "nginx:1.25".into(), ..Default::default() };
/// assert_eq!(sbom_core::purl::image_purl(&img), None);
/// img.manifest_digest = Some("sha256:abc".into());
/// img.repo_tags = vec!["docker.io/library/nginx:1.25".into()];
/// img.platform.architecture = "amd64".into();
/// assert_eq!(
///     sbom_core::purl::image_purl(&img).unwrap(),
///     "pkg:oci/nginx@sha256%3Aabc?arch=amd64&repository_url=docker.io%2Flibrary%2Fnginx&tag=1.25"
/// );
/// ```
pub fn image_purl(image: &crate::ImageInfo) -> Option<String> {
    // a registry's digest of the image (an engine records it on pull or push) is what a pull
    // gets, so it identifies the image best; its repository is the image's there
    let repo_digest = image
        .repo_digests
        .iter()
        .find_map(|d| d.split_once('@'))
        .filter(|(_, d)| d.contains(':'));
    let digest = match repo_digest {
        Some((_, d)) => d,
        None => image
            .manifest_digest
            .as_deref()
            .or(image.config_digest.as_deref())?,
    };
    // a bare tag (an OCI layout's `ref.name: latest`) names no repository: the image's name
    // carries it then
    let named = image
        .repo_tags
        .iter()
        .map(String::as_str)
        .find(|t| t.contains(['/', ':', '@']))
        .unwrap_or(&image.name);
    // `repo@sha256:...` pins a digest: its ':' is not a tag's
    let named = named.split('@').next().unwrap_or(named);
    let reference = match repo_digest {
        // the tag of the name, when it is of that repository
        Some((repo, _)) => match named.rsplit_once(':') {
            Some((r, t)) if r == repo && !t.contains('/') => named,
            _ => repo,
        },
        None => named,
    };
    // split `registry:5000/a/b:tag` at the last ':' after the last '/'
    let (repo, tag) = match reference.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, Some(t)),
        _ => (reference, None),
    };
    let name = repo.rsplit('/').next().unwrap_or(repo).to_ascii_lowercase();
    let name = if name.is_empty() {
        "image".to_string()
    } else {
        name
    };
    let mut purl = PackageUrl::new("oci", name).ok()?;
    purl.with_version(digest).ok()?;
    if !image.platform.architecture.is_empty() {
        purl.add_qualifier("arch", image.platform.architecture.clone())
            .ok()?;
    }
    if repo.contains('/') {
        purl.add_qualifier("repository_url", repo.to_string())
            .ok()?;
    }
    if let Some(t) = tag.filter(|t| !t.is_empty()) {
        purl.add_qualifier("tag", t.to_string()).ok()?;
    }
    // `packageurl` leaves the ':' of the digest as is; purl-spec's oci examples (and Syft,
    // Trivy) encode it, and consumers compare purls as strings
    let s = purl.to_string();
    Some(match digest.split_once(':') {
        Some((alg, _)) => s.replacen(&format!("@{alg}:"), &format!("@{alg}%3A"), 1),
        None => s,
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn pep503_names() {
        use super::pep503_normalize;
        assert_eq!(pep503_normalize("Flask_Login"), "flask-login");
        assert_eq!(pep503_normalize("zope.interface"), "zope-interface");
        assert_eq!(pep503_normalize("a--b"), "a-b");
    }

    #[test]
    fn a_bare_tag_names_no_repository() {
        let img = crate::ImageInfo {
            name: "debian-small:latest".into(),
            repo_tags: vec!["latest".into()],
            config_digest: Some("sha256:abc".into()),
            ..Default::default()
        };
        assert_eq!(
            image_purl(&img).unwrap(),
            "pkg:oci/debian-small@sha256%3Aabc?tag=latest"
        );
    }

    #[test]
    fn a_digest_reference_has_no_tag() {
        let img = crate::ImageInfo {
            name: "127.0.0.1:5000/team/app@sha256:abc".into(),
            repo_tags: vec!["127.0.0.1:5000/team/app@sha256:abc".into()],
            manifest_digest: Some("sha256:abc".into()),
            ..Default::default()
        };
        assert_eq!(
            image_purl(&img).unwrap(),
            "pkg:oci/app@sha256%3Aabc?repository_url=127.0.0.1:5000%2Fteam%2Fapp"
        );
    }

    use super::*;

    #[test]
    fn a_repo_digest_versions_the_purl() {
        let img = crate::ImageInfo {
            name: "localhost/app:1".into(),
            repo_tags: vec!["localhost/app:1".into()],
            repo_digests: vec!["localhost/app@sha256:def".into()],
            config_digest: Some("sha256:abc".into()),
            ..Default::default()
        };
        assert_eq!(
            image_purl(&img).unwrap(),
            "pkg:oci/app@sha256%3Adef?repository_url=localhost%2Fapp&tag=1"
        );
    }

    fn distro(id: &str, v: &str) -> Distro {
        Distro {
            id: id.into(),
            version_id: Some(v.into()),
            ..Default::default()
        }
    }

    #[test]
    fn deb_with_epoch_goes_to_qualifier() {
        let mut p = Package::new(Ecosystem::Deb, "perl-base", "1:5.36.0-7+deb12u1");
        p.epoch = Some(1);
        p.arch = Some("amd64".into());
        p.source = Some(crate::SourcePackage {
            name: "perl".into(),
            version: None,
        });
        assert_eq!(
            package_purl(&p, Some(&distro("debian", "12"))),
            "pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u1?arch=amd64&distro=debian-12&epoch=1&upstream=perl"
        );
    }

    #[test]
    fn rpm_epoch_zero_is_explicit() {
        let mut p = Package::new(Ecosystem::Rpm, "fixture-data", "20240101-0.3.fx40");
        p.epoch = Some(0);
        p.arch = Some("noarch".into());
        let s = package_purl(&p, Some(&distro("fedora", "40")));
        assert_eq!(
            s,
            "pkg:rpm/fedora/fixture-data@20240101-0.3.fx40?arch=noarch&distro=fedora-40&epoch=0"
        );
    }

    #[test]
    fn npm_scope_and_python_normalisation() {
        let p = Package::new(Ecosystem::Npm, "@types/node", "20.1.0");
        assert_eq!(package_purl(&p, None), "pkg:npm/%40types/node@20.1.0");
        let p = Package::new(Ecosystem::Python, "Typing_Extensions", "4.0");
        assert_eq!(package_purl(&p, None), "pkg:pypi/typing-extensions@4.0");
    }

    #[test]
    fn go_module_path_splits_at_last_slash() {
        let p = Package::new(Ecosystem::Go, "github.com/pkg/errors", "v0.9.1");
        assert_eq!(
            package_purl(&p, None),
            "pkg:golang/github.com/pkg/errors@v0.9.1"
        );
    }

    #[test]
    fn maven_group_namespace() {
        let mut p = Package::new(Ecosystem::Maven, "guava", "31.1-jre");
        p.namespace = Some("com.google.guava".into());
        assert_eq!(
            package_purl(&p, None),
            "pkg:maven/com.google.guava/guava@31.1-jre"
        );
    }
}
