//! JDK and JRE installations, from the `release` file at the top of the installation
//! (`JAVA_VERSION="17.0.9"`, `IMPLEMENTOR="Eclipse Adoptium"`, ...). The runtime is named the
//! way Syft's JVM cataloger (anchore/syft `syft/pkg/cataloger/java/parse_jvm_release.go`)
//! names it, so vulnerability matchers that know those names find it: vendor and product
//! from the implementor (`oracle`/`openjdk` unless it is Azul, Sun or Oracle's own JDK), a
//! `pkg:generic/<vendor>/<product>@<version>` purl and declared CPEs.

/// Release files larger than this are not read (Syft reads 500 KB of one).
pub const MAX_RELEASE: u64 = 500 << 10;
/// `bin/javac` is claimed only so the view knows it is there (a JDK, not a JRE).
pub const MAX_JAVAC: u64 = 16 << 20;

/// The facts of one JVM `release` file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JvmRelease {
    /// `IMPLEMENTOR`.
    pub implementor: Option<String>,
    /// `JAVA_VERSION`.
    pub java_version: Option<String>,
    /// `JAVA_RUNTIME_VERSION`.
    pub runtime_version: Option<String>,
    /// `FULL_VERSION` (Temurin and other builds).
    pub full_version: Option<String>,
    /// `IMAGE_TYPE` (`JDK`, `JRE`), when the build records it.
    pub image_type: Option<String>,
    /// `IMPLEMENTOR_VERSION`.
    pub implementor_version: Option<String>,
    /// `SOURCE_REPO`, else `BUILD_SOURCE_REPO`.
    pub source_repo: Option<String>,
}

/// What a claimed `release` file turned out to be: any file named `release` is claimed
/// (JVMs live anywhere), only those with a Java version describe a JVM.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReleaseFile(pub Option<JvmRelease>);

/// Marker for a claimed `bin/javac`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Javac;

/// Whether `path` is a file this part of the detector wants.
pub fn is_release(path: &str) -> bool {
    path.ends_with("/release")
}

/// Whether `path` is a JDK's compiler launcher.
pub fn is_javac(path: &str) -> bool {
    path.ends_with("/bin/javac")
}

/// `KEY="value"` lines, as the JDK build writes them. `None` when neither `JAVA_VERSION`
/// nor `JAVA_RUNTIME_VERSION` is there: then the file is not a JVM's.
pub fn parse_release(text: &str) -> Option<JvmRelease> {
    let mut r = JvmRelease::default();
    let mut build_repo = None;
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').trim();
        let v = (!v.is_empty()).then(|| v.to_string());
        match k.trim() {
            "IMPLEMENTOR" => r.implementor = v,
            "JAVA_VERSION" => r.java_version = v,
            "JAVA_RUNTIME_VERSION" => r.runtime_version = v,
            "FULL_VERSION" => r.full_version = v,
            "IMAGE_TYPE" => r.image_type = v,
            "IMPLEMENTOR_VERSION" => r.implementor_version = v,
            "SOURCE_REPO" => r.source_repo = v,
            "BUILD_SOURCE_REPO" => build_repo = v,
            _ => {}
        }
    }
    if r.source_repo.is_none() {
        r.source_repo = build_repo;
    }
    (r.java_version.is_some() || r.runtime_version.is_some()).then_some(r)
}

impl JvmRelease {
    /// The version reported: the runtime version, else the full version when it has the
    /// same major version as `JAVA_VERSION` (Java 8's `FULL_VERSION` does not), else
    /// `JAVA_VERSION`.
    pub fn version(&self) -> String {
        if let Some(v) = &self.runtime_version {
            return v.clone();
        }
        let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
        match (&self.full_version, &self.java_version) {
            (Some(f), Some(j)) if major(f) == major(j) => f.clone(),
            (Some(f), None) => f.clone(),
            (_, Some(j)) => j.clone(),
            (None, None) => String::new(),
        }
    }

    fn is_jdk(&self, has_javac: bool) -> bool {
        has_javac
            || !self
                .image_type
                .as_deref()
                .is_some_and(|t| t.to_ascii_lowercase().contains("jre"))
    }

    /// (vendor, product) as Syft names them: Azul's Zulu, Sun's and Oracle's own JDK/JRE,
    /// and every other build (Debian's, Temurin, Corretto, ...) as Oracle's OpenJDK.
    /// `release_path` counts too: Zulu and Oracle installs say so in their directory name.
    pub fn vendor_product(
        &self,
        release_path: &str,
        has_javac: bool,
    ) -> (&'static str, &'static str) {
        let imp: String = self
            .implementor
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase()
            .split_whitespace()
            .collect();
        let jdk_or_jre = if self.is_jdk(has_javac) { "jdk" } else { "jre" };
        if imp.contains("azul") || release_path.contains("zulu") {
            ("azul", "zulu")
        } else if imp.contains("sun") {
            ("sun", jdk_or_jre)
        } else if imp.contains("oracle") || release_path.contains("oracle") {
            ("oracle", jdk_or_jre)
        } else {
            ("oracle", "openjdk")
        }
    }

    /// The CPEs Syft declares for this runtime, in its order.
    pub fn cpes(&self, vendor: &str, product: &str, has_javac: bool) -> Vec<String> {
        let version = self.version();
        let jdk = self.is_jdk(has_javac);
        let mut candidates: Vec<(&str, &str)> = Vec::new();
        let enterprise = |c: &mut Vec<(&str, &str)>, v: &'static str| {
            c.push((v, "jre"));
            if jdk {
                c.push((v, "jdk"));
            }
        };
        match (vendor, product) {
            ("azul", _) => candidates.extend([("azul", "zulu"), ("oracle", "openjdk")]),
            ("sun", _) => enterprise(&mut candidates, "sun"),
            ("oracle", p) if p != "openjdk" => {
                candidates.push(("oracle", "java_se"));
                enterprise(&mut candidates, "oracle");
            }
            (v, p) => candidates.push((v, p)),
        }
        candidates
            .into_iter()
            .filter_map(|(v, p)| cpe(v, p, &version))
            .collect()
    }
}

/// One CPE 2.3 name. Legacy versions (`1.8.0_302-b08`) become version `1.8.0`, update
/// `update302`; JEP 223 versions (`17.0.9+9`) drop the build after `+`.
fn cpe(vendor: &str, product: &str, version: &str) -> Option<String> {
    let (short, update) = if let Some((v, rest)) = version.split_once('_') {
        let u = rest.split('-').next().unwrap_or("");
        let u = match u.trim_start_matches('0') {
            "" if !u.is_empty() => "0",
            t => t,
        };
        (v, (!u.is_empty()).then(|| format!("update{u}")))
    } else {
        (version.split('+').next().unwrap_or(""), None)
    };
    if short.is_empty() {
        return None;
    }
    Some(format!(
        "cpe:2.3:a:{}:{}:{}:{}:*:*:*:*:*:*",
        vendor,
        product,
        cpe_escape(short),
        update.as_deref().map_or("*".to_string(), cpe_escape)
    ))
}

/// CPE 2.3 formatted-string quoting: every character but letters, digits, `_`, `-` and `.`
/// is backslash-escaped.
fn cpe_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
